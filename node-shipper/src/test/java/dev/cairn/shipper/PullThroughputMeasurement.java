package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PULL throughput over loopback: a {@link ChronicleJournal} (primary and replica in a temporary
 * directory) of 64 KiB blocks pulled from cursor 0 to its end,
 * again and again for a few seconds, by a blocking JDK-socket client. A measurement, not part of
 * the suite (its name matches no test pattern); run it with
 * {@code mvn -B -o -pl trace-core,node-shipper test -Dtest=PullThroughputMeasurement -Dsurefire.failIfNoSpecifiedTests=false}.
 * Prints MB/s (10^6 bytes of blocks per second).
 */
class PullThroughputMeasurement {
  private static final byte[] SECRET = "pull-secret-for-tests-0123456789".getBytes(StandardCharsets.US_ASCII);

  @Test
  void pullThroughputOverLoopback(@TempDir Path dir) throws Exception {
    int blocks = Integer.getInteger("blocks", 2048);
    int blockSize = Integer.getInteger("blockSize", 64 * 1024);
    int maxBytes = Integer.getInteger("maxBytes", 8 << 20);
    long seconds = Long.getLong("seconds", 8);
    ShipperMetrics metrics = new ShipperMetrics();
    Journal journal = ChronicleJournal.open(dir.resolve("primary"), dir.resolve("replica"), metrics);
    byte[] block = new byte[blockSize];
    new Random(1).nextBytes(block);
    UUID file = UUID.randomUUID();
    for (int i = 0; i < blocks; i++) {
      journal.append(file, (long) i * blockSize, ByteBuffer.wrap(block));
    }
    TraceIndex index = SegmentedTraceIndex.builder(dir.resolve("index")).open();
    PullServer server = PullServer.builder(journal, index, SECRET, metrics)
        .listen("127.0.0.1", 0).maxBatchBytes(maxBytes).build().start();
    try (PullClient client = PullClient.connect(server.port()).login(SECRET)) {
      long warmupEnd = System.nanoTime() + 2_000_000_000L;
      while (System.nanoTime() < warmupEnd) {
        pass(client, maxBytes, blocks);
      }
      long bytes = 0;
      int passes = 0;
      long t0 = System.nanoTime();
      long end = t0 + seconds * 1_000_000_000L;
      while (System.nanoTime() < end) {
        bytes += pass(client, maxBytes, blocks);
        passes++;
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf("PULL throughput: %d passes over %d blocks of %d bytes, maxBytes %d: %.0f MB/s (%.2f GiB/s), %.1f s%n",
          passes, blocks, blockSize, maxBytes, bytes / secs / 1e6, bytes / secs / (1 << 30), secs);
    } finally {
      try {
        server.close();
      } finally {
        index.close();
        journal.close();
      }
    }
  }

  /** Pulls every block once; returns the block bytes received. */
  private static long pass(PullClient client, int maxBytes, int blocks) throws Exception {
    long cursor = 0;
    long bytes = 0;
    int count = 0;
    while (count < blocks) {
      Batch b = client.pull(cursor, maxBytes, 0);
      for (BlockEntry e : b.entries()) {
        bytes += e.block().remaining();
      }
      count += b.entries().size();
      cursor = b.nextCursor();
    }
    assertEquals(blocks + 1L, cursor);
    return bytes;
  }
}
