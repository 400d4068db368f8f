package dev.cairn.puller;

import java.util.concurrent.atomic.LongAdder;

/** The puller's process-wide counters (per-host ones live in {@link HostState}). */
final class PullerMetrics {
  /** Upper bounds of the store write latency buckets, seconds. */
  static final double[] LATENCY_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  final LongAdder spansStored = new LongAdder();
  final LongAdder spansAlreadyStored = new LongAdder();
  final LongAdder gapFetchRequests = new LongAdder();
  final LongAdder gapFetchBlocks = new LongAdder();
  final LongAdder gapFetchErrors = new LongAdder();
  final LongAdder storeErrors = new LongAdder();
  final LongAdder cursorSaveErrors = new LongAdder();
  final LongAdder assemblyErrors = new LongAdder();
  final LongAdder hostReloads = new LongAdder();
  final LongAdder hostReloadErrors = new LongAdder();

  private final LongAdder[] latencyBuckets = new LongAdder[LATENCY_BUCKETS.length];
  final LongAdder latencyCount = new LongAdder();
  final LongAdder latencyNanos = new LongAdder();

  PullerMetrics() {
    for (int i = 0; i < latencyBuckets.length; i++) {
      latencyBuckets[i] = new LongAdder();
    }
  }

  void observeWrite(long nanos) {
    double seconds = nanos / 1e9;
    for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) {
        latencyBuckets[i].increment();
        break;
      }
    }
    latencyCount.increment();
    latencyNanos.add(nanos);
  }

  /** Cumulative count of writes at or under bucket {@code i}. */
  long cumulative(int i) {
    long n = 0;
    for (int j = 0; j <= i; j++) {
      n += latencyBuckets[j].sum();
    }
    return n;
  }
}
