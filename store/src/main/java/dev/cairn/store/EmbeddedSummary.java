package dev.cairn.store;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.util.List;
import java.util.TreeSet;

/**
 * A trace summary as the writer keeps it: everything {@link TraceSummary} holds, plus the root's
 * start and span ID, so spans arriving later are merged into it one by one instead of re-reading
 * every stored span of the trace. Writer thread only.
 */
final class EmbeddedSummary {
  final TraceId traceId;
  String rootService = "";
  String rootOperation = "";
  boolean hasRoot;
  long rootStart;
  long rootSpanId;
  long start = Long.MAX_VALUE;
  long end = Long.MIN_VALUE;
  int spanCount;
  final TreeSet<String> services = new TreeSet<>();
  boolean error;
  boolean complete;
  List<String> warnings = List.of();

  EmbeddedSummary(TraceId traceId) {
    this.traceId = traceId;
  }

  /** Adds a newly stored span. The root is the span without a parent, the earliest if several. */
  void add(SpanRecord s) {
    start = Math.min(start, s.startMicros());
    end = Math.max(end, s.startMicros() + s.durationMicros());
    spanCount++;
    services.add(s.service());
    error |= s.status() == StatusCode.ERROR;
    if (s.isRoot() && (!hasRoot || s.startMicros() < rootStart
        || (s.startMicros() == rootStart && Long.compareUnsigned(s.spanId(), rootSpanId) < 0))) {
      hasRoot = true;
      rootStart = s.startMicros();
      rootSpanId = s.spanId();
      rootService = s.service();
      rootOperation = s.name();
    }
  }

  void note(TraceNote n) {
    complete = n.complete();
    warnings = n.warnings();
  }

  TraceSummary toSummary() {
    long from = spanCount == 0 ? 0 : start;
    long to = spanCount == 0 ? 0 : end;
    return new TraceSummary(traceId, rootService, rootOperation, from, to - from, spanCount,
        List.copyOf(services), error, complete, warnings);
  }

  /** The summary of spans alone, with no note (a trace read back without its summary document). */
  static TraceSummary of(TraceId traceId, List<SpanRecord> spans) {
    EmbeddedSummary s = new EmbeddedSummary(traceId);
    spans.forEach(s::add);
    return s.toSummary();
  }
}
