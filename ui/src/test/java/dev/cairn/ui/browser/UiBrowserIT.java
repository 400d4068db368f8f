package dev.cairn.ui.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.ui.QueryServer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web pages in a real headless Chromium (Debian's chromium and chromium-driver), served by a
 * real {@link QueryServer} over a real embedded store filled with {@link ShopData}: search, the
 * trace view (collapse, details, partial traces, 20,000 spans), the service map, a service page,
 * deep links and the back button. Every view leaves a screenshot in
 * {@code target/screenshots/<view>.png} for a person to look at.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class UiBrowserIT {
  private static final Path SHOTS = Paths.get("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir static Path tmp;
  private static EmbeddedSpanStore store;
  private static QueryServer server;
  private static ChromeDriverService driverService;
  private static ChromeDriver driver;
  private static String base;
  private static ShopData data;

  @BeforeAll
  static void start() throws Exception {
    store = EmbeddedSpanStore.open(tmp.resolve("store"));
    data = new ShopData(System.currentTimeMillis() * 1000).writeTo(store.writer());
    server = QueryServer.builder(store.reader()).bind(new InetSocketAddress("127.0.0.1", 0)).start();
    base = "http://127.0.0.1:" + server.address().getPort();
    driver = startChromium(tmp.resolve("chromium-profile"));
    Files.createDirectories(SHOTS);
  }

  /**
   * Debian's Chromium and ChromeDriver at their fixed paths, so Selenium Manager never looks for
   * (or downloads) a browser or driver; flags for root in a container with a closed network.
   */
  private static ChromeDriver startChromium(Path profile) throws IOException {
    File chromedriver = new File("/usr/bin/chromedriver");
    File chromium = new File("/usr/bin/chromium");
    if (!chromedriver.canExecute() || !chromium.canExecute()) {
      throw new IllegalStateException("the browser tests need Debian's chromium and chromium-driver "
          + "(apt-get install chromium chromium-driver; .ci/run installs them)");
    }
    Files.createDirectories(profile);
    // Selenium ships DevTools bindings for a few Chromium versions only; the tests use none of them.
    java.util.logging.Logger.getLogger("org.openqa.selenium.devtools").setLevel(java.util.logging.Level.SEVERE);
    driverService = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver).usingAnyFreePort()
        .withTimeout(Duration.ofSeconds(30)).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-extensions", "--force-device-scale-factor=1", "--window-size=1440,900",
        "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriver d = new ChromeDriver(driverService, options);
    d.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
    return d;
  }

  @AfterAll
  static void stop() {
    try {
      if (driver != null) {
        driver.quit();
      }
    } finally {
      if (driverService != null) {
        driverService.stop();
      }
      if (server != null) {
        server.close();
      }
      if (store != null) {
        try {
          store.close();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  // ------------------------------------------------------------------------------ search

  @Test
  void search_formFindsByBusinessKey_listAndScatter_clickOpensTrace() {
    open("/search");
    waitFor(d -> count("#result-list li") == 20);
    assertEquals(20, count("#scatter circle.dot"), "one dot per trace in the scatter plot");
    screenshot("search");

    new Select(driver.findElement(By.id("search-service"))).selectByValue("payments");
    driver.findElement(By.id("search-tags")).sendKeys("order.id=" + data.errorOrderId);
    driver.findElement(By.id("search-error")).click();
    driver.findElement(By.id("search-submit")).click();

    waitFor(d -> d.getCurrentUrl().contains("tags=order.id") && count("#result-list li") == 1);
    assertEquals(List.of(data.errorTrace.hex()), js("return [...document.querySelectorAll('#result-list li')].map(li => li.dataset.traceId)"));
    assertEquals(1L, ((Number) js("return document.querySelectorAll('#scatter circle.dot-error').length")).longValue());
    assertTrue(text("#result-list").contains("frontend"), "the root service is shown");
    screenshot("search-business-key");

    driver.findElement(By.cssSelector("#result-list li a")).click();
    waitFor(d -> d.getCurrentUrl().endsWith("/trace/" + data.errorTrace.hex()) && count(".wf-row") > 0);
    assertEquals(data.errorTrace.hex(), text("#trace-id"));
  }

  @Test
  void search_malformedDuration_saysWhichField() {
    assertErrorNotice("/search?minDuration=abc", "Min duration");
  }

  // ------------------------------------------------------------------------------ trace

  @Test
  void trace_collapseAndExpandSubtree_detailShowsAttributesEventsAndLogLines() {
    open("/trace/" + data.errorTrace.hex());
    waitFor(d -> count(".wf-row") == 8);
    String checkoutServer = spanIdOf("checkout", "POST /orders");
    WebElement toggle = row(checkoutServer).findElement(By.cssSelector(".wf-toggle"));
    assertEquals("true", toggle.getAttribute("aria-expanded"));

    toggle.click();
    waitFor(d -> count(".wf-row") == 3);
    assertTrue(row(checkoutServer).getText().contains("+5"), "a collapsed row says how many spans it hides");
    row(checkoutServer).findElement(By.cssSelector(".wf-toggle")).click();
    waitFor(d -> count(".wf-row") == 8);

    String payments = spanIdOf("payments", "POST /charge");
    assertTrue(row(payments).getAttribute("class").contains("on-critical"), "the slow payment call is on the critical path");
    assertTrue(row(payments).getAttribute("class").contains("is-error"));
    row(payments).click();
    waitFor(d -> text("#span-detail").contains("acme-pay"));
    String detail = text("#span-detail");
    assertTrue(detail.contains("payment.provider"), detail);
    assertTrue(text("#detail-events").contains("exception"), "the span event is shown");
    assertTrue(text("#detail-events").contains("acme-pay answered 502 Bad Gateway"));
    assertTrue(text("#detail-logs").contains("charge failed for order " + data.errorOrderId), "captured log line");
    assertTrue(text("#detail-logs").contains("AcmeClient.charge"), "the log line's stack trace");
    assertTrue(driver.getCurrentUrl().endsWith("?span=" + payments), "the selected span is in the URL");
    screenshot("trace");

    driver.findElement(By.id("tab-logs")).click();
    waitFor(d -> count("#trace-logs tr") == 3);
    screenshot("trace-logs");
  }

  @Test
  void trace_followsFromReference_isShownAndLinked() {
    open("/trace/" + data.okTrace.hex());
    waitFor(d -> count(".wf-row") == 10);
    String consumer = spanIdOf("fulfillment", "orders process");
    assertTrue(row(consumer).getText().contains("↪"), "rows with a FOLLOWS_FROM reference are marked");
    row(consumer).click();
    // Its CHILD_OF parent and the FOLLOWS_FROM link, both to the producer span.
    waitFor(d -> count("#detail-refs li") == 2);
    WebElement follows = driver.findElements(By.cssSelector("#detail-refs li")).stream()
        .filter(li -> li.getText().startsWith("FOLLOWS_FROM")).findFirst().orElseThrow();
    String producer = spanIdOf("checkout", "orders publish");
    assertTrue(follows.getText().contains(producer), follows.getText());
    follows.findElement(By.cssSelector("a.span-ref")).click();
    waitFor(d -> d.getCurrentUrl().endsWith("?span=" + producer));
    assertTrue(row(producer).getAttribute("class").contains("selected"));
  }

  @Test
  void trace_partial_isMarkedWithWhy() {
    open("/trace/" + data.partialTrace.hex());
    waitFor(d -> count(".wf-row") == 2);
    assertTrue(text("#partial-banner").contains("Partial trace"));
    assertTrue(text("#partial-banner").contains(data.partialWarning), "the assembly's warning is shown");
    assertTrue(text(".wf-row").contains("parent missing"), "the orphan span is marked");
    assertEquals("partial", text("#partial-badge"));
    screenshot("trace-partial");
  }

  @Test
  void trace_twentyThousandSpans_opensScrollsAndKeepsFewRowsInTheDom() {
    long t0 = System.nanoTime();
    open("/trace/" + data.bigTrace.hex());
    waitFor(d -> count(".wf-row") > 0);
    long openedMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(text(".trace-head").contains("20,000"), "the header counts every span");
    assertEquals(ShopData.BIG_SPANS * 26L, ((Number) js("return document.querySelector('.wf-spacer').offsetHeight")).longValue(),
        "the scroll area is as tall as every row");
    long initialRows = count(".wf-row");
    assertTrue(initialRows < 120, "only visible rows are in the DOM, not " + initialRows);

    // Scroll through the whole trace in 60 frames and time each frame in the page.
    @SuppressWarnings("unchecked")
    Map<String, Object> frames = (Map<String, Object>) ((JavascriptExecutor) driver).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "const el = document.getElementById('wf-scroll'); const step = el.scrollHeight / 60;"
            + "let i = 0, max = 0, last = performance.now(), maxRows = 0; const start = last;"
            + "function tick(now) { max = Math.max(max, now - last); last = now;"
            + "  maxRows = Math.max(maxRows, document.querySelectorAll('.wf-row').length);"
            + "  if (i++ < 60) { el.scrollTop = i * step; requestAnimationFrame(tick); }"
            + "  else done({maxFrameMs: max, totalMs: now - start, maxRows}); }"
            + "requestAnimationFrame(tick);");
    long maxRows = ((Number) frames.get("maxRows")).longValue();
    assertTrue(maxRows < 120, "rows in the DOM while scrolling: " + maxRows);
    waitFor(d -> text("#wf-rows").contains("batch 198"));
    System.out.printf("20k-span trace: opened in %d ms; 60 scroll frames in %.0f ms, slowest frame %.1f ms, "
        + "at most %d rows in the DOM%n", openedMs, ((Number) frames.get("totalMs")).doubleValue(),
        ((Number) frames.get("maxFrameMs")).doubleValue(), maxRows);

    js("document.getElementById('wf-scroll').scrollTop = document.getElementById('wf-scroll').scrollHeight / 2");
    waitFor(d -> text("#wf-rows").contains("batch 99"));
    screenshot("trace-20k");

    driver.findElement(By.id("collapse-all")).click();
    waitFor(d -> ((Number) js("return document.querySelector('.wf-spacer').offsetHeight")).longValue() == 200 * 26L);
    assertTrue(text("#wf-rows").contains("+"), "collapsed batches say how many spans they hide");
    driver.findElement(By.id("expand-all")).click();
    waitFor(d -> ((Number) js("return document.querySelector('.wf-spacer').offsetHeight")).longValue() == ShopData.BIG_SPANS * 26L);
  }

  @Test
  void trace_markupInSpans_isShownAsText() {
    open("/trace/" + data.markupTrace.hex());
    waitFor(d -> count(".wf-row") == 1);
    assertTrue(text(".wf-row").contains(ShopData.MARKUP), "the operation name is printed as it is");
    driver.findElement(By.cssSelector(".wf-row")).click();
    waitFor(d -> text("#detail-attributes").contains("<script>window.__cairnInjected=2</script>"));
    driver.findElement(By.id("tab-logs")).click();
    waitFor(d -> text("#trace-logs").contains("<b>bold?</b>"));
    assertNull(js("return window.__cairnInjected"), "no markup from a span ran");
    assertEquals(0L, ((Number) js("return document.querySelectorAll('#view img, #view script, #view b').length")).longValue());
  }

  @Test
  void trace_unknownId_saysNotFound() {
    assertErrorNotice("/trace/0123456789abcdef0123456789abcdef", "Trace not found");
  }

  // ------------------------------------------------------------------------- map, service

  @Test
  void map_drawsEveryServiceAndCallsWithErrorRates() {
    open("/map");
    waitFor(d -> count("#service-map .node") == ShopData.SERVICES.size());
    List<?> labels = (List<?>) js("return [...document.querySelectorAll('#service-map .edge-label')]"
        + ".map(g => g.dataset.parent + '>' + g.dataset.child + '=' + g.textContent)");
    // Every checkout calls payments once; one in seven fails there (9 of 60).
    assertTrue(labels.contains("checkout>payments=" + ShopData.CHECKOUTS + " calls · 15% err"), labels.toString());
    assertTrue(labels.contains("checkout>inventory=" + ShopData.CHECKOUTS + " calls"), labels.toString());
    assertTrue(labels.stream().anyMatch(l -> l.toString().startsWith("indexer>postgres=")), labels.toString());
    // A DAG: every caller sits left of what it calls.
    assertTrue((Boolean) js("const x = n => document.querySelector(`#service-map .node[data-service='${n}']`).getBoundingClientRect().x;"
        + "return x('frontend') < x('checkout') && x('checkout') < x('payments') && x('inventory') < x('postgres')"));
    screenshot("map");

    driver.findElement(By.cssSelector("#service-map .node[data-service='checkout']")).click();
    waitFor(d -> d.getCurrentUrl().endsWith("/services/checkout") && count("#service-ops tbody tr") == 4);
  }

  @Test
  void servicePage_chartsAndSlowestOperations_linkIntoSearch() {
    open("/services/checkout");
    waitFor(d -> count("#service-ops tbody tr") == 4);
    assertEquals(1L, ((Number) js("return document.querySelectorAll('#chart-rate path.line').length")).longValue());
    assertEquals(3L, ((Number) js("return document.querySelectorAll('#chart-latency path.line').length")).longValue());
    List<?> p99 = (List<?>) js("return [...document.querySelectorAll('#service-ops tbody tr')].map(r => r.dataset.operation)");
    assertEquals("POST /orders", p99.get(0), "slowest p99 first: " + p99);
    assertTrue(text(".tiles").contains("errors"));
    screenshot("service");

    open("/services/payments");
    waitFor(d -> count("#service-ops tbody tr") == 1);
    assertFalse(text("#service-ops").contains(" 0%"), "payments has errors: " + text("#service-ops"));
    driver.findElement(By.linkText("Traces")).click();
    waitFor(d -> d.getCurrentUrl().contains("/search?service=payments&operation=POST+%2Fcharge") && count("#result-list li") > 0);
    List<?> roots = (List<?>) js("return [...document.querySelectorAll('#result-list li')].map(li => li.dataset.traceId)");
    assertFalse(roots.isEmpty());
  }

  @Test
  void deepLinks_reloadKeepsTheView_backButtonReturns() {
    open("/search?service=checkout&lookback=1h");
    waitFor(d -> count("#result-list li") > 0);
    driver.findElement(By.cssSelector("#result-list li a")).click();
    waitFor(d -> d.getCurrentUrl().contains("/trace/") && count(".wf-row") > 3);
    String traceUrl = driver.getCurrentUrl();
    driver.findElements(By.cssSelector(".wf-row")).get(2).click();
    waitFor(d -> d.getCurrentUrl().contains("?span="));
    String spanId = driver.getCurrentUrl().replaceAll(".*span=", "");

    driver.navigate().refresh();
    waitFor(d -> count(".wf-row.selected") == 1 && text("#span-detail").contains(spanId));

    driver.findElement(By.cssSelector(".mainnav a[data-view=map]")).click();
    waitFor(d -> d.getCurrentUrl().endsWith("/map") && count("#service-map .node") > 0);
    driver.navigate().back();
    waitFor(d -> d.getCurrentUrl().startsWith(traceUrl) && count(".wf-row") > 3);
    driver.navigate().back();
    waitFor(d -> d.getCurrentUrl().endsWith("/search?service=checkout&lookback=1h") && count("#result-list li") > 0);
    waitFor(d -> "checkout".equals(new Select(d.findElement(By.id("search-service"))).getFirstSelectedOption().getAttribute("value")));
    driver.navigate().forward();
    waitFor(d -> d.getCurrentUrl().startsWith(traceUrl) && count(".wf-row") > 3);
  }

  // ------------------------------------------------------------------------------ helpers

  private static void open(String path) {
    driver.get(base + path);
    waitFor(d -> "true".equals(js("return document.documentElement.dataset.ready || ''")));
  }

  /** Opens {@code path} and expects one error notice containing {@code expected}. */
  private static void assertErrorNotice(String path, String expected) {
    open(path);
    waitFor(d -> count(".notice-error") == 1);
    assertTrue(text(".notice-error").contains(expected), text(".notice-error"));
  }

  private static void waitFor(Function<WebDriver, Boolean> condition) {
    new WebDriverWait(driver, WAIT, Duration.ofMillis(50)).ignoring(RuntimeException.class).until(condition);
  }

  private static Object js(String script) {
    return ((JavascriptExecutor) driver).executeScript(script);
  }

  private static long count(String css) {
    return ((Number) js("return document.querySelectorAll(\"" + css.replace("\"", "\\\"") + "\").length")).longValue();
  }

  private static String text(String css) {
    return driver.findElement(By.cssSelector(css)).getText();
  }

  private static WebElement row(String spanId) {
    return driver.findElement(By.cssSelector(".wf-row[data-span-id='" + spanId + "']"));
  }

  /** The span ID of the first row showing this service and operation. */
  private static String spanIdOf(String service, String operation) {
    return (String) ((JavascriptExecutor) driver).executeScript(
        "return [...document.querySelectorAll('.wf-row')].find(r => r.querySelector('.wf-svc').textContent === arguments[0]"
            + " && r.querySelector('.wf-op').textContent === arguments[1]).dataset.spanId", service, operation);
  }

  private static void screenshot(String view) {
    // Let the last frame paint before the picture is taken.
    ((JavascriptExecutor) driver).executeAsyncScript(
        "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(done));");
    try {
      Files.write(SHOTS.resolve(view + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
