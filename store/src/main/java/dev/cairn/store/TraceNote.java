package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.TraceId;
import java.util.List;

/**
 * What trace assembly concluded about a whole trace: complete (a root, and every span's parent
 * present) or partial, with warnings for people (e.g. "parent 00f067aa0ba902b7 of span … never
 * arrived"). The latest note for a trace replaces earlier ones.
 */
public record TraceNote(TraceId traceId, boolean complete, List<String> warnings) {
  public TraceNote {
    requireNonNull(traceId, "traceId");
    warnings = List.copyOf(requireNonNull(warnings, "warnings"));
  }
}
