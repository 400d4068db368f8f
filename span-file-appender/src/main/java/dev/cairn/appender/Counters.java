package dev.cairn.appender;

import java.util.concurrent.atomic.LongAdder;

/**
 * The live counters behind {@link SpanFileStats}. LongAdder throughout: the drop counters are hit
 * by many application threads at once, and the writer-side ones cost the same to read.
 */
final class Counters {
  final LongAdder spansWritten = new LongAdder();
  final LongAdder logsWritten = new LongAdder();
  final LongAdder logsWithoutTrace = new LongAdder();
  final LongAdder droppedRingFull = new LongAdder();
  final LongAdder droppedIo = new LongAdder();
  final LongAdder droppedAfterStop = new LongAdder();
  final LongAdder droppedEncode = new LongAdder();
  final LongAdder blocksWritten = new LongAdder();
  final LongAdder bytesWritten = new LongAdder();
  final LongAdder filesCreated = new LongAdder();
  final LongAdder filesDeleted = new LongAdder();
  final LongAdder ioErrors = new LongAdder();
  final LongAdder writerErrors = new LongAdder();

  SpanFileStats snapshot(long droppedNoAppender) {
    return new SpanFileStats(spansWritten.sum(), logsWritten.sum(), logsWithoutTrace.sum(),
        droppedRingFull.sum(), droppedIo.sum(), droppedAfterStop.sum(), droppedNoAppender,
        droppedEncode.sum(), blocksWritten.sum(), bytesWritten.sum(), filesCreated.sum(),
        filesDeleted.sum(), ioErrors.sum(), writerErrors.sum());
  }

  /** Sum of everything that signals trouble, to tell whether there is news worth a warning. */
  long troubleTotal() {
    return droppedRingFull.sum() + droppedIo.sum() + droppedAfterStop.sum() + droppedEncode.sum()
        + ioErrors.sum() + writerErrors.sum();
  }
}
