package dev.cairn.core.testing;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.ProcessInfo;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Generated test spans, shared by the modules' tests and benchmarks (trace-core's test jar).
 * Seeded, so a failure reproduces.
 */
public final class TestSpans {
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};
  private static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0",
      "Java-http-client/17.0.15", "curl/8.5.0"};

  private final Random random;
  private long clockMicros = 1_763_700_000_000_000L;

  public TestSpans(long seed) {
    random = new Random(seed);
  }

  public static ProcessInfo process() {
    return new ProcessInfo("checkout", "host-1", "pod-7", 4242, 1_763_700_000_000_000L,
        Map.of("java.version", "17.0.15"));
  }

  /**
   * A typical HTTP server span with 8 attributes, as instrumentation writes them: method, route,
   * target, status code, scheme, peer address, user agent, server address.
   */
  public SpanRecord httpServerSpan() {
    clockMicros += random.nextInt(2_000);
    String method = METHODS[random.nextInt(METHODS.length)];
    String route = ROUTES[random.nextInt(ROUTES.length)];
    String target = route.replace("{id}", Integer.toString(random.nextInt(100_000)));
    long status = random.nextInt(50) == 0 ? 500 : 200;
    return SpanRecord.builder()
        .traceId(random.nextLong(), random.nextLong())
        .spanId(nonZero())
        .service("checkout")
        .scope("io.opentelemetry.java-http-server", "2.10.0")
        .name(method + " " + route)
        .kind(SpanKind.SERVER)
        .startMicros(clockMicros)
        .durationMicros(200 + random.nextInt(50_000))
        .status(status == 500 ? StatusCode.ERROR : StatusCode.UNSET, "")
        .addAttribute("http.request.method", method)
        .addAttribute("http.route", route)
        .addAttribute("url.path", target)
        .addAttribute("http.response.status_code", status)
        .addAttribute("url.scheme", "http")
        .addAttribute("client.address", "10.0." + random.nextInt(4) + "." + random.nextInt(256))
        .addAttribute("user_agent.original", AGENTS[random.nextInt(AGENTS.length)])
        .addAttribute("server.address", "checkout.internal")
        .build();
  }

  /** A span using every field and every attribute type. */
  public SpanRecord fullSpan() {
    long start = clockMicros += 1000;
    return SpanRecord.builder()
        .traceId(random.nextLong(), random.nextLong())
        .spanId(nonZero())
        .parentSpanId(nonZero())
        .flags(3)
        .service("payments")
        .scope("dev.cairn.test", "1.0")
        .name("charge card \u00e9\u4e2d\ud83d\ude00")
        .kind(SpanKind.CLIENT)
        .startMicros(start)
        .durationMicros(12_345)
        .status(StatusCode.ERROR, "card declined")
        .addAttribute("s", "v\u00e9")
        .addAttribute("b.true", true)
        .addAttribute("b.false", false)
        .addAttribute("l", -42L)
        .addAttribute("big", Long.MAX_VALUE)
        .addAttribute("d", 3.5)
        .addAttribute("nan", Double.NaN)
        .addAttribute("sa", List.of("a", "b", ""))
        .addAttribute("ba", List.of(true, false))
        .addAttribute("la", List.of(1L, -2L, Long.MIN_VALUE))
        .addAttribute("da", List.of(0.25, -1e300))
        .addAttribute("empty.list", List.of())
        .addAttribute(new Attribute("order.id", "2135897412389123", true))
        .addEvent(new SpanEvent(start + 10, "exception", List.of(
            Attribute.of("exception.type", "java.io.IOException"),
            Attribute.of("exception.message", "reset"))))
        .addEvent(new SpanEvent(start - 5, "early", List.of()))
        .addLink(new SpanLink(random.nextLong(), random.nextLong(), nonZero(),
            List.of(Attribute.of("messaging.batch", 3L))))
        .build();
  }

  public LogRecord log(SpanRecord inside) {
    return new LogRecord(inside.traceIdHigh(), inside.traceIdLow(), inside.spanId(),
        inside.startMicros() + 1, "INFO", "com.shop.Checkout", "http-nio-8080-exec-1",
        "charging order " + random.nextInt(1000) + " \u00fc", "");
  }

  public LogRecord errorLog(SpanRecord inside) {
    return new LogRecord(inside.traceIdHigh(), inside.traceIdLow(), inside.spanId(),
        inside.startMicros() + 2, "ERROR", "com.shop.Payments", "worker-3", "card declined",
        "java.lang.IllegalStateException: declined\n\tat com.shop.Payments.charge(Payments.java:42)\n");
  }

  private long nonZero() {
    long v;
    do {
      v = random.nextLong();
    } while (v == 0);
    return v;
  }
}
