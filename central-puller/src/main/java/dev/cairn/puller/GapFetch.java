package dev.cairn.puller;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.TraceId;
import java.util.Set;

/**
 * A trace that was not complete after the assembler's maximum wait: the puller should FETCH it
 * from every host and {@link TraceAssembler#add add} what comes back before the gap window ends.
 *
 * @param traceId the trace
 * @param missingParentSpanIds parents referenced by held spans but not seen; empty when only log
 *     lines of the trace arrived, or when the spans form no tree (no root and no missing parent)
 */
public record GapFetch(TraceId traceId, Set<Long> missingParentSpanIds) {
  public GapFetch {
    requireNonNull(traceId, "traceId");
    missingParentSpanIds = Set.copyOf(requireNonNull(missingParentSpanIds, "missingParentSpanIds"));
  }
}
