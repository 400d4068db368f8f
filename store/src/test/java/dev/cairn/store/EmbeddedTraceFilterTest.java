package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import java.util.Random;
import org.junit.jupiter.api.Test;

class EmbeddedTraceFilterTest {
  @Test
  void everyAddedTraceMayBeThere_andFewOthersSeemTo() {
    EmbeddedTraceFilter f = new EmbeddedTraceFilter(100_000);
    Random r = new Random(5);
    TraceId[] added = new TraceId[100_000];
    for (int i = 0; i < added.length; i++) {
      added[i] = new TraceId(r.nextLong(), r.nextLong() | 1);
      f.add(added[i]);
    }
    for (TraceId t : added) {
      assertTrue(f.mayContain(t), t.hex());
    }
    int falsePositives = 0;
    for (int i = 0; i < 100_000; i++) {
      falsePositives += f.mayContain(new TraceId(r.nextLong(), r.nextLong() | 1)) ? 1 : 0;
    }
    assertTrue(falsePositives < 2_000, falsePositives + " false positives in 100,000");
    assertFalse(f.full());
    f.add(new TraceId(1, 1));
    assertTrue(f.full(), "sized for 100,000");
  }
}
