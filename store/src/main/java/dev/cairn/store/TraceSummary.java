package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.TraceId;
import java.util.List;

/**
 * Trace-level facts, kept with the trace so searches match whole traces. Recomputed from all of
 * the trace's stored spans whenever spans are added.
 *
 * @param traceId the trace
 * @param rootService the root span's service; "" when no root is stored (partial trace)
 * @param rootOperation the root span's name; "" when no root is stored
 * @param startMicros the earliest span start
 * @param durationMicros from the earliest start to the latest end
 * @param spanCount stored spans
 * @param services the services with spans in the trace, sorted
 * @param error whether any span has status ERROR
 * @param complete the latest assembly note's verdict; false until a note says complete
 * @param warnings the latest assembly note's warnings
 */
public record TraceSummary(
    TraceId traceId,
    String rootService,
    String rootOperation,
    long startMicros,
    long durationMicros,
    int spanCount,
    List<String> services,
    boolean error,
    boolean complete,
    List<String> warnings) {

  public TraceSummary {
    requireNonNull(traceId, "traceId");
    requireNonNull(rootService, "rootService");
    requireNonNull(rootOperation, "rootOperation");
    services = List.copyOf(requireNonNull(services, "services"));
    warnings = List.copyOf(requireNonNull(warnings, "warnings"));
  }
}
