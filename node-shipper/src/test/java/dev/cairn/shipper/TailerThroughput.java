package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * What the tailer alone costs per span: files of 64 KB blocks (about 420 typical HTTP spans each)
 * read, verified (both CRCs) and handed to a journal that only counts. Prints spans/s and MB/s
 * on one thread. Arguments: directory (deleted afterwards), blocks per file, files, rounds.
 *
 * <pre>
 * java -cp ... dev.cairn.shipper.TailerThroughput /tmp/tput 2000 4 5
 * </pre>
 */
final class TailerThroughput {
  private TailerThroughput() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args[0]));
    int blocks = Integer.parseInt(args[1]);
    int files = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
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
      Path state = Files.createTempDirectory(dir, "state");
      CountingJournal journal = new CountingJournal();
      SpanFileTailer t = new SpanFileTailer(List.of(dir + "/"), journal, new RecordingIndex(),
          new CheckpointStore(state.resolve("cp")), new ShipperMetrics(),
          TailerOptions.builder().scanIntervalMillis(60_000).build());
      long start = System.nanoTime();
      while (t.pollOnce() > 0) {
        // read everything
      }
      double s = (System.nanoTime() - start) / 1e9;
      t.close();
      System.out.printf("round %d: %d blocks in %.3f s: %.2f M spans/s, %.0f MB/s%n", r,
          journal.seq, s, spans / s / 1e6, bytes / s / 1e6);
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
