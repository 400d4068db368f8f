package dev.cairn.core.model;

/**
 * Read access to a business log line written inside a span, implemented by {@link LogRecord} and
 * by the appender's ring slots so the encoder reads it without copying.
 */
public interface LogView {
  long traceIdHigh();

  long traceIdLow();

  long spanId();

  long timeMicros();

  /** The Log4j2 level name, e.g. "INFO". */
  String level();

  String logger();

  String thread();

  CharSequence message();

  /** The printed stack trace, "" when none. */
  CharSequence thrown();
}
