package dev.cairn.core.format;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;

/** Receives the records of a decoded block (or of a whole file), in the order they were written. */
public interface RecordVisitor {
  /** Called once before any record when a whole file is read ({@link SpanFileReader}). */
  default void fileHeader(FileHeader header) {}

  void span(SpanRecord span);

  default void log(LogRecord log) {}
}
