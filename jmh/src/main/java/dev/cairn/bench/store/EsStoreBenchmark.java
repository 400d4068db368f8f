package dev.cairn.bench.store;

import dev.cairn.store.elasticsearch.EsSpanStore;
import java.net.URI;
import java.util.List;
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
 * The Elasticsearch store's bulk writes of the very spans {@link StoreBenchmark} writes into the
 * embedded store ({@link TraceBatches}: batches of {@value TraceBatches#BATCH} spans, one
 * {@code writer().write} each), in spans/s, to read side by side with
 * {@code StoreBenchmark.writeBatch}. The store is {@code EsSpanStore} as the puller opens it (one
 * shard, no replica: a one-node cluster), under an index prefix of its own that the tear-down
 * deletes; {@code spans} spans are written before measuring, as for the embedded store.
 *
 * <p>Needs a running Elasticsearch at {@code esUrl}. Without one ({@code esUrl} empty, the
 * default, or nothing answering there) the set-up fails at once with the reason; jmh/bench.sh and
 * the smoke test ask {@link EsProbe} first and report the benchmark as skipped instead.
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar EsStoreBenchmark -p esUrl=http://127.0.0.1:9200
 * CAIRN_BENCH_ES=start jmh/bench.sh short      # starts the test node store-elasticsearch unpacks
 * </pre>
 */
@State(Scope.Benchmark)
// Elasticsearch's own JIT needs 10-15 s of writes before its rate settles (on a loaded 2-core
// machine: 900 spans/s in the first 2 s, 5,000-9,000 after 12 s).
@Warmup(iterations = 8, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = "-Xmx2g")
public class EsStoreBenchmark {
  /** The node's http(s) URL; empty: no Elasticsearch, the benchmark is skipped. */
  @Param("")
  String esUrl;

  /** Spans in the store before measuring. */
  @Param("100000")
  int spans;

  String prefix;
  EsSpanStore store;
  final TraceBatches batches = new TraceBatches();

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    EsProbe.unavailable(esUrl).ifPresent(why -> {
      throw new IllegalStateException("EsStoreBenchmark skipped: " + why);
    });
    prefix = "cairn-bench-" + ProcessHandle.current().pid();
    store = EsSpanStore.builder(List.of(URI.create(esUrl.trim()))).indexPrefix(prefix)
        .shards(1).replicas(0).build();
    for (int written = 0; written < spans; written += TraceBatches.BATCH) {
      store.writer().write(batches.next());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (store != null) {
      store.close();
      EsProbe.deleteAll(esUrl, prefix);
    }
  }

  /** A batch written: every span acknowledged by Elasticsearch when this returns. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @OperationsPerInvocation(TraceBatches.BATCH)
  public Object writeBatch() throws Exception {
    return store.writer().write(batches.next());
  }
}
