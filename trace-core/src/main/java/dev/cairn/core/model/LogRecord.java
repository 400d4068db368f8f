package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

/** A decoded business log line that was written inside a span. */
public record LogRecord(
    long traceIdHigh,
    long traceIdLow,
    long spanId,
    long timeMicros,
    String level,
    String logger,
    String thread,
    String message,
    String thrown)
    implements LogView {

  public LogRecord {
    requireNonNull(level, "level");
    requireNonNull(logger, "logger");
    requireNonNull(thread, "thread");
    requireNonNull(message, "message");
    requireNonNull(thrown, "thrown");
  }

  public String traceIdHex() {
    return Ids.traceIdHex(traceIdHigh, traceIdLow);
  }
}
