package dev.cairn.appender;

/**
 * A snapshot of one {@code <SpanFile>} appender's counters, taken when asked for. Counters start at
 * zero when the appender's file manager starts and survive reconfiguration, because the manager
 * does. Every span or log line the appender was handed ends in exactly one of the written or
 * dropped counters once the writer has caught up.
 *
 * <pre>{@code
 * SpanFiles.stats("spans").ifPresent(s -> {
 *   if (s.dropped() > 0) { alert("span files lost " + s.dropped() + " records"); }
 * });
 * }</pre>
 *
 * @param spansWritten spans in blocks that reached the file
 * @param logsWritten captured business log lines in blocks that reached the file
 * @param logsWithoutTrace log events the appender saw that carried no trace and span ID (ignored)
 * @param droppedRingFull records refused because the ring was full (writer behind, disk slow)
 * @param droppedIo records in blocks whose write failed (disk full, I/O error)
 * @param droppedAfterStop records offered after the appender stopped
 * @param droppedNoAppender spans the default sink dropped because {@code cairn.spans} led to no
 *     {@code <SpanFile>} appender; process-wide, the same in every appender's snapshot
 * @param droppedEncode records that could not be encoded (larger than a block may hold, or a
 *     span implementation that threw)
 * @param blocksWritten blocks written
 * @param bytesWritten block bytes written (file headers not included)
 * @param filesCreated span files created
 * @param filesDeleted span files deleted by retention
 * @param ioErrors failed file operations (open, write, truncate, delete)
 * @param writerErrors unexpected exceptions the writer thread caught and survived
 */
public record SpanFileStats(
    long spansWritten,
    long logsWritten,
    long logsWithoutTrace,
    long droppedRingFull,
    long droppedIo,
    long droppedAfterStop,
    long droppedNoAppender,
    long droppedEncode,
    long blocksWritten,
    long bytesWritten,
    long filesCreated,
    long filesDeleted,
    long ioErrors,
    long writerErrors) {

  /** Records lost by this appender, whatever the reason ({@link #droppedNoAppender} excluded). */
  public long dropped() {
    return droppedRingFull + droppedIo + droppedAfterStop + droppedEncode;
  }
}
