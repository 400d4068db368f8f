package dev.cairn.store;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.DataOutput;

/**
 * A log-linear latency histogram in µs: values below 32 have a bucket each; above, every power of
 * two 2^k is cut into 16 buckets [2^k (1 + j/16), 2^k (1 + (j+1)/16)). A percentile is the middle of
 * its bucket (capped at the maximum seen), so it is within 1/32 (about 3%) of the exact value.
 * Sparse: only buckets with counts are kept. Not thread-safe.
 */
final class LatencyHistogram {
  private static final int LINEAR = 32;

  private final TreeMap<Integer, Long> counts = new TreeMap<>();
  private long count;
  private long max;

  static int bucket(long micros) {
    long v = Math.max(0, micros);
    if (v < LINEAR) {
      return (int) v;
    }
    int k = 63 - Long.numberOfLeadingZeros(v);
    int j = (int) ((v >>> (k - 4)) & 15);
    return LINEAR + (k - 5) * 16 + j;
  }

  static long lowerBound(int bucket) {
    if (bucket < LINEAR) {
      return bucket;
    }
    int k = (bucket - LINEAR) / 16 + 5;
    int j = (bucket - LINEAR) % 16;
    return (long) (16 + j) << (k - 4);
  }

  /** The largest value of the bucket. */
  static long upperBound(int bucket) {
    if (bucket < LINEAR) {
      return bucket;
    }
    int k = (bucket - LINEAR) / 16 + 5;
    int j = (bucket - LINEAR) % 16;
    return ((long) (17 + j) << (k - 4)) - 1;
  }

  void record(long micros) {
    counts.merge(bucket(micros), 1L, Long::sum);
    count++;
    max = Math.max(max, micros);
  }

  void merge(LatencyHistogram other) {
    other.counts.forEach((b, c) -> counts.merge(b, c, Long::sum));
    count += other.count;
    max = Math.max(max, other.max);
  }

  long count() {
    return count;
  }

  long max() {
    return max;
  }

  /** The value at quantile {@code q} (0 < q ≤ 1); 0 when empty. */
  long percentile(double q) {
    if (count == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(q * count));
    long seen = 0;
    for (Map.Entry<Integer, Long> e : counts.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        int b = e.getKey();
        long mid = (lowerBound(b) + upperBound(b)) / 2;
        return Math.min(mid, max);
      }
    }
    return max;
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeVLong(count);
    out.writeVLong(max);
    out.writeVInt(counts.size());
    for (Map.Entry<Integer, Long> e : counts.entrySet()) {
      out.writeVInt(e.getKey());
      out.writeVLong(e.getValue());
    }
  }

  static LatencyHistogram readFrom(ByteArrayDataInput in) throws IOException {
    LatencyHistogram h = new LatencyHistogram();
    h.count = in.readVLong();
    h.max = in.readVLong();
    int n = in.readVInt();
    for (int i = 0; i < n; i++) {
      h.counts.put(in.readVInt(), in.readVLong());
    }
    return h;
  }
}
