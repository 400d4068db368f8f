package dev.cairn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.SpanView;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bytes on disk per typical HTTP server span (8 attributes) as Cairn's tracer makes them and the
 * appender encodes them (64 KiB blocks, default compression). Deterministic input, so a size
 * regression fails here; the published figure is in docs/performance.md.
 */
class SpanBytesTest {
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};
  private static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0",
      "Java-http-client/17.0.15", "curl/8.5.0"};

  @Test
  void typicalHttpServerSpan_fromTheTracer_isAtMost40BytesOnDisk() {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    long[] total = new long[1];
    int n = 20_000;
    Tracer tracer = Cairn.builder("checkout").sink((SpanView s) -> {
      enc.addSpan(s);
      if (enc.isFull()) {
        total[0] += enc.finish().remaining();
      }
      return true;
    }).build().getTracer("io.opentelemetry.java-http-server", "2.10.0");
    Random random = new Random(3);
    // Realistic timing: a span every 0-2 ms, lasting 0.2-50 ms (as TestSpans' spans do).
    long clockMicros = System.currentTimeMillis() * 1000;
    for (int i = 0; i < n; i++) {
      clockMicros += random.nextInt(2_000);
      String method = METHODS[random.nextInt(METHODS.length)];
      String route = ROUTES[random.nextInt(ROUTES.length)];
      long status = random.nextInt(50) == 0 ? 500 : 200;
      Span span = tracer.spanBuilder(method + " " + route).setSpanKind(SpanKind.SERVER)
          .setStartTimestamp(clockMicros, TimeUnit.MICROSECONDS).startSpan();
      span.setAttribute("http.request.method", method);
      span.setAttribute("http.route", route);
      span.setAttribute("url.path", route.replace("{id}", Integer.toString(random.nextInt(100_000))));
      span.setAttribute("http.response.status_code", status);
      span.setAttribute("url.scheme", "http");
      span.setAttribute("client.address", "10.0." + random.nextInt(4) + "." + random.nextInt(256));
      span.setAttribute("user_agent.original", AGENTS[random.nextInt(AGENTS.length)]);
      span.setAttribute("server.address", "checkout.internal");
      span.end(clockMicros + 200 + random.nextInt(50_000), TimeUnit.MICROSECONDS);
    }
    if (!enc.isEmpty()) {
      total[0] += enc.finish().remaining();
    }
    double perSpan = (double) total[0] / n;
    System.out.printf("typical HTTP server span from Cairn's tracer: %.1f bytes/span on disk%n", perSpan);
    assertTrue(perSpan <= 40, "bytes per span: " + perSpan);
  }
}
