package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code cairn demo} once, in-process, for 2 s at 40 orders/s (orders 1001 to 1080), and
 * checks what it wrote by reading the span files and business.log back independently.
 *
 * <p>Like most test JVMs, this one has a Log4j2 LoggerContext before the demo starts; the demo
 * must reconfigure it, and leave it usable.
 */
class DemoCommandTest {
  private static final int SECONDS = 2;
  private static final int RATE = 40;
  private static final long ORDERS = SECONDS * RATE;
  private static final Pattern BUSINESS_LINE = Pattern.compile(
      "^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} (\\S+) +\\[(\\S+) (\\S+)\\] (\\S+) - (.*)$");

  @TempDir static Path dir;

  private static SpanFileFixture.Run run;
  private static Logger loggerFromBefore;
  private static final List<SpanRecord> spans = new ArrayList<>();
  private static final List<LogRecord> logs = new ArrayList<>();
  private static final List<String> problems = new ArrayList<>();
  private static final Map<String, List<SpanRecord>> traces = new HashMap<>();
  /** Order number to the trace of that order, from the business key. */
  private static final Map<Long, String> traceOfOrder = new HashMap<>();

  @BeforeAll
  static void runDemoAndReadBack() throws Exception {
    loggerFromBefore = LogManager.getLogger("demo-test.before");
    assertTrue(LoggerContext.getContext(false).isStarted());

    run = SpanFileFixture.run("demo", "--dir", dir.toString(), "--seconds", "" + SECONDS,
        "--rate", "" + RATE);

    List<Path> files = DemoDirectory.spanFiles(dir);
    assertFalse(files.isEmpty(), "no span files in " + dir + "; out: " + run.out() + run.err());
    for (Path f : files) {
      SpanFileReader.read(f, new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          spans.add(span);
        }

        @Override
        public void log(LogRecord log) {
          logs.add(log);
        }
      }, (ReadProblem p) -> problems.add(f + ": " + p));
    }
    for (SpanRecord s : spans) {
      traces.computeIfAbsent(s.traceIdHex(), k -> new ArrayList<>()).add(s);
      businessKey(s, DemoShop.ORDER_ID)
          .ifPresent(order -> traceOfOrder.put(Long.parseLong(order), s.traceIdHex()));
    }
  }

  @Test
  void run_exitsZeroAndPrintsTheSummaryTwoTracesAndWhatToDoNext() {
    assertEquals(0, run.status(), run.out() + run.err());
    assertEquals("", run.err());
    String out = run.out();
    for (String expected : new String[] {
        "Span files in " + dir.resolve("spans"), "every block checked out",
        "spans per service: checkout ", "frontend ", "payments ",
        "traces: " + ORDERS + " orders (4 failed)", "bytes per span",
        "An order that went through:", "An order that failed", "An email batch",
        "bin/cairn inspect " + dir.resolve("spans") + " | head",
        "bin/cairn verify " + dir.resolve("spans"), "less " + dir.resolve("business.log")}) {
      assertTrue(out.contains(expected), "missing '" + expected + "' in:\n" + out);
    }
    // The failed trace is drawn down to the payment's exception and its captured error line.
    assertTrue(out.contains("ERROR (exception java.util.concurrent.TimeoutException)"), out);
    assertTrue(out.contains("ERROR Payments - charge failed for order "), out);
  }

  @Test
  void spanFiles_decodeCleanly_andVerifyAgrees() {
    assertEquals(List.of(), problems);
    assertFalse(spans.isEmpty());
    assertFalse(logs.isEmpty());

    SpanFileFixture.Run verify = SpanFileFixture.run("verify", "--strict", dir.resolve("spans").toString());
    assertEquals(0, verify.status(), verify.out() + verify.err());
    assertTrue(verify.out().contains("spans=" + spans.size() + " logs=" + logs.size()),
        verify.out());
  }

  @Test
  void everyOrder_isOneTraceThroughAllThreeServices_parentChildAcrossTheHttpHops() {
    assertEquals(expectedOrders(o -> true), traceOfOrder.keySet());
    for (var e : traceOfOrder.entrySet()) {
      long order = e.getKey();
      List<SpanRecord> t = traces.get(e.getValue());
      String why = "order " + order + ": " + t;

      SpanRecord root = only(t, DemoShop.FRONTEND, SpanKind.SERVER, "GET /buy", why);
      assertTrue(root.isRoot(), why);
      assertEquals("order=" + order, root.attribute("url.query").orElseThrow());
      SpanRecord toCheckout = only(t, DemoShop.FRONTEND, SpanKind.CLIENT, "POST /checkout", why);
      SpanRecord checkout = only(t, DemoShop.CHECKOUT, SpanKind.SERVER, "POST /checkout", why);
      SpanRecord inventory =
          only(t, DemoShop.CHECKOUT, SpanKind.INTERNAL, DemoShop.INVENTORY_SPAN, why);
      SpanRecord toPayments = only(t, DemoShop.CHECKOUT, SpanKind.CLIENT, "POST /charge", why);
      SpanRecord payments = only(t, DemoShop.PAYMENTS, SpanKind.SERVER, "POST /charge", why);

      assertEquals(root.spanId(), toCheckout.parentSpanId(), why);
      // Across the HTTP hop: the server span is the child of the caller's CLIENT span, and knows
      // its parent came from another process (from the traceparent header).
      assertEquals(toCheckout.spanId(), checkout.parentSpanId(), why);
      assertEquals(SpanView.FLAG_REMOTE_PARENT, checkout.flags() & SpanView.FLAG_REMOTE_PARENT, why);
      assertEquals(checkout.spanId(), inventory.parentSpanId(), why);
      assertEquals(checkout.spanId(), toPayments.parentSpanId(), why);
      assertEquals(toPayments.spanId(), payments.parentSpanId(), why);
      assertEquals(SpanView.FLAG_REMOTE_PARENT, payments.flags() & SpanView.FLAG_REMOTE_PARENT, why);
      assertEquals(0, toCheckout.flags() & SpanView.FLAG_REMOTE_PARENT, why);

      // HTTP semantic conventions on both sides.
      assertEquals("GET", root.attribute("http.request.method").orElseThrow(), why);
      assertEquals("/buy", root.attribute("http.route").orElseThrow(), why);
      assertEquals("POST", toPayments.attribute("http.request.method").orElseThrow(), why);
      assertEquals("127.0.0.1", toPayments.attribute("server.address").orElseThrow(), why);
      assertEquals(toPayments.attribute("server.port"), payments.attribute("server.port"), why);
      assertTrue(String.valueOf(toPayments.attribute("url.full").orElseThrow())
          .endsWith("/charge"), why);
      assertEquals(payments.attribute("http.response.status_code"),
          toPayments.attribute("http.response.status_code"), why);
    }
  }

  @Test
  void checkoutSpan_carriesTheOrderIdAsAFlaggedBusinessKey() {
    for (var e : traceOfOrder.entrySet()) {
      SpanRecord checkout = only(traces.get(e.getValue()), DemoShop.CHECKOUT, SpanKind.SERVER,
          "POST /checkout", "order " + e.getKey());
      Attribute key = checkout.attributes().stream()
          .filter(a -> a.key().equals(DemoShop.ORDER_ID)).findFirst().orElseThrow();
      assertTrue(key.businessKey(), checkout.toString());
      assertEquals(Long.toString(e.getKey()), key.value());
    }
  }

  @Test
  void failedPayments_areErrorSpansAllTheWayUp_andOnlyThose() {
    Set<Long> failing = expectedOrders(DemoShop::paymentFails);
    assertEquals(4, failing.size(), "orders 1007, 1027, 1047, 1067");
    for (var e : traceOfOrder.entrySet()) {
      boolean fails = failing.contains(e.getKey());
      List<SpanRecord> t = traces.get(e.getValue());
      String why = "order " + e.getKey() + ": " + t;
      SpanRecord payments = only(t, DemoShop.PAYMENTS, SpanKind.SERVER, "POST /charge", why);
      SpanRecord toPayments = only(t, DemoShop.CHECKOUT, SpanKind.CLIENT, "POST /charge", why);
      SpanRecord root = only(t, DemoShop.FRONTEND, SpanKind.SERVER, "GET /buy", why);
      StatusCode expected = fails ? StatusCode.ERROR : StatusCode.UNSET;
      assertEquals(expected, payments.status(), why);
      assertEquals(expected, toPayments.status(), why);
      assertEquals(expected, root.status(), why);
      if (fails) {
        assertEquals(502L, payments.attribute("http.response.status_code").orElseThrow(), why);
        assertTrue(payments.events().stream().anyMatch(ev -> ev.name().equals("exception")
            && ev.attributes().contains(Attribute.of("exception.type",
                "java.util.concurrent.TimeoutException"))), why);
        // The caller's CLIENT span records the error it got back.
        assertEquals(502L, toPayments.attribute("http.response.status_code").orElseThrow(), why);
        assertEquals("502", toPayments.attribute("error.type").orElseThrow(), why);
        assertTrue(toPayments.statusMessage().contains("502"), why);
        assertTrue(t.stream().noneMatch(s -> s.name().equals(DemoEmail.PUBLISH_SPAN)), why);
      } else {
        assertEquals(200L, payments.attribute("http.response.status_code").orElseThrow(), why);
        only(t, DemoShop.CHECKOUT, SpanKind.PRODUCER, DemoEmail.PUBLISH_SPAN, why);
      }
    }
  }

  @Test
  void emailBatches_linkToThePublishSpanOfEveryPlacedOrder() {
    List<SpanRecord> batches = spans.stream()
        .filter(s -> s.name().equals(DemoEmail.PROCESS_SPAN)).toList();
    assertFalse(batches.isEmpty());
    Set<Long> linkedOrders = new TreeSet<>();
    for (SpanRecord batch : batches) {
      assertEquals(SpanKind.CONSUMER, batch.kind());
      assertTrue(batch.isRoot(), "a batch starts its own trace");
      assertFalse(batch.links().isEmpty(), batch.toString());
      assertTrue(batch.links().size() <= DemoEmail.BATCH, batch.toString());
      assertEquals((long) batch.links().size(),
          batch.attribute("messaging.batch.message_count").orElseThrow());
      for (SpanLink link : batch.links()) {
        String order = link.attributes().stream().filter(a -> a.key().equals(DemoShop.ORDER_ID))
            .map(a -> (String) a.value()).findFirst().orElseThrow();
        String trace = Ids.traceIdHex(link.traceIdHigh(), link.traceIdLow());
        assertEquals(traceOfOrder.get(Long.parseLong(order)), trace, "link of order " + order);
        SpanRecord target = traces.get(trace).stream()
            .filter(s -> s.spanId() == link.spanId()).findFirst().orElseThrow();
        assertEquals(DemoEmail.PUBLISH_SPAN, target.name());
        assertEquals(SpanKind.PRODUCER, target.kind());
        assertTrue(linkedOrders.add(Long.parseLong(order)), "order " + order + " linked twice");
      }
    }
    assertEquals(expectedOrders(o -> !DemoShop.paymentFails(o)), linkedOrders);
  }

  @Test
  void capturedLogs_carryTheTraceAndSpanIdsOfTheSpanTheyWereLoggedIn() {
    Map<String, SpanRecord> byIds = new HashMap<>();
    spans.forEach(s -> byIds.put(s.traceIdHex() + s.spanIdHex(), s));
    int checked = 0;
    for (LogRecord log : logs) {
      SpanRecord span = byIds.get(log.traceIdHex() + Ids.spanIdHex(log.spanId()));
      assertNotNull(span, "log line in no span: " + log);
      Matcher m = Pattern.compile("order (\\d+)").matcher(log.message());
      if (m.find() && !span.name().equals(DemoEmail.PROCESS_SPAN)) {
        assertEquals(traceOfOrder.get(Long.parseLong(m.group(1))), log.traceIdHex(), log.message());
      }
      String expectedSpan = log.message().startsWith("charging order ") ? "POST /charge"
          : log.message().startsWith("reserved ") ? DemoShop.INVENTORY_SPAN
          : log.message().startsWith("checking out order ") ? "POST /checkout"
          : log.message().startsWith("sending ") ? DemoEmail.PROCESS_SPAN : null;
      if (expectedSpan != null) {
        assertEquals(expectedSpan, span.name(), log.message());
        assertTrue(span.kind() == SpanKind.SERVER || span.kind() == SpanKind.INTERNAL
            || span.kind() == SpanKind.CONSUMER, log.message());
        checked++;
      }
      if (log.level().equals("ERROR")) {
        assertEquals(StatusCode.ERROR, span.status(), log.message());
        assertTrue(log.thrown().startsWith("java.util.concurrent.TimeoutException"), log.thrown());
      }
    }
    assertTrue(checked >= 3 * ORDERS, "checked " + checked);
  }

  @Test
  void businessLog_showsTheIdsOfTheSpanEachLineWasWrittenIn() throws Exception {
    List<String> inSpans = new ArrayList<>();
    int outside = 0;
    for (String line : Files.readAllLines(dir.resolve("business.log"), UTF_8)) {
      Matcher m = BUSINESS_LINE.matcher(line);
      if (!m.matches()) {
        assertTrue(line.startsWith("\tat ") || line.startsWith("java.util.concurrent.")
            || line.startsWith("\t... "), "unexpected business.log line: " + line);
        continue;
      }
      if (m.group(2).equals("-")) {
        assertEquals("-", m.group(3), line);
        outside++;
        continue;
      }
      inSpans.add(m.group(2) + " " + m.group(3) + " " + m.group(5));
      Matcher order = Pattern.compile("^charging order (\\d+)").matcher(m.group(5));
      if (order.find()) {
        SpanRecord payments = only(traces.get(traceOfOrder.get(Long.parseLong(order.group(1)))),
            DemoShop.PAYMENTS, SpanKind.SERVER, "POST /charge", line);
        assertEquals(payments.traceIdHex() + " " + payments.spanIdHex(),
            m.group(2) + " " + m.group(3), line);
      }
    }
    assertEquals(2, outside, "shop open and shop closed, outside any span");
    // Every line written inside a span is in business.log and in the span files, with the same
    // IDs: the %traceId converter and the SpanFile appender read the same context data.
    List<String> captured = logs.stream()
        .map(l -> l.traceIdHex() + " " + Ids.spanIdHex(l.spanId()) + " " + l.message())
        .sorted().toList();
    assertEquals(captured, inSpans.stream().sorted().toList());
  }

  @Test
  void log4j_isLeftUsableAndTheDemoPropertyRemoved() {
    LoggerContext ctx = LoggerContext.getContext(false);
    assertTrue(ctx.isStarted());
    assertNotEquals(DemoLogging.CONFIG_NAME, ctx.getConfiguration().getName());
    assertNull(ctx.getConfiguration().getAppender(DemoLogging.SPANS_APPENDER));
    assertTrue(((org.apache.logging.log4j.core.Logger) loggerFromBefore).getContext().isStarted());
    assertTrue(loggerFromBefore.isErrorEnabled(), "the default configuration logs errors");
    assertNull(System.getProperty(DemoLogging.DIR_PROPERTY));
  }

  private static Set<Long> expectedOrders(Predicate<Long> which) {
    return LongStream.range(DemoLoad.FIRST_ORDER, DemoLoad.FIRST_ORDER + ORDERS).boxed()
        .filter(which).collect(Collectors.toCollection(TreeSet::new));
  }

  private static SpanRecord only(List<SpanRecord> trace, String service, SpanKind kind,
      String name, String why) {
    List<SpanRecord> found = trace.stream().filter(s -> s.service().equals(service)
        && s.kind() == kind && s.name().equals(name)).toList();
    assertEquals(1, found.size(), service + " " + kind + " " + name + " in " + why);
    return found.get(0);
  }

  private static Optional<String> businessKey(SpanRecord span, String key) {
    return span.attributes().stream().filter(a -> a.businessKey() && a.key().equals(key))
        .map(a -> String.valueOf(a.value())).findFirst();
  }
}
