package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.util.List;

/** A stored trace: its summary, its spans sorted by start time, its log lines by time. */
public record Trace(TraceSummary summary, List<SpanRecord> spans, List<LogRecord> logs) {
  public Trace {
    requireNonNull(summary, "summary");
    spans = List.copyOf(requireNonNull(spans, "spans"));
    logs = List.copyOf(requireNonNull(logs, "logs"));
  }
}
