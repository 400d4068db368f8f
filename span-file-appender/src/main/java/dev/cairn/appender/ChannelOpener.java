package dev.cairn.appender;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Opens a new span file for writing. A seam for tests: CI runs as root, so a full disk cannot be
 * simulated with permissions; a test opener wraps the channel and fails writes instead.
 */
@FunctionalInterface
interface ChannelOpener {
  /** Creates the file, failing if it exists: a name is never reused, even by another JVM. */
  ChannelOpener DEFAULT =
      file -> FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);

  FileChannel open(Path file) throws IOException;
}
