package dev.cairn.store;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
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
 * Write throughput, size, trace-by-ID latency and search latency of the embedded store: traces of
 * 10 spans (1 {@code web} root, 9 calls to 4 other services), each span with 8 attributes, one of
 * them the business key {@code order.id} unique per trace, written by one caller in batches. A
 * measurement, not part of the suite (its name matches no test pattern); run it with
 * {@code mvn -B -o -pl store -am verify -DskipITs -Dtest=EmbeddedStoreMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false} and {@code -Dspans=1000000} (default 100,000),
 * {@code -Dbatch=…} (spans per write, default 1,000), {@code -Dwarmup=…} (spans written first into
 * a throwaway store, so the JIT has compiled the write path; default 0), {@code -Dstore.dir=…}
 * (default a temporary directory, deleted after). Spans are generated while writing, so 10,000,000 fit in the test
 * JVM's heap. Figures are in docs/store-embedded.md.
 */
public class EmbeddedStoreMeasurement {
  private static final long T0 = 1_763_700_000_000_000L;
  private static final int PER_TRACE = 10;
  private static final String[] SERVICES = {"web", "cart", "auth", "db", "payments"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};

  @Test
  void measure(@TempDir Path tmp, @TempDir Path scratch) throws Exception {
    int warmup = Integer.getInteger("warmup", 0);
    if (warmup > 0) {
      try (EmbeddedSpanStore store = EmbeddedSpanStore.open(scratch)) {
        Random random = new Random(7);
        List<StoredSpan> batch = new ArrayList<>();
        for (int t = 0; t < warmup / PER_TRACE; t++) {
          trace(random, t, batch);
          if (batch.size() >= Integer.getInteger("batch", 1_000)) {
            store.writer().write(WriteBatch.ofSpans(batch));
            batch.clear();
          }
        }
      }
      System.out.printf("warm-up: %,d spans written to a throwaway store first%n", warmup);
    }
    String where = System.getProperty("store.dir");
    run(where == null ? tmp : Files.createDirectories(Path.of(where)),
        Integer.getInteger("spans", 100_000), Integer.getInteger("batch", 1_000));
  }

  static void run(Path dir, int spanCount, int batchSize) throws Exception {
    int traces = spanCount / PER_TRACE;
    Random random = new Random(42);
    List<TraceId> ids = new ArrayList<>(traces);
    System.out.printf("load before: %s%n", loadAverage());
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(dir)) {
      List<StoredSpan> batch = new ArrayList<>(batchSize);
      long generating = 0;
      ThreadCpu threads = ThreadCpu.start();
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      for (int t = 0; t < traces; t++) {
        long g = System.nanoTime();
        TraceId id = trace(random, t, batch);
        ids.add(id);
        generating += System.nanoTime() - g;
        if (batch.size() >= batchSize) {
          store.writer().write(WriteBatch.ofSpans(batch));
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        store.writer().write(WriteBatch.ofSpans(batch));
      }
      double seconds = (System.nanoTime() - t0 - generating) / 1e9;
      double cpu = (processCpuNanos() - cpu0 - generating) / 1e9;
      System.out.printf("write, one caller, batches of %,d: %,d spans in %.2f s (generating them"
          + " excluded, %.2f s): %,.0f spans/s; CPU of the process %.2f s, %.1f µs per span;"
          + " load %s%n", batchSize, spanCount, seconds, generating / 1e9, spanCount / seconds,
          cpu, cpu * 1e6 / spanCount, loadAverage());
      System.out.printf("  CPU per span by thread (the store's, not disturbed by load): %s%n",
          threads.stop(spanCount));

      int lookups = 2000;
      long[] byId = new long[lookups];
      for (int i = 0; i < lookups; i++) {
        TraceId id = ids.get(random.nextInt(ids.size()));
        long s = System.nanoTime();
        Trace trace = store.reader().trace(id).orElseThrow();
        byId[i] = System.nanoTime() - s;
        if (trace.spans().size() != PER_TRACE) {
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

      // the last 10,000 traces: as a UI user narrows a broad search to a recent window
      long windowFrom = start(Math.max(0, traces - 10_000));
      long windowTo = start(traces - 1);
      int rounds = 200;
      long[] broad = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long s = System.nanoTime();
        List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder().service("cart")
            .tag("http.route", ROUTES[i % ROUTES.length]).startFromMicros(windowFrom)
            .startToMicros(windowTo).limit(20).build());
        broad[i] = System.nanoTime() - s;
        if (found.size() != 20) {
          throw new AssertionError("broad search found " + found.size());
        }
      }
      print("findTraces(service cart, tag http.route=…, last 10,000 traces), limit 20", broad);

      long[] recent = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long s = System.nanoTime();
        store.reader().findTraces(TraceQuery.builder().service("web").limit(20).build());
        recent[i] = System.nanoTime() - s;
      }
      print("findTraces(service web), summaries only, limit 20", recent);
    }
    long bytes = size(dir);
    System.out.printf("store size after close: %,d bytes, %.1f bytes/span%n", bytes,
        bytes / (double) spanCount);

    if (spanCount <= 200_000) {
      concurrent(dir.resolve("concurrent"), spanCount, batchSize);
    }
    System.out.printf("load after: %s%n", loadAverage());
  }

  /** The same spans from 4 writer threads into a fresh store: batches share log syncs. */
  private static void concurrent(Path dir, int spanCount, int batchSize) throws Exception {
    List<StoredSpan> all = dataSet(spanCount);
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(Files.createDirectories(dir))) {
      double seconds = writeConcurrently(store.writer(), all, batchSize, 4);
      System.out.printf("write, 4 callers, batches of %,d: %,d spans in %.2f s, %,.0f spans/s%n",
          batchSize, all.size(), seconds, all.size() / seconds);
    }
  }

  private static long start(int trace) {
    return T0 + trace * 36_000L; // 10,000 traces in 6 minutes
  }

  /**
   * The measured data set, the same for every store measured (the Elasticsearch store's
   * measurement uses it too): {@code spanCount / 10} traces as written here, in memory.
   */
  public static List<StoredSpan> dataSet(int spanCount) {
    Random random = new Random(42);
    List<StoredSpan> all = new ArrayList<>(spanCount);
    for (int t = 0; t < spanCount / PER_TRACE; t++) {
      trace(random, t, all);
    }
    return all;
  }

  /**
   * Appends the 10 spans of trace number {@code t} to {@code out}: the workload of this measurement,
   * of the Elasticsearch store's and of the jmh module's store benchmarks, so their figures compare.
   */
  public static TraceId trace(Random random, int t, List<StoredSpan> out) {
    TraceId id = new TraceId((T0 / 1_000_000) << 32 | random.nextInt() & 0xFFFFFFFFL,
        random.nextLong() | 1);
    long start = start(t);
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
          .addAttribute(new Attribute("order.id", Long.toString(1_000_000L + t), true))
          .build();
      out.add(new StoredSpan(span, s == 0 ? "" : "web"));
    }
    return id;
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> !p.startsWith(dir.resolve("concurrent")) && Files.isRegularFile(p))
          .mapToLong(p -> p.toFile().length()).sum();
    }
  }

  /** CPU time of this whole JVM (every thread: writer, log sync, Lucene merges, GC, JIT). */
  /**
   * CPU time of each thread while it runs, polled every 20 ms so that short-lived threads (Lucene's
   * merges) are counted too (but for up to 20 ms each). Unlike the process's CPU time or wall
   * time, a thread's own CPU time does not grow with the machine's load.
   */
  static final class ThreadCpu {
    private final java.lang.management.ThreadMXBean mx =
        java.lang.management.ManagementFactory.getThreadMXBean();
    private final java.util.Map<Long, long[]> byId = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Long, String> names = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean running = true;
    private Thread poller;

    static ThreadCpu start() {
      ThreadCpu t = new ThreadCpu();
      t.poll(); // first readings: the CPU each thread had before
      t.poller = new Thread(() -> {
        while (t.running) {
          t.poll();
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "measurement-thread-cpu");
      t.poller.setDaemon(true);
      t.poller.start();
      return t;
    }

    private void poll() {
      for (java.lang.management.ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
        if (info == null) {
          continue;
        }
        long cpu = mx.getThreadCpuTime(info.getThreadId());
        if (cpu < 0) {
          continue;
        }
        names.putIfAbsent(info.getThreadId(), info.getThreadName().replaceAll("\\d+", "#"));
        byId.compute(info.getThreadId(), (k, v) -> v == null
            ? new long[] {poller == null ? cpu : 0, cpu} : new long[] {v[0], cpu});
      }
    }

    /** Microseconds of CPU per span of each kind of thread, largest first. */
    String stop(int spans) throws InterruptedException {
      running = false;
      poller.join();
      poll();
      java.util.Map<String, Long> byName = new java.util.TreeMap<>();
      byId.forEach((id, v) -> byName.merge(names.get(id), v[1] - v[0], Long::sum));
      StringBuilder out = new StringBuilder();
      byName.entrySet().stream().filter(e -> e.getValue() * 1e-3 / spans >= 0.05)
          .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
          .forEach(e -> out.append(String.format("%s %.2f µs, ", e.getKey(), e.getValue() * 1e-3 / spans)));
      return out.length() == 0 ? "-" : out.substring(0, out.length() - 2);
    }
  }

  /** Writes {@code all} in batches from {@code threads} threads; returns the seconds it took. */
  public static double writeConcurrently(SpanWriter writer, List<StoredSpan> all, int batchSize,
      int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < all.size(); i += batchSize) {
        List<StoredSpan> batch = all.subList(i, Math.min(all.size(), i + batchSize));
        done.add(pool.submit(() -> writer.write(WriteBatch.ofSpans(batch))));
      }
      for (Future<?> f : done) {
        f.get();
      }
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      pool.shutdown();
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /** The machine's load average line, what the figures depend on. */
  public static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Prints the p50 and p99 of these durations. */
  public static void print(String what, long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf("%s: p50 %.3f ms, p99 %.3f ms (%d calls)%n", what,
        sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.99)] / 1e6, sorted.length);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("cairn-store-measure");
    run(dir, args.length > 0 ? Integer.parseInt(args[0]) : 100_000,
        args.length > 1 ? Integer.parseInt(args[1]) : 1_000);
  }
}
