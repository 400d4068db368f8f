package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.util.Comparator;
import java.util.List;

/**
 * A stored trace: its summary, its spans sorted by start time (then span ID, unsigned), its log
 * lines by time (then span ID). Every store returns this one order, so answers built on it (the
 * Jaeger API's JSON) are the same byte for byte whichever store holds the trace.
 */
public record Trace(TraceSummary summary, List<SpanRecord> spans, List<LogRecord> logs) {
  private static final Comparator<SpanRecord> SPAN_ORDER = Comparator
      .comparingLong(SpanRecord::startMicros)
      .thenComparing(SpanRecord::spanId, Long::compareUnsigned);
  private static final Comparator<LogRecord> LOG_ORDER = Comparator
      .comparingLong(LogRecord::timeMicros)
      .thenComparing(LogRecord::spanId, Long::compareUnsigned);

  public Trace {
    requireNonNull(summary, "summary");
    spans = requireNonNull(spans, "spans").stream().sorted(SPAN_ORDER).toList();
    logs = requireNonNull(logs, "logs").stream().sorted(LOG_ORDER).toList();
  }
}
