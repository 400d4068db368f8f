package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LongSetTest {
  @Test
  void behavesAsAHashSetOfLongs() {
    LongSet set = new LongSet();
    Set<Long> expected = new HashSet<>();
    Random random = new Random(3);
    for (int i = 0; i < 50_000; i++) {
      // small values collide in the low bits; random ones are span IDs
      long v = i % 3 == 0 ? random.nextInt(5_000) : random.nextLong();
      assertEquals(expected.add(v), set.add(v), "add " + v);
    }
    assertEquals(expected.size(), set.size());
    for (long v : expected) {
      assertTrue(set.contains(v));
    }
    for (int i = 0; i < 10_000; i++) {
      long v = random.nextLong() | 1;
      assertEquals(expected.contains(v), set.contains(v));
    }
    assertFalse(new LongSet().contains(42));
    LongSet withZero = new LongSet();
    assertFalse(withZero.contains(0));
    assertTrue(withZero.add(0));
    assertFalse(withZero.add(0));
    assertTrue(withZero.contains(0) && !withZero.contains(1) && withZero.size() == 1);
  }
}
