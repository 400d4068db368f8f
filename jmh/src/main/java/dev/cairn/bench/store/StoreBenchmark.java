package dev.cairn.bench.store;

import dev.cairn.bench.BenchFiles;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
 * {@code spans} spans of {@link TraceBatches} first; the 1M and 10M figures come from the store
 * module's longer {@code EmbeddedStoreMeasurement} of the same workload, see
 * docs/store-embedded.md. {@link EsStoreBenchmark} writes the same spans into Elasticsearch.
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
  static final int BATCH = TraceBatches.BATCH;
  private static final int PER_TRACE = TraceBatches.PER_TRACE;

  /** Spans in the store before measuring. */
  @Param("100000")
  int spans;

  Path dir;
  EmbeddedSpanStore store;
  final TraceBatches batches = new TraceBatches();
  List<TraceId> traces;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("cairn-bench-store");
    store = EmbeddedSpanStore.open(dir);
    for (int written = 0; written < spans; written += BATCH) {
      store.writer().write(batches.next());
    }
    traces = List.copyOf(batches.traces());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    BenchFiles.deleteTree(dir);
  }

  /** A batch written and durable (the store's contract: it survives kill -9 when this returns). */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(BATCH)
  public Object writeBatch() throws Exception {
    return store.writer().write(batches.next());
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
