package dev.cairn.core.sampling;

import dev.cairn.core.model.SpanKind;
import io.opentelemetry.context.Context;

/**
 * Decides, on the application thread as a span starts, whether it is recorded. Implementations
 * are thread-safe, allocate nothing on the common path and never throw.
 *
 * <p>The tracer calls {@link #decide} once per span start and acts on the answer: {@link
 * SamplingDecision#SAMPLE} records, {@link SamplingDecision#DROP} propagates an unsampled context,
 * {@link SamplingDecision#OFF} makes no span at all. {@link CairnSampler} is the configurable
 * implementation (switches, forcing, ratio, rate limit); see {@code docs/sampling.md}.
 *
 * <pre>{@code
 * Sampler sampler = CairnSampler.create(SamplingConfig.builder().ratio(0.1).build());
 * SamplingDecision d = sampler.decide(Context.current(), false, false, hi, lo,
 *     "io.opentelemetry.netty-4.1", "GET /orders", SpanKind.SERVER);
 * }</pre>
 */
@FunctionalInterface
public interface Sampler {
  /**
   * @param parent the context the span starts in (its span, if any, is the parent; its baggage
   *     may carry the force flag)
   * @param hasParent whether the context holds a valid parent span context
   * @param parentSampled the parent's sampled flag (false when there is no parent)
   * @param traceIdHigh the trace ID the span will have (the parent's, or a new one)
   * @param traceIdLow low half of that trace ID
   * @param scopeName the instrumentation scope (component) creating the span
   * @param spanName the span's name
   * @param kind the span's kind
   */
  SamplingDecision decide(Context parent, boolean hasParent, boolean parentSampled,
      long traceIdHigh, long traceIdLow, String scopeName, String spanName, SpanKind kind);

  /** Records every span. */
  static Sampler alwaysOn() {
    return (p, hp, ps, hi, lo, scope, name, kind) -> SamplingDecision.SAMPLE;
  }

  /** Follows the parent's flag; records every root. */
  static Sampler parentBasedAlwaysOn() {
    return (p, hp, ps, hi, lo, scope, name, kind) ->
        !hp || ps ? SamplingDecision.SAMPLE : SamplingDecision.DROP;
  }
}
