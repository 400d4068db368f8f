package dev.cairn;

import dev.cairn.core.sampling.Sampler;
import dev.cairn.core.spi.SpanSink;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import dev.cairn.core.model.SpanView;

/** What every tracer of one {@link CairnOpenTelemetry} shares. Immutable but for the clock anchor. */
final class TracerState {
  private static final long REANCHOR_NANOS = 1_000_000_000L;

  final String service;
  final SpanSink sink;
  final Sampler sampler;
  final Set<String> businessKeys;
  /** Spares the per-attribute set lookup when no business keys are configured (the usual case). */
  final boolean hasBusinessKeys;
  final int maxAttributes;
  final int maxEvents;
  final int maxLinks;
  /** Low 32 bits of every root trace ID's high half: random per process. */
  final long traceIdSalt = java.util.concurrent.ThreadLocalRandom.current().nextLong() & 0xFFFF_FFFFL;
  private volatile Anchor anchor = Anchor.now();
  private final LongAdder sinkFailures = new LongAdder();
  private volatile boolean sinkFailureLogged;

  TracerState(String service, SpanSink sink, Sampler sampler, Set<String> businessKeys,
      int maxAttributes, int maxEvents, int maxLinks) {
    this.service = service;
    this.sink = sink;
    this.sampler = sampler;
    this.businessKeys = Set.copyOf(businessKeys);
    this.hasBusinessKeys = !this.businessKeys.isEmpty();
    this.maxAttributes = maxAttributes;
    this.maxEvents = maxEvents;
    this.maxLinks = maxLinks;
  }

  /** Hands a finished span to the sink; a failing sink is counted and logged once, never rethrown. */
  void offer(SpanView span) {
    try {
      sink.offer(span);
    } catch (RuntimeException | LinkageError e) {
      sinkFailures.increment();
      if (!sinkFailureLogged) {
        sinkFailureLogged = true;
        System.getLogger(Cairn.class.getName()).log(System.Logger.Level.ERROR,
            "the span sink failed; spans are dropped and counted (logged once)", e);
      }
    }
  }

  long sinkFailures() {
    return sinkFailures.sum();
  }

  /**
   * Wall-clock nanoseconds for a {@link System#nanoTime()} reading. Durations come from the
   * monotonic clock; the wall-clock anchor is refreshed once a second so start times follow
   * NTP adjustments without a clock read per span.
   */
  long epochNanos(long nanoTime) {
    Anchor a = anchor;
    if (nanoTime - a.nanoTime > REANCHOR_NANOS) {
      a = Anchor.now();
      anchor = a;
    }
    return a.epochNanos + (nanoTime - a.nanoTime);
  }

  private record Anchor(long epochNanos, long nanoTime) {
    static Anchor now() {
      Instant i = Instant.now();
      long nano = System.nanoTime();
      return new Anchor(i.getEpochSecond() * 1_000_000_000L + i.getNano(), nano);
    }
  }
}
