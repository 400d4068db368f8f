package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.LogRecord;
import java.util.List;

/** What one {@link SpanWriter#write} stores. Log lines are idempotent like spans (by their content). */
public record WriteBatch(List<StoredSpan> spans, List<LogRecord> logs, List<TraceNote> notes) {
  public WriteBatch {
    spans = List.copyOf(requireNonNull(spans, "spans"));
    logs = List.copyOf(requireNonNull(logs, "logs"));
    notes = List.copyOf(requireNonNull(notes, "notes"));
  }

  public static WriteBatch ofSpans(List<StoredSpan> spans) {
    return new WriteBatch(spans, List.of(), List.of());
  }
}
