package dev.cairn.store;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Write throughput, trace-by-ID latency and tag search latency of the embedded store at 100,000
 * spans (10,000 traces of 10 spans, each span with 8 attributes, one a business key), written in
 * batches of 1,000 spans from one thread. A measurement, not part of the suite (its name matches no
 * test pattern); run it with
 * {@code mvn -B -o -pl store test -Dtest=EmbeddedStoreMeasurement -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Dspans=…} to change the size). Figures are in docs/store-embedded.md.
 */
public class EmbeddedStoreMeasurement {
  private static final long T0 = 1_763_700_000_000_000L;
  private static final String[] SERVICES = {"web", "cart", "auth", "db", "payments"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};

  @Test
  void measure(@TempDir Path dir) throws Exception {
    run(dir, Integer.getInteger("spans", 100_000));
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("cairn-store-measure");
    run(dir, args.length > 0 ? Integer.parseInt(args[0]) : 100_000);
  }

  static void run(Path dir, int spanCount) throws Exception {
    Random random = new Random(42);
    int perTrace = 10;
    int traces = spanCount / perTrace;
    List<StoredSpan> all = dataSet(spanCount);
    List<TraceId> ids = new ArrayList<>(traces);
    for (int i = 0; i < all.size(); i += perTrace) {
      ids.add(TraceId.of(all.get(i).span()));
    }

    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(dir)) {
      long t0 = System.nanoTime();
      for (int i = 0; i < all.size(); i += 1000) {
        store.writer().write(WriteBatch.ofSpans(all.subList(i, Math.min(all.size(), i + 1000))));
      }
      double writeSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("write: %,d spans in batches of 1,000: %.2f s, %,.0f spans/s%n",
          all.size(), writeSeconds, all.size() / writeSeconds);

      int lookups = 2000;
      long[] byId = new long[lookups];
      for (int i = 0; i < lookups; i++) {
        TraceId id = ids.get(random.nextInt(ids.size()));
        long s = System.nanoTime();
        Trace trace = store.reader().trace(id).orElseThrow();
        byId[i] = System.nanoTime() - s;
        if (trace.spans().size() != perTrace) {
          throw new AssertionError("trace " + id + " has " + trace.spans().size() + " spans");
        }
      }
      print("trace(id), 10 spans", byId);

      long[] byKey = new long[lookups];
      for (int i = 0; i < lookups; i++) {
        int t = random.nextInt(traces);
        long s = System.nanoTime();
        List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder()
            .tag("order.id", Long.toString(1_000_000L + t)).build());
        byKey[i] = System.nanoTime() - s;
        if (found.size() != 1 || !found.get(0).traceId().equals(ids.get(t))) {
          throw new AssertionError("order " + t + ": " + found);
        }
      }
      print("findTraces(tag order.id=…), 1 hit", byKey);

      int rounds = 200;
      long[] broad = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long s = System.nanoTime();
        List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder().service("cart")
            .tag("http.route", ROUTES[i % ROUTES.length]).limit(20).build());
        broad[i] = System.nanoTime() - s;
        if (found.size() != 20) {
          throw new AssertionError("broad search found " + found.size());
        }
      }
      print("findTraces(service cart, tag http.route=…), ~15k matching spans, limit 20", broad);

      long[] recent = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long s = System.nanoTime();
        store.reader().findTraces(TraceQuery.builder().service("web").limit(20).build());
        recent[i] = System.nanoTime() - s;
      }
      print("findTraces(service web), summaries only, limit 20", recent);
    }
    long bytes;
    try (Stream<Path> files = Files.list(dir)) {
      bytes = files.mapToLong(p -> p.toFile().length()).sum();
    }
    System.out.printf("index size: %,d bytes, %.1f bytes/span%n", bytes, bytes / (double) all.size());

    // the same spans from 4 writer threads into a fresh store: batches queued during a commit
    // share the next one (CommitPolicy.GROUP)
    Path dir2 = Files.createDirectories(dir.resolve("concurrent"));
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(dir2)) {
      ExecutorService pool = Executors.newFixedThreadPool(4);
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < all.size(); i += 1000) {
        List<StoredSpan> batch = all.subList(i, Math.min(all.size(), i + 1000));
        done.add(pool.submit(() -> store.writer().write(WriteBatch.ofSpans(batch))));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      pool.shutdown();
      System.out.printf("write, 4 threads: %,d spans in batches of 1,000: %.2f s, %,.0f spans/s%n",
          all.size(), seconds, all.size() / seconds);
    }
  }

  /**
   * The measured data set, the same for every store measured: 10,000 traces of 10 spans over six
   * minutes (a "web" root calling four services), 8 attributes per span, one a business key.
   */
  public static List<StoredSpan> dataSet(int spanCount) {
    Random random = new Random(42);
    int perTrace = 10;
    int traces = spanCount / perTrace;
    List<StoredSpan> all = new ArrayList<>(spanCount);
    for (int t = 0; t < traces; t++) {
      TraceId id = new TraceId((T0 / 1_000_000) << 32 | random.nextInt() & 0xFFFFFFFFL,
          random.nextLong() | 1);
      long start = T0 + t * 36_000L; // 10,000 traces over 6 minutes
      long rootId = random.nextLong() | 1;
      for (int s = 0; s < perTrace; s++) {
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
            .addAttribute(new Attribute("order.id", Long.toString(1_000_000L + t), true))
            .build();
        all.add(new StoredSpan(span, s == 0 ? "" : "web"));
      }
    }

    return all;
  }

  private static void print(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("%s: p50 %.3f ms, p99 %.3f ms (%d calls)%n", what,
        sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6, sorted.length);
  }
}
