package dev.cairn.store;

import dev.cairn.core.model.TraceId;

/**
 * A Bloom filter of the trace IDs in the store, so the writer knows without a term lookup that a
 * trace is new (the usual case). A "maybe" (about 1% of new traces, and every stored one) is
 * answered by the index. Built from the index's trace terms when the writer starts, then fed with
 * every trace written; when it holds more IDs than it was sized for, the writer builds a larger one.
 * Writer thread only.
 */
final class EmbeddedTraceFilter {
  private static final int HASHES = 7; // with 10 bits per ID: about 1% false positives
  private final long[] bits;
  private final long size;
  private final long capacity;
  private long count;

  /** A filter sized for {@code capacity} IDs (10 bits each). */
  EmbeddedTraceFilter(long capacity) {
    this.capacity = Math.max(1024, capacity);
    long words = (this.capacity * 10 + 63) / 64;
    bits = new long[(int) Math.min(words, Integer.MAX_VALUE - 8)];
    size = (long) bits.length * 64;
  }

  /** Whether it holds more IDs than it was sized for (false positives grow past it). */
  boolean full() {
    return count > capacity;
  }

  long count() {
    return count;
  }

  void add(long high, long low) {
    long h1 = mix(high ^ low * 0x9E3779B97F4A7C15L);
    long h2 = mix(low + high * 0xC2B2AE3D27D4EB4FL) | 1;
    for (int i = 0; i < HASHES; i++) {
      long bit = Long.remainderUnsigned(h1 + i * h2, size);
      bits[(int) (bit >>> 6)] |= 1L << bit;
    }
    count++;
  }

  void add(TraceId t) {
    add(t.high(), t.low());
  }

  /** False when the trace is certainly not in the store. */
  boolean mayContain(TraceId t) {
    long h1 = mix(t.high() ^ t.low() * 0x9E3779B97F4A7C15L);
    long h2 = mix(t.low() + t.high() * 0xC2B2AE3D27D4EB4FL) | 1;
    for (int i = 0; i < HASHES; i++) {
      long bit = Long.remainderUnsigned(h1 + i * h2, size);
      if ((bits[(int) (bit >>> 6)] & (1L << bit)) == 0) {
        return false;
      }
    }
    return true;
  }

  /** The finaliser of SplitMix64: spreads every input bit over the output. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
