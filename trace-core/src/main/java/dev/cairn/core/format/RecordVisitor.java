package dev.cairn.core.format;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;

/** Receives the records of a decoded block, in the order they were written. */
public interface RecordVisitor {
  void span(SpanRecord span);

  default void log(LogRecord log) {}
}
