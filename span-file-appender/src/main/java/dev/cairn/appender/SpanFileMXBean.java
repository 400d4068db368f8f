package dev.cairn.appender;

/**
 * The JMX view of one {@code <SpanFile>} appender, registered as
 * {@code dev.cairn:type=SpanFile,name=<appender name>} while the appender runs. Attributes mirror
 * {@link SpanFileStats}; read them with jconsole, a JMX exporter or:
 *
 * <pre>{@code
 * MBeanServer server = ManagementFactory.getPlatformMBeanServer();
 * long dropped = (Long) server.getAttribute(
 *     new ObjectName("dev.cairn:type=SpanFile,name=spans"), "DroppedRingFull");
 * }</pre>
 */
public interface SpanFileMXBean {
  long getSpansWritten();

  long getLogsWritten();

  long getLogsWithoutTrace();

  long getDroppedRingFull();

  long getDroppedIo();

  long getDroppedAfterStop();

  long getDroppedNoAppender();

  long getDroppedEncode();

  long getBlocksWritten();

  long getBytesWritten();

  long getFilesCreated();

  long getFilesDeleted();

  long getIoErrors();

  long getWriterErrors();

  /** The directory span files are written to. */
  String getDirectory();

  /** The file being written, "" before the first block or after an I/O error closed it. */
  String getActiveFile();
}
