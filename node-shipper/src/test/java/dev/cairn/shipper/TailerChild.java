package dev.cairn.shipper;

import java.nio.file.Path;
import java.util.List;

/**
 * A shipper's ingest loop and nothing else, for {@link SpanFileTailerCrashIT} to kill with
 * SIGKILL: recovers, then polls and checkpoints until killed. Arguments: span directory, journal
 * file, checkpoint file.
 */
final class TailerChild {
  private TailerChild() {}

  public static void main(String[] args) throws Exception {
    Path spans = Path.of(args[0]);
    TestJournal journal = new TestJournal(Path.of(args[1]));
    ShipperMetrics metrics = new ShipperMetrics();
    SpanFileTailer tailer = new SpanFileTailer(List.of(spans + "/"), journal, new RecordingIndex(),
        new CheckpointStore(Path.of(args[2])), metrics,
        TailerOptions.builder().scanIntervalMillis(20).checkpointIntervalMillis(50).build());
    tailer.recover();
    System.out.println("recovered " + tailer.lastSeq());
    System.out.flush();
    while (true) {
      if (tailer.pollOnce() == 0) {
        Thread.sleep(1);
      }
      tailer.checkpointIfDue();
    }
  }
}
