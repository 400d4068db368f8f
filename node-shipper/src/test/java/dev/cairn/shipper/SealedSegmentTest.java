package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.FormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedSegmentTest {
  @TempDir Path dir;

  @Test
  void write_thenOpen_findsEverySeqOfEveryKey_likeTheInMemorySegment() throws Exception {
    Random random = new Random(5);
    MutableSegment m = new MutableSegment(1000, 200_000);
    Map<Long, TreeSet<Long>> expected = new HashMap<>();
    long[] keys = new long[60_000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = random.nextLong();
    }
    for (long seq = 1000; seq < 4000; seq++) {
      for (int j = 0; j < 50; j++) {
        // Keys recur over many blocks; a key can come twice in one block (a 64-bit collision).
        long key = keys[random.nextInt(keys.length)];
        m.add(key, seq);
        expected.computeIfAbsent(key, k -> new TreeSet<>()).add(seq);
      }
      m.extendTo(seq);
    }
    m.extendTo(4100);
    m.freeze();
    SealedSegment s = SealedSegment.open(SealedSegment.write(dir, m));
    assertEquals(1000, s.firstSeq());
    assertEquals(4100, s.lastSeq());
    assertTrue(s.count() <= 150_000 && s.count() > 100_000, "entries without repeats: " + s.count());
    for (Map.Entry<Long, TreeSet<Long>> e : expected.entrySet()) {
      long[] want = e.getValue().stream().mapToLong(Long::longValue).toArray();
      LongList inMemory = new LongList(4);
      m.find(e.getKey(), 0, Long.MAX_VALUE, inMemory);
      assertArrayEquals(want, inMemory.toSortedDistinctArray());
      LongList onDisk = new LongList(4);
      s.find(e.getKey(), 0, onDisk);
      assertArrayEquals(want, onDisk.toSortedDistinctArray());
      onDisk = new LongList(4);
      s.find(e.getKey(), 2000, onDisk);
      assertArrayEquals(e.getValue().tailSet(2000L).stream().mapToLong(Long::longValue).toArray(), onDisk.toSortedDistinctArray());
    }
    LongList none = new LongList(4);
    for (int i = 0; i < 10_000; i++) {
      s.find(random.nextLong(), 0, none);
    }
    assertEquals(0, none.size());
  }

  @Test
  void open_fileWhoseNameDisagreesWithItsHeader_isRefused() throws Exception {
    MutableSegment m = new MutableSegment(1, 100);
    m.add(42, 1);
    m.extendTo(3);
    Path file = SealedSegment.write(dir, m);
    Path renamed = Files.move(file, dir.resolve(SealedSegment.fileName(1, 9)));
    FormatException e = assertThrows(FormatException.class, () -> SealedSegment.open(renamed));
    assertTrue(e.getMessage().contains("name"), e.getMessage());
  }

  @Test
  void emptySegment_coversItsRangeAndFindsNothing() throws Exception {
    MutableSegment m = new MutableSegment(7, 100);
    m.extendTo(20);
    SealedSegment s = SealedSegment.open(SealedSegment.write(dir, m));
    assertEquals(0, s.count());
    assertEquals(20, s.lastSeq());
    LongList out = new LongList(4);
    s.find(42, 0, out);
    assertEquals(0, out.size());
  }
}
