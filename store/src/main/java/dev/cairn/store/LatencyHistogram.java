package dev.cairn.store;

import java.io.IOException;
import java.util.Arrays;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.DataOutput;

/**
 * A log-linear latency histogram in µs: values below 32 have a bucket each; above, every power of
 * two 2^k is cut into 16 buckets [2^k (1 + j/16), 2^k (1 + (j+1)/16)). A percentile is the middle of
 * its bucket (capped at the maximum seen), so it is within 1/32 (about 3%) of the exact value.
 * Buckets are counted in an array up to the highest one used (at most 960); only buckets with
 * counts are written. Not thread-safe.
 */
final class LatencyHistogram {
  private static final int LINEAR = 32;

  // recording is on the store's write path for every span: an array, not a map
  private long[] counts = new long[0];
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
    add(bucket(micros), 1);
    count++;
    max = Math.max(max, micros);
  }

  private void add(int bucket, long n) {
    if (bucket >= counts.length) {
      counts = Arrays.copyOf(counts, Math.max(bucket + 1, Math.min(2 * counts.length, 1024)));
    }
    counts[bucket] += n;
  }

  void merge(LatencyHistogram other) {
    for (int b = 0; b < other.counts.length; b++) {
      if (other.counts[b] != 0) {
        add(b, other.counts[b]);
      }
    }
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
    for (int b = 0; b < counts.length; b++) {
      seen += counts[b];
      if (seen >= rank) {
        long mid = (lowerBound(b) + upperBound(b)) / 2;
        return Math.min(mid, max);
      }
    }
    return max;
  }

  void writeTo(DataOutput out) throws IOException {
    out.writeVLong(count);
    out.writeVLong(max);
    int used = 0;
    for (long c : counts) {
      used += c != 0 ? 1 : 0;
    }
    out.writeVInt(used);
    for (int b = 0; b < counts.length; b++) {
      if (counts[b] != 0) {
        out.writeVInt(b);
        out.writeVLong(counts[b]);
      }
    }
  }

  static LatencyHistogram readFrom(ByteArrayDataInput in) throws IOException {
    LatencyHistogram h = new LatencyHistogram();
    h.count = in.readVLong();
    h.max = in.readVLong();
    int n = in.readVInt();
    for (int i = 0; i < n; i++) {
      int b = in.readVInt();
      if (b < 0 || b > bucket(Long.MAX_VALUE)) {
        throw new IOException("latency histogram bucket " + b + " out of range");
      }
      h.add(b, in.readVLong());
    }
    return h;
  }
}
