package dev.cairn.appender;

import java.nio.file.Path;

/**
 * The validated settings a {@link SpanFileManager} runs with. The builder checks every value, so
 * nothing here re-checks them.
 *
 * @param appenderName the appender that created the manager; names the writer thread
 * @param directory where span files go, absolute and normalised
 * @param filePrefix the file name prefix, also what retention matches
 * @param maxFileSize bytes after which a file rolls
 * @param maxTotalSize bytes of {@code filePrefix} files the directory may hold after a roll
 * @param ringSize slots in the ring, a power of two
 * @param flushIntervalMillis the longest a record waits in a block that is not full
 * @param blockSize uncompressed bytes after which a block is written
 * @param service the service named in file headers
 * @param instance the instance named in file headers
 */
record SpanFileConfig(
    String appenderName,
    Path directory,
    String filePrefix,
    long maxFileSize,
    long maxTotalSize,
    int ringSize,
    long flushIntervalMillis,
    int blockSize,
    String service,
    String instance) {

  /**
   * What makes two appenders share a manager: the same files. Keyed by directory and prefix, so an
   * appender rebuilt by reconfiguration keeps the ring, the thread and the open file.
   */
  String managerKey() {
    return "SpanFile:" + directory + "/" + filePrefix;
  }
}
