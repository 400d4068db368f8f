package dev.cairn.shipper;

import java.nio.file.Path;
import java.util.List;

/**
 * A shipper's ingest loop and nothing else, for {@link SpanFileTailerCrashIT} to kill with
 * SIGKILL: opens the {@link ChronicleJournal} (primary and replica under the journal directory),
 * recovers, then polls and checkpoints until killed. Prints {@code recovered <seq>} once, then
 * {@code seq <last journaled seq>} every 50 ms. Halts when its standard input closes (the test is
 * gone). Arguments: span directory, journal directory, checkpoint file.
 */
final class TailerChild {
  private TailerChild() {}

  public static void main(String[] args) throws Exception {
    Thread guard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever sent
        }
      } catch (java.io.IOException e) {
        // the parent is gone
      }
      Runtime.getRuntime().halt(4);
    }, "orphan-guard");
    guard.setDaemon(true);
    guard.start();

    Path spans = Path.of(args[0]);
    Path journalDir = Path.of(args[1]);
    ShipperMetrics metrics = new ShipperMetrics();
    ChronicleJournal journal = ChronicleJournal.open(journalDir.resolve("primary"),
        journalDir.resolve("replica"), metrics);
    SpanFileTailer tailer = new SpanFileTailer(List.of(spans + "/"), journal, new RecordingIndex(),
        new CheckpointStore(Path.of(args[2])), metrics,
        TailerOptions.builder().scanIntervalMillis(20).checkpointIntervalMillis(50).build());
    tailer.recover();
    System.out.println("recovered " + tailer.lastSeq());
    System.out.flush();
    long lastReport = 0;
    while (true) {
      if (tailer.pollOnce() == 0) {
        Thread.sleep(1);
      }
      tailer.checkpointIfDue();
      long now = System.nanoTime();
      if (now - lastReport > 50_000_000L) {
        lastReport = now;
        System.out.println("seq " + tailer.lastSeq());
        System.out.flush();
      }
    }
  }
}
