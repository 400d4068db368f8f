package dev.cairn.core.sampling;

/** What the tracer does with a span about to start. */
public enum SamplingDecision {
  /** Record the span and write it. */
  SAMPLE,
  /** Do not record; still give it IDs and propagate an unsampled context downstream. */
  DROP,
  /** Tracing is switched off here: make no span; the caller's context passes through unchanged. */
  OFF
}
