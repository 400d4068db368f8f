package dev.cairn.bench.shipper;

import dev.cairn.bench.BenchFiles;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.ProcessInfo;
import dev.cairn.core.testing.TestSpans;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The shipper daemon, started from its configuration as {@code cairn shipper} starts it, measured
 * from outside:
 *
 * <ul>
 *   <li>{@link #ingest}: a span file of {@value #FILE_BLOCKS} blocks of {@value #SPANS_PER_BLOCK}
 *       typical HTTP spans appears in the watched directory; the time until the shipper's
 *       {@code /metrics} count all of its spans as journaled (CRCs checked, block appended to the
 *       primary and the replica journal, trace IDs indexed). The score is time per span; spans/s
 *       is its inverse. It includes finding the file (the scan runs every 10 ms here).</li>
 *   <li>{@link #pull}: PULL answers of up to 8 MiB over loopback, from an authenticated
 *       connection, the way a puller reads; the {@code bytes} counter is block bytes per second.</li>
 * </ul>
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar ShipperBenchmark
 * </pre>
 */
@Fork(value = 3, jvmArgsAppend = "-Xmx1g")
public class ShipperBenchmark {
  static final int SPANS_PER_BLOCK = 420;
  static final int FILE_BLOCKS = 2_000;
  static final String SECRET = "benchmark-secret-0123456789abcdef";
  private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);

  /** A running shipper watching an empty directory, and one prepared block. */
  @State(Scope.Benchmark)
  public static class Running {
    Path dir;
    Path spans;
    Shipper shipper;
    byte[] block;
    int files;

    @Setup(Level.Trial)
    public void start() throws IOException {
      dir = Files.createTempDirectory("cairn-bench-shipper");
      spans = Files.createDirectories(dir.resolve("spans"));
      Files.createDirectories(dir.resolve("staging"));
      Path yaml = dir.resolve("shipper.yaml");
      Files.writeString(yaml, String.join("\n",
          "name: bench",
          "spans: [" + spans + "/]",
          "journal:",
          "  primary: " + dir.resolve("journal-primary"),
          "  replica: " + dir.resolve("journal-replica"),
          "auth:",
          "  secret: " + SECRET,
          "listen: 127.0.0.1:0",
          "http: 127.0.0.1:0",
          "scanIntervalMillis: 10",
          "checkWriterProcess: false",
          ""));
      shipper = Shipper.start(ShipperConfig.load(yaml, List.of()));
      BlockEncoder encoder = new BlockEncoder(64 * 1024);
      TestSpans generated = new TestSpans(11);
      for (int i = 0; i < SPANS_PER_BLOCK; i++) {
        encoder.addSpan(generated.httpServerSpan());
      }
      ByteBuffer b = encoder.finish();
      block = Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
    }

    @TearDown(Level.Trial)
    public void stop() throws IOException {
      shipper.close();
      BenchFiles.deleteTree(dir);
    }

    /** Writes a span file in the staging directory, outside the watched one. */
    Path stage() throws IOException {
      int n = files++;
      Path staged = dir.resolve("staging").resolve(String.format("spans-20260101T000000Z-4242-%06d.cairn", n));
      byte[] header = new FileHeader(UUID.randomUUID(), System.currentTimeMillis() * 1000,
          new ProcessInfo("bench", "bench-host", "", 4242, 1_000_000L, Map.of())).encode();
      try (OutputStream out = Files.newOutputStream(staged)) {
        out.write(header);
        for (int i = 0; i < FILE_BLOCKS; i++) {
          out.write(block);
        }
      }
      return staged;
    }

    /** Moves a staged file in and waits until the shipper has journaled all of its records. */
    void ship(Path staged) throws IOException {
      long target = journaledRecords() + (long) FILE_BLOCKS * SPANS_PER_BLOCK;
      Files.move(staged, spans.resolve(staged.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      long deadline = System.nanoTime() + WAIT_NANOS;
      while (journaledRecords() < target) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("the shipper did not journal the file within 60 s");
        }
        LockSupport.parkNanos(1_000_000);
      }
    }

    long journaledRecords() throws IOException {
      HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:"
          + shipper.httpAddress().getPort() + "/metrics").toURL().openConnection();
      try (InputStream in = c.getInputStream()) {
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          if (line.startsWith("cairn_shipper_journaled_records_total ")) {
            return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1).trim());
          }
        }
      }
      throw new IllegalStateException("no cairn_shipper_journaled_records_total in /metrics");
    }
  }

  /** One span file per iteration, written before the measurement starts. */
  @State(Scope.Thread)
  public static class Staged {
    Path file;

    @Setup(Level.Iteration)
    public void stage(Running running) throws IOException {
      file = running.stage();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  @Warmup(iterations = 3)
  @Measurement(iterations = 10)
  @OperationsPerInvocation(FILE_BLOCKS * SPANS_PER_BLOCK)
  public void ingest(Running running, Staged staged) throws IOException {
    running.ship(staged.file);
  }

  /** Block bytes received, reported per second. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.OPERATIONS)
  public static class Received {
    public long bytes;
    public long blocks;

    @Setup(Level.Iteration)
    public void reset() {
      bytes = 0;
      blocks = 0;
    }
  }

  /** A connected, authenticated puller over a journal holding one file of blocks. */
  @State(Scope.Thread)
  public static class Puller {
    PullConnection connection;
    long cursor;

    @Setup(Level.Trial)
    public void connect(Running running) throws Exception {
      running.ship(running.stage());
      connection = PullConnection.open(running.shipper.pullAddress().getPort(), SECRET);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
      connection.close();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Warmup(iterations = 3, time = 2)
  @Measurement(iterations = 5, time = 2)
  public Batch pull(Puller p, Received received) throws Exception {
    Batch batch = p.connection.pull(p.cursor, 8 << 20);
    if (batch.entries().isEmpty()) {
      p.cursor = 0; // read it all: start again from the oldest block
      return batch;
    }
    for (BlockEntry e : batch.entries()) {
      received.bytes += e.block().remaining();
    }
    received.blocks += batch.entries().size();
    p.cursor = batch.nextCursor();
    return batch;
  }
}
