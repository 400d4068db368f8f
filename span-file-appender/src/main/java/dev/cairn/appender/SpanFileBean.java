package dev.cairn.appender;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * Answers JMX reads by looking the appender up by name each time, so the bean registered for a
 * name keeps answering across reconfiguration, which replaces the appender object.
 */
final class SpanFileBean implements SpanFileMXBean {
  private static final SpanFileStats NONE =
      new SpanFileStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  private final String name;

  SpanFileBean(String name) {
    this.name = name;
  }

  private SpanFileStats s() {
    return SpanFiles.stats(name).orElse(NONE);
  }

  private String path(Function<SpanFileManager, Path> which) {
    return SpanFiles.manager(name).map(which).map(Path::toString).orElse("");
  }

  @Override public long getSpansWritten() { return s().spansWritten(); }
  @Override public long getLogsWritten() { return s().logsWritten(); }
  @Override public long getLogsWithoutTrace() { return s().logsWithoutTrace(); }
  @Override public long getDroppedRingFull() { return s().droppedRingFull(); }
  @Override public long getDroppedIo() { return s().droppedIo(); }
  @Override public long getDroppedAfterStop() { return s().droppedAfterStop(); }
  @Override public long getDroppedNoAppender() { return SpanFiles.droppedNoAppender(); }
  @Override public long getDroppedEncode() { return s().droppedEncode(); }
  @Override public long getBlocksWritten() { return s().blocksWritten(); }
  @Override public long getBytesWritten() { return s().bytesWritten(); }
  @Override public long getFilesCreated() { return s().filesCreated(); }
  @Override public long getFilesDeleted() { return s().filesDeleted(); }
  @Override public long getIoErrors() { return s().ioErrors(); }
  @Override public long getWriterErrors() { return s().writerErrors(); }
  @Override public String getDirectory() { return path(SpanFileManager::directory); }
  @Override public String getActiveFile() { return path(SpanFileManager::activeFile); }
}
