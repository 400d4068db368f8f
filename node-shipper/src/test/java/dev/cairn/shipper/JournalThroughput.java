package dev.cairn.shipper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Measures the journal's ingest rate: real 64 KiB blocks of typical HTTP spans appended to the
 * primary and the replica, as the ingest thread does, then read back in order with one reader.
 * Not a test (nothing asserts a speed); run it by hand, see docs/shipper-journal.md.
 *
 * <p>Arguments: [directory (default: a temp directory)] [seconds per run (default 8)]. Each run
 * also stops after 1.5 GiB per copy, to spare the disk.
 */
final class JournalThroughput {
  private static final long MAX_BYTES = 1536L << 20;

  private JournalThroughput() {}

  public static void main(String[] args) throws IOException {
    Path root = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("journal-throughput");
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 8;
    List<byte[]> blocks = JournalFixtures.blocks();
    long blockBytes = 0;
    long records = 0;
    for (byte[] b : blocks) {
      blockBytes += b.length;
      records += JournalFixtures.records(ByteBuffer.wrap(b));
    }
    double bytesPerBlock = (double) blockBytes / blocks.size();
    double recordsPerBlock = (double) records / blocks.size();
    System.out.printf("blocks: %.0f bytes compressed (64 KiB of records), %.0f spans each%n",
        bytesPerBlock, recordsPerBlock);
    run(root.resolve("warm-up"), Math.min(2, seconds), blocks, recordsPerBlock, false);
    run(root.resolve("run"), seconds, blocks, recordsPerBlock, true);
    JournalFixtures.deleteTree(root);
  }

  private static void run(Path dir, double seconds, List<byte[]> blocks, double recordsPerBlock,
      boolean print) {
    ByteBuffer[] buffers = blocks.stream().map(ByteBuffer::wrap).toArray(ByteBuffer[]::new);
    UUID file = UUID.randomUUID();
    long n = 0;
    long bytes = 0;
    long start;
    long elapsed;
    try (ChronicleJournal journal = ChronicleJournal.open(dir.resolve("primary"), dir.resolve("replica"),
        new ShipperMetrics())) {
      long deadline = System.nanoTime() + (long) (seconds * 1e9);
      start = System.nanoTime();
      while (bytes < MAX_BYTES && (n & 63) != 0 || System.nanoTime() < deadline && bytes < MAX_BYTES) {
        ByteBuffer b = buffers[(int) (n % buffers.length)];
        journal.append(file, bytes, b);
        bytes += b.remaining();
        n++;
      }
      elapsed = System.nanoTime() - start;
      if (print) {
        double secs = elapsed / 1e9;
        System.out.printf("append: %,d blocks in %.2f s = %,.0f blocks/s, %,.0f MB/s of blocks"
                + " (%,.0f MB/s written to disk, primary + replica), %,.0f spans/s%n",
            n, secs, n / secs, bytes / secs / 1e6, 2 * bytes / secs / 1e6, n * recordsPerBlock / secs);
        System.out.printf("journal: primary %,d bytes, replica %,d bytes for %,d bytes of blocks%n",
            journal.primaryBytes(), journal.replicaBytes(), bytes);
      }
      long readStart = System.nanoTime();
      long read = 0;
      long readBytes = 0;
      try (Journal.Reader reader = journal.reader()) {
        for (JournalEntry e; (e = reader.next()) != null; ) {
          read++;
          readBytes += e.block().remaining();
        }
      }
      double readSecs = (System.nanoTime() - readStart) / 1e9;
      if (read != n) {
        throw new IllegalStateException("read " + read + " entries, appended " + n);
      }
      if (print) {
        System.out.printf("read:   %,d blocks in %.2f s = %,.0f blocks/s, %,.0f MB/s (one reader, copying"
            + " each entry out of the mapped file)%n", read, readSecs, read / readSecs, readBytes / readSecs / 1e6);
      }
    }
    JournalFixtures.deleteTree(dir);
  }
}
