package dev.cairn.bench.store;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The store benchmarks' workload, the same for every store: batches of {@value #BATCH} spans, 100
 * traces of {@value #PER_TRACE} spans, 8 attributes per span, one of them the business key
 * {@code order.id} (unique per trace: {@code 1000000 + n} for the n-th trace). The workload of the
 * store module's {@code EmbeddedStoreMeasurement}, on purpose, so the figures compare. Seeded, so
 * two stores fed by two instances get the very same spans.
 */
final class TraceBatches {
  static final int BATCH = 1_000;
  static final int PER_TRACE = 10;
  private static final long T0 = 1_763_700_000_000_000L;
  private static final String[] SERVICES = {"web", "cart", "auth", "db", "payments"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};

  private final Random random = new Random(42);
  private final List<TraceId> traces = new ArrayList<>();
  private int nextTrace;

  /** The IDs of every trace made so far, in order: the n-th has {@code order.id} 1000000 + n. */
  List<TraceId> traces() {
    return traces;
  }

  /** {@value #BATCH} new spans: 100 traces of 10 spans, each trace with its own order.id. */
  WriteBatch next() {
    List<StoredSpan> out = new ArrayList<>(BATCH);
    for (int t = 0; t < BATCH / PER_TRACE; t++) {
      int n = nextTrace++;
      TraceId id = new TraceId((T0 / 1_000_000) << 32 | random.nextInt() & 0xFFFFFFFFL,
          random.nextLong() | 1);
      traces.add(id);
      long start = T0 + n * 36_000L;
      long rootId = random.nextLong() | 1;
      for (int s = 0; s < PER_TRACE; s++) {
        String service = s == 0 ? "web" : SERVICES[1 + random.nextInt(SERVICES.length - 1)];
        String route = ROUTES[random.nextInt(ROUTES.length)];
        SpanRecord span = SpanRecord.builder().traceId(id.high(), id.low())
            .spanId(s == 0 ? rootId : random.nextLong() | 1).parentSpanId(s == 0 ? 0 : rootId)
            .service(service).scope("io.opentelemetry.http", "2.10.0")
            .name((s == 0 ? "GET " : "call ") + route)
            .kind(s == 0 ? SpanKind.SERVER : SpanKind.CLIENT)
            .startMicros(start + s * 100L).durationMicros(200 + random.nextInt(50_000))
            .status(random.nextInt(50) == 0 ? StatusCode.ERROR : StatusCode.UNSET, "")
            .addAttribute("http.request.method", "GET")
            .addAttribute("http.route", route)
            .addAttribute("url.path", route.replace("{id}", Integer.toString(random.nextInt(100_000))))
            .addAttribute("http.response.status_code", 200L)
            .addAttribute("url.scheme", "http")
            .addAttribute("client.address", "10.0." + random.nextInt(4) + "." + random.nextInt(256))
            .addAttribute("server.address", service + ".internal")
            .addAttribute(new Attribute("order.id", Long.toString(1_000_000L + n), true))
            .build();
        out.add(new StoredSpan(span, s == 0 ? "" : "web"));
      }
    }
    return WriteBatch.ofSpans(out);
  }
}
