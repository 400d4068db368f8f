package dev.cairn.bench.store;

import dev.cairn.bench.BenchFiles;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The embedded store through its public contract: writes in batches of {@value #BATCH} spans
 * (spans/s), and the two queries a user waits for, trace by ID and a business-key tag search,
 * as latency distributions (p50, p99 in the sample-time output). The store is filled with
 * {@code spans} spans first (10-span traces, 8 attributes each, one of them the business key
 * {@code order.id}: the workload of the store module's {@code EmbeddedStoreMeasurement}, on
 * purpose, so the figures compare); the 1M and 10M figures come from that longer measurement, see
 * docs/store-embedded.md.
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar StoreBenchmark -p spans=1000000
 * </pre>
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = "-Xmx2g")
public class StoreBenchmark {
  static final int BATCH = 1_000;
  private static final int PER_TRACE = 10;
  private static final long T0 = 1_763_700_000_000_000L;
  private static final String[] SERVICES = {"web", "cart", "auth", "db", "payments"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};

  /** Spans in the store before measuring. */
  @Param("100000")
  int spans;

  Path dir;
  EmbeddedSpanStore store;
  List<TraceId> traces;
  int nextTrace;
  final Random random = new Random(42);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("cairn-bench-store");
    store = EmbeddedSpanStore.open(dir);
    traces = new ArrayList<>(spans / PER_TRACE);
    for (int written = 0; written < spans; written += BATCH) {
      store.writer().write(nextBatch());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    BenchFiles.deleteTree(dir);
  }

  /** {@value #BATCH} new spans: 100 traces of 10 spans, each trace with its own order.id. */
  WriteBatch nextBatch() {
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

  /** A batch written and durable (the store's contract: it survives kill -9 when this returns). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public Object writeBatch() throws Exception {
    return store.writer().write(nextBatch());
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public Trace traceById() throws Exception {
    // Only traces written before the measurement: the write benchmark runs in its own fork.
    TraceId id = traces.get(ThreadLocalRandom.current().nextInt(spans / PER_TRACE));
    Trace trace = store.reader().trace(id).orElseThrow();
    if (trace.spans().size() != PER_TRACE) {
      throw new IllegalStateException("trace " + id + " has " + trace.spans().size() + " spans");
    }
    return trace;
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public List<TraceSummary> tagSearchBusinessKey() throws Exception {
    int t = ThreadLocalRandom.current().nextInt(spans / PER_TRACE);
    List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder()
        .tag("order.id", Long.toString(1_000_000L + t)).build());
    if (found.size() != 1) {
      throw new IllegalStateException("order.id " + (1_000_000L + t) + ": " + found.size() + " traces");
    }
    return found;
  }
}
