package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Ingest throughput on one thread: files of blocks of 420 typical HTTP spans read, verified (both
 * CRCs) and journaled. With {@code count} the journal only counts (the tailer's own cost); with
 * {@code chronicle} it is the real {@link ChronicleJournal}, primary and replica under the
 * directory. Prints spans/s and MB/s. Arguments: directory (must not exist), blocks per file,
 * files, rounds, {@code count} or {@code chronicle}.
 *
 * <pre>
 * java -cp ... dev.cairn.shipper.TailerThroughput /tmp/tput 1500 2 5 chronicle
 * </pre>
 */
final class TailerThroughput {
  private TailerThroughput() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args[0]));
    int blocks = Integer.parseInt(args[1]);
    int files = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    boolean chronicle = args.length > 4 && args[4].equals("chronicle");
    long spans = 0;
    long bytes = 0;
    for (int i = 0; i < files; i++) {
      try (SpanFileFixture f = SpanFileFixture.create(dir.resolve("spans-" + i + ".cairn"))) {
        byte[] block = f.block(420);
        for (int b = 0; b < blocks; b++) {
          f.appendBlock(block);
        }
        spans += 420L * blocks;
        bytes += f.size();
      }
    }
    System.out.printf("%d files, %d blocks of %d bytes, %d spans, %.1f MB%n", files,
        (long) files * blocks, (bytes / files) / blocks, spans, bytes / 1e6);
    for (int r = 0; r < rounds; r++) {
      Path state = Files.createTempDirectory(dir.getParent(), "tput-state");
      Journal journal = chronicle
          ? ChronicleJournal.open(state.resolve("primary"), state.resolve("replica"), new ShipperMetrics())
          : new CountingJournal();
      SpanFileTailer t = new SpanFileTailer(List.of(dir + "/"), journal, new RecordingIndex(),
          new CheckpointStore(state.resolve("cp")), new ShipperMetrics(),
          TailerOptions.builder().scanIntervalMillis(60_000).build());
      long start = System.nanoTime();
      while (t.pollOnce() > 0) {
        // read everything
      }
      double s = (System.nanoTime() - start) / 1e9;
      t.close();
      long blocksJournaled = journal.lastSeq();
      journal.close();
      System.out.printf("round %d: %d blocks in %.3f s: %.2f M spans/s, %.0f MB/s%n", r,
          blocksJournaled, s, spans / s / 1e6, bytes / s / 1e6);
    }
  }

  /** Counts appends; the tailer's own cost without a queue behind it. */
  private static final class CountingJournal implements Journal {
    long seq;
    long sink;

    @Override
    public long append(UUID fileId, long fileOffset, ByteBuffer block) {
      sink += block.get(block.position());
      return ++seq;
    }

    @Override
    public long firstSeq() {
      return 1;
    }

    @Override
    public long lastSeq() {
      return seq;
    }

    @Override
    public Reader reader() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void onAppend(Runnable listener) {}

    @Override
    public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long primaryBytes() {
      return 0;
    }

    @Override
    public long replicaBytes() {
      return 0;
    }

    @Override
    public Source servingFrom() {
      return Source.PRIMARY;
    }

    @Override
    public void close() {}
  }
}
