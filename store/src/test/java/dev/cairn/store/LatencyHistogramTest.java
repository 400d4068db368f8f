package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Random;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void buckets_coverEveryValueContiguously() {
    int last = LatencyHistogram.bucket(Long.MAX_VALUE);
    assertEquals(959, last);
    for (int b = 0; b < last; b++) {
      assertEquals(LatencyHistogram.upperBound(b) + 1, LatencyHistogram.lowerBound(b + 1), "bucket " + b);
      assertEquals(b, LatencyHistogram.bucket(LatencyHistogram.lowerBound(b)));
      assertEquals(b, LatencyHistogram.bucket(LatencyHistogram.upperBound(b)));
    }
    assertEquals(LatencyHistogram.bucket(Long.MAX_VALUE), LatencyHistogram.bucket(Long.MAX_VALUE - 1));
  }

  @Test
  void percentile_withinAThirtySecondOfTheValue() {
    Random r = new Random(1);
    for (int i = 0; i < 10_000; i++) {
      long v = 1 + (long) Math.pow(10, r.nextDouble() * 12);
      LatencyHistogram h = new LatencyHistogram();
      h.record(v);
      h.record(v + 1_000_000_000_000_000L); // a larger max, so the single value's bucket answers p50
      long p50 = h.percentile(0.5);
      assertTrue(Math.abs(p50 - v) <= v / 32.0 + 0.5, v + " -> " + p50);
    }
  }

  @Test
  void mergeAndSerialisation_keepCountsAndMax() throws IOException {
    LatencyHistogram a = new LatencyHistogram();
    LatencyHistogram b = new LatencyHistogram();
    for (int i = 1; i <= 100; i++) {
      (i % 2 == 0 ? a : b).record(i * 1000L);
    }
    a.merge(b);
    ByteBuffersDataOutput out = new ByteBuffersDataOutput();
    a.writeTo(out);
    byte[] bytes = out.toArrayCopy();
    LatencyHistogram c = LatencyHistogram.readFrom(new ByteArrayDataInput(bytes));

    assertEquals(100, c.count());
    assertEquals(100_000, c.max());
    assertTrue(Math.abs(c.percentile(0.5) - 50_000) <= 50_000 / 32, "p50 " + c.percentile(0.5));
    assertEquals(100_000, c.percentile(1.0));
  }
}
