package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.shipper.IndexWorkload.Trace;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SegmentedTraceIndexTest {
  // 300 blocks of 20 spans: about 17 distinct traces a block, so a segment of 400 entries holds
  // about 23 blocks and the workload spans a dozen sealed segments and an in-memory one.
  private static final IndexWorkload WORK = IndexWorkload.generate(42, 300, 20);

  @TempDir Path dir;

  private SegmentedTraceIndex open(int segmentEntries) throws IOException {
    return SegmentedTraceIndex.builder(dir).segmentEntries(segmentEntries).open();
  }

  private static void assertFindsEveryTrace(TraceIndex index, long fromSeq, long toSeq) {
    for (Map.Entry<Trace, TreeSet<Long>> e : WORK.seqsByTrace.entrySet()) {
      Trace t = e.getKey();
      long[] expected = IndexWorkload.expected(e.getValue(), fromSeq, toSeq);
      long[] found = index.find(t.high(), t.low());
      assertArrayEquals(expected, found, () -> IndexWorkload.describe(t, found));
    }
  }

  private static List<Path> segmentFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(SealedSegment.SUFFIX)).sorted().toList();
    }
  }

  @Test
  void find_returnsEveryBlockOfEveryTrace_acrossSealedAndInMemorySegments() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
      // Before the sealer caught up: frozen segments waiting in memory are searched too.
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
      index.awaitSeals();
      SegmentedTraceIndex.Stats stats = index.stats();
      assertTrue(stats.sealedSegments() >= 10, "sealed segments: " + stats);
      assertTrue(stats.memoryEntries() > 0, "entries in the in-memory segment: " + stats);
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
      assertEquals(stats.sealedSegments(), segmentFiles(dir).size());
    }
  }

  @Test
  void find_traceOverSeveralBlocks_returnsThemAscending() throws Exception {
    Map.Entry<Trace, TreeSet<Long>> longest = WORK.seqsByTrace.entrySet().stream()
        .max((a, b) -> Integer.compare(a.getValue().size(), b.getValue().size())).orElseThrow();
    assertTrue(longest.getValue().size() >= 3, "the workload has traces over several blocks");
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
      index.awaitSeals();
      Trace t = longest.getKey();
      assertArrayEquals(IndexWorkload.expected(longest.getValue(), 1, WORK.lastSeq()), index.find(t.high(), t.low()));
    }
  }

  @Test
  void find_unknownTrace_isEmpty() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
      index.awaitSeals();
      Random random = new Random(7);
      for (int i = 0; i < 1000; i++) {
        assertEquals(0, index.find(random.nextLong(), random.nextLong()).length);
      }
      Trace known = WORK.seqsByTrace.keySet().iterator().next();
      assertEquals(0, index.find(known.high(), known.low() + 1).length);
      assertEquals(0, index.find(known.high() + 1, known.low()).length);
    }
  }

  @Test
  void add_sameOrOlderSeqAgain_isIgnored() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, 50);
      WORK.feed(index, 40, 50);
      index.add(3, WORK.block(3));
      WORK.feed(index, 51, WORK.lastSeq());
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
    }
  }

  @Test
  void retainFrom_deletesSegmentsWhollyBelowAndHidesTheirBlocks() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
      index.awaitSeals();
      int before = segmentFiles(dir).size();
      long retainFrom = 150;
      index.retainFrom(retainFrom);
      List<Path> after = segmentFiles(dir);
      assertTrue(after.size() < before, before + " segment files, then " + after.size());
      for (Path p : after) {
        long[] range = SealedSegment.parseName(p.getFileName().toString());
        assertTrue(range[1] >= retainFrom, "kept " + p);
      }
      // The segment holding block 150 begins before it: still there, but the older blocks are not reported.
      assertTrue(SealedSegment.parseName(after.get(0).getFileName().toString())[0] < retainFrom);
      assertFindsEveryTrace(index, retainFrom, WORK.lastSeq());
      assertTrue(index.durableSeq() >= retainFrom - 1);
    }
  }

  @Test
  void reopen_afterKill_findsTheDurablePartAndIsFedTheRest() throws Exception {
    long durable;
    SegmentedTraceIndex first = open(400);
    WORK.feed(first, 1, WORK.lastSeq());
    first.awaitSeals();
    durable = first.durableSeq();
    // Not closed: as after kill -9, only the sealed segments are on disk.
    assertTrue(durable > 100 && durable < WORK.lastSeq(), "durable " + durable);
    List<Path> files = segmentFiles(dir);
    assertEquals(durable, SealedSegment.parseName(files.get(files.size() - 1).getFileName().toString())[1]);

    try (SegmentedTraceIndex index = open(400)) {
      assertEquals(durable, index.durableSeq());
      assertFindsEveryTrace(index, 1, durable);
      WORK.feed(index, durable + 1, WORK.lastSeq());
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
    }
    try (SegmentedTraceIndex index = open(400)) {
      // Closed cleanly: the in-memory segment was sealed.
      assertEquals(WORK.lastSeq(), index.durableSeq());
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
    }
  }

  @Test
  void reopen_leftoverTempFile_isDeleted() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, 100);
    }
    Path tmp = dir.resolve(SealedSegment.fileName(101, 120) + ".tmp");
    Files.write(tmp, new byte[] {1, 2, 3});
    try (SegmentedTraceIndex index = open(400)) {
      assertFalse(Files.exists(tmp));
      assertEquals(100, index.durableSeq());
    }
  }

  @Test
  void corruptSegment_isSetAsideAndItsBlocksIndexedAgainFromTheJournal() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
    }
    List<Path> files = segmentFiles(dir);
    assertTrue(files.size() >= 10);
    Path bad = files.get(4);
    long[] badRange = SealedSegment.parseName(bad.getFileName().toString());
    try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
      long at = f.length() - 13;
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x10);
    }
    // And one cut short.
    Path cut = files.get(7);
    long[] cutRange = SealedSegment.parseName(cut.getFileName().toString());
    try (RandomAccessFile f = new RandomAccessFile(cut.toFile(), "rw")) {
      f.setLength(f.length() / 2);
    }

    try (SegmentedTraceIndex index = open(400)) {
      assertEquals(badRange[0] - 1, index.durableSeq());
      assertEquals(2, index.stats().corruptSegments());
      assertTrue(Files.exists(bad.resolveSibling(bad.getFileName() + SegmentedTraceIndex.CORRUPT)));
      assertFalse(Files.exists(bad));
      // Blocks of the good segments are found at once.
      for (Map.Entry<Trace, TreeSet<Long>> e : WORK.seqsByTrace.entrySet()) {
        long[] found = index.find(e.getKey().high(), e.getKey().low());
        TreeSet<Long> inGood = new TreeSet<>(e.getValue());
        inGood.removeIf(s -> (s >= badRange[0] && s <= badRange[1]) || (s >= cutRange[0] && s <= cutRange[1]));
        assertArrayEquals(IndexWorkload.expected(inGood, 1, WORK.lastSeq()), found);
      }
      // The shipper feeds everything after durableSeq again; blocks already in good segments are skipped.
      WORK.feed(index, index.durableSeq() + 1, WORK.lastSeq());
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
      index.awaitSeals();
      assertTrue(index.durableSeq() >= cutRange[1], "hole after the bad segment filled: " + index.durableSeq());
    }
    try (SegmentedTraceIndex index = open(400)) {
      assertEquals(WORK.lastSeq(), index.durableSeq());
      assertEquals(0, index.stats().corruptSegments());
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
      index.retainFrom(WORK.lastSeq());
      assertFalse(Files.exists(bad.resolveSibling(bad.getFileName() + SegmentedTraceIndex.CORRUPT)),
          "retention deletes set-aside files too");
    }
  }

  @Test
  void reopen_afterJournalRetentionOutranIndex_startsWhereTheFeedStarts() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, 60);
    }
    // The journal dropped blocks 61..99 meanwhile (a long outage): the feed starts at 100.
    try (SegmentedTraceIndex index = open(400)) {
      assertEquals(60, index.durableSeq());
      WORK.feed(index, 100, WORK.lastSeq());
      index.retainFrom(100);
      assertFindsEveryTrace(index, 100, WORK.lastSeq());
    }
    try (SegmentedTraceIndex index = open(400)) {
      assertEquals(WORK.lastSeq(), index.durableSeq());
    }
  }

  @Test
  void sealAfter_sealsAnOldInMemorySegmentAtTheNextAdd() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    try (SegmentedTraceIndex index = SegmentedTraceIndex.builder(dir).segmentEntries(1 << 20)
        .sealAfter(Duration.ofMinutes(1)).clock(now::get).open()) {
      WORK.feed(index, 1, 10);
      now.addAndGet(60_000);
      WORK.feed(index, 11, 12);
      index.awaitSeals();
      assertEquals(10, index.durableSeq());
      assertFindsEveryTrace(index, 1, 12);
    }
  }

  @Test
  void add_blockThatDoesNotParse_isCountedAndTheOthersIndexed() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, 9);
      index.add(10, ByteBuffer.wrap(new byte[100]));
      WORK.feed(index, 11, 20);
      assertEquals(1, index.stats().unreadableBlocks());
      for (long seq = 1; seq <= 20; seq++) {
        for (Trace t : WORK.tracesBySeq.get(seq)) {
          TreeSet<Long> expected = new TreeSet<>(WORK.seqsByTrace.get(t));
          expected.remove(10L);
          assertArrayEquals(IndexWorkload.expected(expected, 1, 20), index.find(t.high(), t.low()));
        }
      }
    }
  }

  @Test
  void find_onAnInterruptedThread_answersAndLeavesTheIndexUsable() throws Exception {
    try (SegmentedTraceIndex index = open(400)) {
      WORK.feed(index, 1, WORK.lastSeq());
      index.awaitSeals();
      Trace t = WORK.seqsByTrace.keySet().iterator().next();
      long[] expected = IndexWorkload.expected(WORK.seqsByTrace.get(t), 1, WORK.lastSeq());
      // An interrupted reader closes a FileChannel for everyone; the segments reopen theirs.
      Thread.currentThread().interrupt();
      long[] found;
      try {
        found = index.find(t.high(), t.low());
      } finally {
        assertTrue(Thread.interrupted(), "the interrupt is kept for the caller");
      }
      assertArrayEquals(expected, found);
      assertFindsEveryTrace(index, 1, WORK.lastSeq());
      assertEquals(0, index.stats().corruptSegments());
    }
  }

  @Test
  void concurrentFind_seesEveryBlockAddedBeforeItBegan_andBlocksWhole() throws Exception {
    IndexWorkload work = IndexWorkload.generate(99, 2000, 6);
    try (SegmentedTraceIndex index = open(300)) {
      AtomicLong added = new AtomicLong();
      AtomicReference<String> failure = new AtomicReference<>();
      Thread reader = new Thread(() -> {
        Random random = new Random(3);
        long checks = 0;
        while (failure.get() == null && (added.get() < work.lastSeq() || checks < 1000)) {
          long done = added.get();
          if (done == 0) {
            Thread.onSpinWait();
            continue;
          }
          long seq = 1 + (long) (random.nextDouble() * done);
          List<Trace> traces = work.tracesBySeq.get(seq);
          for (Trace t : traces) {
            long[] found = index.find(t.high(), t.low());
            TreeSet<Long> expected = work.seqsByTrace.get(t);
            // Every block added before the find began is there; nothing but this trace's blocks is.
            for (long s : expected.headSet(done, true)) {
              if (Arrays.binarySearch(found, s) < 0) {
                failure.compareAndSet(null, "missed block " + s + " of " + IndexWorkload.describe(t, found)
                    + " with " + done + " added");
              }
            }
            for (long s : found) {
              if (!expected.contains(s)) {
                failure.compareAndSet(null, "block " + s + " reported for " + IndexWorkload.describe(t, found));
              }
              // A block added while this find ran is there whole: every trace of it finds it now.
              if (s > done) {
                for (Trace u : work.tracesBySeq.get(s)) {
                  if (Arrays.binarySearch(index.find(u.high(), u.low()), s) < 0) {
                    failure.compareAndSet(null, "block " + s + " found for one trace but not for another");
                  }
                }
              }
            }
          }
          checks++;
        }
      }, "index-reader");
      reader.start();
      try {
        for (long seq = 1; seq <= work.lastSeq(); seq++) {
          index.add(seq, work.block(seq));
          added.set(seq);
          if (seq % 64 == 0) {
            Thread.yield();
          }
        }
      } finally {
        reader.join(60_000);
      }
      assertFalse(reader.isAlive(), "reader finished");
      assertNull(failure.get());
      index.awaitSeals();
      assertTrue(index.stats().sealedSegments() > 5, "segments were sealed during the run: " + index.stats());
    }
  }
}
