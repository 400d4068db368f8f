package dev.cairn.shipper;

import static dev.cairn.shipper.JournalFixtures.HOUR;
import static dev.cairn.shipper.JournalFixtures.T0;
import static dev.cairn.shipper.JournalFixtures.assertSameEntries;
import static dev.cairn.shipper.JournalFixtures.block;
import static dev.cairn.shipper.JournalFixtures.cycleFiles;
import static dev.cairn.shipper.JournalFixtures.deleteTree;
import static dev.cairn.shipper.JournalFixtures.dump;
import static dev.cairn.shipper.JournalFixtures.options;
import static dev.cairn.shipper.JournalFixtures.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.BlockHeader;
import dev.cairn.shipper.JournalFixtures.ManualClock;
import dev.cairn.shipper.JournalFixtures.Raw;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ChronicleJournalTest {
  private static final UUID FILE = new UUID(0x1234_5678_9abc_def0L, 0x0fed_cba9_8765_4321L);

  @TempDir Path tmp;
  private final ShipperMetrics metrics = new ShipperMetrics();
  private final ManualClock clock = new ManualClock(T0);

  private Path primary() {
    return tmp.resolve("primary");
  }

  private Path replica() {
    return tmp.resolve("replica");
  }

  private ChronicleJournal open() {
    return ChronicleJournal.open(primary(), replica(), metrics, options(clock));
  }

  /** Appends blocks i = from .. to-1 of file FILE at offsets 1000 * i. */
  private static void append(Journal journal, long from, long to) {
    for (long i = from; i < to; i++) {
      long seq = journal.append(FILE, 1000 * i, ByteBuffer.wrap(block(i)));
      assertEquals(i + 1, seq, "seq of block " + i);
    }
  }

  /** Appends {@code perCycle} blocks in each of {@code cycles} hourly cycles, from block {@code from}. */
  private void appendCycles(Journal journal, long from, int cycles, int perCycle) {
    for (int c = 0; c < cycles; c++) {
      append(journal, from + (long) c * perCycle, from + (long) (c + 1) * perCycle);
      clock.advance(HOUR);
    }
  }

  private static void assertEntry(JournalEntry e, long seq) {
    assertNotNull(e, "entry " + seq);
    assertEquals(seq, e.seq());
    assertEquals(FILE, e.fileId());
    assertEquals(1000 * (seq - 1), e.offset());
    byte[] bytes = new byte[e.block().remaining()];
    e.block().duplicate().get(bytes);
    assertArrayEquals(block(seq - 1), bytes, "block of seq " + seq);
  }

  @Test
  void append_thenRead_returnsEveryBlockWithItsOriginInOrder() {
    try (ChronicleJournal journal = open()) {
      assertEquals(1, journal.firstSeq());
      assertEquals(0, journal.lastSeq());
      append(journal, 0, 40);
      assertEquals(1, journal.firstSeq());
      assertEquals(40, journal.lastSeq());
      assertEquals(Journal.Source.PRIMARY, journal.servingFrom());
      try (Journal.Reader reader = journal.reader()) {
        int records = 0;
        for (long seq = 1; seq <= 40; seq++) {
          JournalEntry e = reader.next();
          assertEntry(e, seq);
          records += records(e.block());
        }
        assertNull(reader.next());
        assertTrue(records > 40 * 100, "blocks decode to their spans: " + records);
      }
    }
  }

  @Test
  void seek_reachesEverySeq_acrossCycleRollsAndAfterReopen() {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 3, 7);
      clock.advance(5 * HOUR); // cycles without entries in between
      appendCycles(journal, 21, 2, 5);
      assertEquals(31, journal.lastSeq());
      assertEquals(5, cycleFiles(primary()).size());
      assertSeekReachesEverySeq(journal, 31);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    try (ChronicleJournal journal = open()) {
      assertEquals(1, journal.firstSeq());
      assertEquals(31, journal.lastSeq());
      assertSeekReachesEverySeq(journal, 31);
    }
  }

  private static void assertSeekReachesEverySeq(Journal journal, long last) {
    try (Journal.Reader reader = journal.reader()) {
      for (long seq = last; seq >= 1; seq--) {
        assertEquals(seq, reader.seek(seq));
        assertEntry(reader.next(), seq);
        if (seq < last) {
          assertEntry(reader.next(), seq + 1);
        }
      }
      assertEquals(1, reader.seek(0), "before the start: the first entry");
      assertEntry(reader.next(), 1);
      assertEquals(last + 1, reader.seek(last + 1), "the end: the next entry to come");
      assertNull(reader.next());
      assertEquals(last + 1, reader.seek(last + 50), "past the end: clamped to the next to come");
      assertNull(reader.next());
    }
  }

  @Test
  void reader_atTheEnd_seesTheNextAppend_evenAcrossACycleRoll() {
    try (ChronicleJournal journal = open(); Journal.Reader reader = journal.reader()) {
      assertEquals(1, reader.seek(1));
      assertNull(reader.next());
      append(journal, 0, 3);
      assertEntry(reader.next(), 1);
      assertEntry(reader.next(), 2);
      assertEntry(reader.next(), 3);
      assertNull(reader.next());
      clock.advance(HOUR);
      append(journal, 3, 4);
      assertEntry(reader.next(), 4);
      assertEquals(5, reader.seek(5));
      append(journal, 4, 5);
      assertEntry(reader.next(), 5);
    }
  }

  @Test
  void ingestThreadAppends_whileReaderThreadsFollow_andAnotherThreadCloses() throws Exception {
    ChronicleJournal journal = open();
    try {
      int total = 120;
      List<Thread> threads = new ArrayList<>();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int r = 0; r < 2; r++) {
        Thread reader = new Thread(() -> {
          try (Journal.Reader in = journal.reader()) {
            long next = in.seek(1);
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (next <= total && System.nanoTime() < deadline) {
              JournalEntry e = in.next();
              if (e == null) {
                Thread.onSpinWait();
                continue;
              }
              assertEntry(e, next++);
            }
            assertEquals(total + 1, next);
          } catch (Throwable t) {
            failures.add(t);
          }
        }, "reader-" + r);
        threads.add(reader);
      }
      Thread ingest = new Thread(() -> {
        try {
          for (int c = 0; c < 4; c++) {
            append(journal, c * 30L, c * 30L + 30);
            clock.advance(HOUR); // rolls while the readers follow
          }
        } catch (Throwable t) {
          failures.add(t);
        }
      }, "ingest");
      threads.forEach(Thread::start);
      ingest.start();
      ingest.join(30_000);
      for (Thread t : threads) {
        t.join(30_000);
      }
      if (!failures.isEmpty()) {
        throw new AssertionError(failures.get(0));
      }
      assertEquals(total, journal.lastSeq());
    } finally {
      journal.close();
    }
    assertSameEntries(dump(primary()), dump(replica()));
  }

  @Test
  void replica_holdsTheSameEntriesInTheSameCycles_asThePrimary() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 4, 6);
      assertEquals(journal.primaryBytes(), journal.replicaBytes());
    }
    List<Raw> p = dump(primary());
    assertEquals(24, p.size());
    assertSameEntries(p, dump(replica()));
    assertEquals(cycleFiles(primary()), cycleFiles(replica()));
  }

  @Test
  void reopen_continuesTheSequenceWhereItStopped() {
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 10);
    }
    try (ChronicleJournal journal = open()) {
      assertEquals(10, journal.lastSeq());
      append(journal, 10, 15);
    }
    try (ChronicleJournal journal = open(); Journal.Reader reader = journal.reader()) {
      for (long seq = 1; seq <= 15; seq++) {
        assertEntry(reader.next(), seq);
      }
      assertNull(reader.next());
    }
    assertEquals(0, metrics.replicaRepairs.sum());
  }

  @Test
  void crashBetweenPrimaryAndReplicaAppend_reopenCopiesTheMissingEntriesToTheReplica() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 2, 5);
      append(journal, 10, 12);
      assertEquals(13, journal.appendPrimaryOnlyForTest(FILE, 12_000, ByteBuffer.wrap(block(12))));
    }
    assertEquals(12, dump(replica()).size());
    try (ChronicleJournal journal = open()) {
      assertEquals(1, metrics.replicaRepairs.sum());
      assertEquals(13, journal.lastSeq());
      append(journal, 13, 15);
    }
    List<Raw> p = dump(primary());
    assertEquals(15, p.size());
    assertSameEntries(p, dump(replica()));
  }

  @Test
  void repairedAtOpen_thenAppendedOnTheIngestThread_bothCopiesTakeEveryAppend() throws Exception {
    // As the daemon runs it: open (and repair) on the main thread, append on the ingest thread.
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 3);
      journal.appendPrimaryOnlyForTest(FILE, 3000, ByteBuffer.wrap(block(3)));
    }
    try (ChronicleJournal journal = open()) { // copies seq 4 to the replica on this thread
      assertEquals(1, metrics.replicaRepairs.sum());
      onIngestThread(() -> append(journal, 4, 8));
    }
    assertEquals(8, dump(replica()).size(), "the replica takes the appends after its repair");
    assertSameEntries(dump(primary()), dump(replica()));

    deleteTree(primary());
    try (ChronicleJournal journal = open()) { // rebuilds the primary on this thread
      assertEquals(2, metrics.replicaRepairs.sum());
      onIngestThread(() -> append(journal, 8, 10));
    }
    assertEquals(10, dump(primary()).size(), "the rebuilt primary takes the appends");
    assertSameEntries(dump(primary()), dump(replica()));
  }

  private static void onIngestThread(Runnable appends) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        appends.run();
      } catch (Throwable e) {
        failure.set(e);
      }
    }, "ingest");
    t.start();
    t.join(30_000);
    assertTrue(!t.isAlive(), "the appends did not end within 30 s");
    if (failure.get() != null) {
      throw new AssertionError("appending on the ingest thread failed: " + failure.get(), failure.get());
    }
  }

  @Test
  void appendToReplicaMissedInThisRun_isCaughtUpOnTheNextAppend() throws IOException {
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 3);
      journal.appendPrimaryOnlyForTest(FILE, 3000, ByteBuffer.wrap(block(3)));
      journal.appendPrimaryOnlyForTest(FILE, 4000, ByteBuffer.wrap(block(4)));
      append(journal, 5, 7);
    }
    assertSameEntries(dump(primary()), dump(replica()));
    assertEquals(7, dump(replica()).size());
    assertEquals(0, metrics.replicaRepairs.sum());
  }

  @Test
  void primaryDirectoryDeleted_servesFromReplica_rebuildsPrimary_andKeepsAppending() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 3, 4);
    }
    deleteTree(primary());
    try (ChronicleJournal journal = open()) {
      assertEquals(Journal.Source.REPLICA, journal.servingFrom());
      assertEquals(1, metrics.replicaRepairs.sum());
      assertEquals(1, journal.firstSeq());
      assertEquals(12, journal.lastSeq());
      try (Journal.Reader reader = journal.reader()) {
        for (long seq = 1; seq <= 12; seq++) {
          assertEntry(reader.next(), seq);
        }
        assertNull(reader.next());
        append(journal, 12, 14);
        assertEntry(reader.next(), 13);
        assertEntry(reader.next(), 14);
      }
    }
    assertSameEntries(dump(primary()), dump(replica()));
    try (ChronicleJournal journal = open()) {
      assertEquals(Journal.Source.PRIMARY, journal.servingFrom(), "the rebuilt primary is trusted again");
      assertEquals(14, journal.lastSeq());
      assertEquals(1, metrics.replicaRepairs.sum());
    }
  }

  @Test
  void primaryEmptiedWhileReplicaHasEntries_servesFromReplica_andRebuildsPrimary() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 2, 3);
    }
    try (Stream<Path> files = Files.list(primary())) {
      for (Path f : files.filter(f -> f.toString().endsWith(".cq4") || f.toString().endsWith(".cq4t")).toList()) {
        Files.delete(f); // a new, empty disk mounted where the primary was
      }
    }
    try (ChronicleJournal journal = open()) {
      assertEquals(Journal.Source.REPLICA, journal.servingFrom());
      assertEquals(6, journal.lastSeq());
      assertEquals(1, metrics.replicaRepairs.sum());
      append(journal, 6, 7);
    }
    assertSameEntries(dump(primary()), dump(replica()));
    assertEquals(7, dump(primary()).size());
  }

  @Test
  void primaryUnreadable_isMovedAsideAndRebuiltFromReplica() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 2, 4);
    }
    String first = cycleFiles(primary()).get(0);
    // A disk returning garbage: the first cycle's header and first excerpts overwritten.
    byte[] bytes = Files.readAllBytes(primary().resolve(first));
    for (int i = 0; i < 300_000 && i < bytes.length; i++) {
      bytes[i] = (byte) (i * 31 + 7);
    }
    Files.write(primary().resolve(first), bytes);
    try (ChronicleJournal journal = open()) {
      assertEquals(Journal.Source.REPLICA, journal.servingFrom());
      assertEquals(8, journal.lastSeq());
      assertEquals(1, metrics.replicaRepairs.sum());
      append(journal, 8, 9);
    }
    assertSameEntries(dump(primary()), dump(replica()));
    try (Stream<Path> files = Files.list(primary())) {
      Path aside = files.filter(p -> p.getFileName().toString().startsWith("damaged-")).findFirst()
          .orElseThrow(() -> new AssertionError("the damaged files are kept aside"));
      assertTrue(Files.exists(aside.resolve(first)));
    }
  }

  @Test
  void primaryPathUnusable_journalsToTheReplicaAlone() throws IOException {
    Files.writeString(tmp.resolve("not-a-dir"), "a file where the primary directory should be");
    try (ChronicleJournal journal = ChronicleJournal.open(tmp.resolve("not-a-dir"), replica(), metrics,
        options(clock))) {
      assertEquals(Journal.Source.REPLICA, journal.servingFrom());
      append(journal, 0, 3);
      assertEquals(0, journal.primaryBytes());
      assertTrue(journal.replicaBytes() > 0);
      try (Journal.Reader reader = journal.reader()) {
        assertEntry(reader.next(), 1);
      }
    }
  }

  @Test
  void noUsableCopy_isRefusedAtOpen() throws IOException {
    Files.writeString(tmp.resolve("a"), "x");
    Files.writeString(tmp.resolve("b"), "x");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> ChronicleJournal.open(tmp.resolve("a"), tmp.resolve("b"), metrics, options(clock)));
    assertTrue(e.getMessage().contains("no usable journal"), e.getMessage());
  }

  @Test
  void replicaAheadOfPrimary_isReportedAndRebuiltFromThePrimary() throws IOException {
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 6);
    }
    // The replica gets entries the primary never had (a disk from another host, say).
    try (ChronicleJournal other = ChronicleJournal.open(replica(), tmp.resolve("x"), new ShipperMetrics(),
        options(clock))) {
      append(other, 6, 9);
    }
    try (ChronicleJournal journal = open()) {
      assertEquals(6, journal.lastSeq());
      assertEquals(1, metrics.replicaRepairs.sum());
      assertEquals(Journal.Source.PRIMARY, journal.servingFrom());
    }
    List<Raw> p = dump(primary());
    assertEquals(6, p.size());
    assertSameEntries(p, dump(replica()));
  }

  @Test
  void replicaDivergingFromPrimary_isReportedAndRebuiltFromThePrimary() throws IOException {
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 6);
    }
    Path elsewhere = tmp.resolve("elsewhere");
    try (ChronicleJournal other = ChronicleJournal.open(elsewhere, tmp.resolve("y"), new ShipperMetrics(),
        options(clock))) {
      for (int i = 0; i < 6; i++) {
        other.append(UUID.randomUUID(), i, ByteBuffer.wrap(block(i + 5)));
      }
    }
    deleteTree(replica());
    Files.move(elsewhere, replica());
    try (ChronicleJournal journal = open()) {
      assertEquals(1, metrics.replicaRepairs.sum());
      assertEquals(6, journal.lastSeq());
    }
    assertSameEntries(dump(primary()), dump(replica()));
  }

  @Test
  void replicaMissingEntirely_isFilledFromThePrimary() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 2, 3);
    }
    deleteTree(replica());
    try (ChronicleJournal journal = open()) {
      assertEquals(Journal.Source.PRIMARY, journal.servingFrom());
      assertEquals(1, metrics.replicaRepairs.sum());
    }
    assertSameEntries(dump(primary()), dump(replica()));
  }

  @Test
  void retentionByAge_deletesWholeOldCyclesInBothCopies_andReadsGoOn() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 5, 4); // seqs 1-4 in cycle 0, ..., 17-20 in cycle 4; clock in cycle 5
      try (Journal.Reader early = journal.reader()) {
        assertEntry(early.next(), 1);
        // Cycles 0 and 1 ended more than 3.5 h ago; cycle 2 ended 2.67 h ago (T0 is 40 min into an hour).
        Retention.Result result = journal.applyRetention(3 * HOUR + HOUR / 2, 0);
        assertEquals(new Retention.Result(2, 8, result.bytesDeleted(), 9), result);
        assertTrue(result.bytesDeleted() > 8 * 15_000, "bytes of 8 blocks: " + result.bytesDeleted());
        assertEquals(9, journal.firstSeq());
        assertEquals(20, journal.lastSeq());
        assertEquals(2, metrics.cyclesDeleted.sum());
        assertEquals(8, metrics.blocksExpired.sum());
        // A reader that was inside a deleted cycle goes on at the oldest retained entry.
        for (long seq = 9; seq <= 20; seq++) {
          assertEntry(early.next(), seq);
        }
        assertNull(early.next());
      }
      try (Journal.Reader reader = journal.reader()) {
        assertEquals(9, reader.seek(1), "a deleted seq: the oldest retained one");
        for (long seq = 9; seq <= 20; seq++) {
          assertEntry(reader.next(), seq);
        }
      }
      append(journal, 20, 21);
    }
    assertEquals(cycleFiles(primary()), cycleFiles(replica()));
    assertEquals(4, cycleFiles(primary()).size());
    List<Raw> p = dump(primary());
    assertEquals(9, p.get(0).seq());
    assertSameEntries(p, dump(replica()));
    try (ChronicleJournal journal = open()) {
      assertEquals(9, journal.firstSeq());
      assertEquals(21, journal.lastSeq());
    }
  }

  @Test
  void retentionBySize_deletesOldestCyclesUntilUnderTheLimit() {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 4, 5);
      long total = journal.primaryBytes();
      long perCycle = total / 4;
      Retention.Result result = journal.applyRetention(0, total - perCycle / 2);
      assertEquals(1, result.cyclesDeleted());
      assertEquals(6, result.firstSeqAfter());
      assertTrue(journal.primaryBytes() <= total - perCycle / 2);
      assertEquals(journal.primaryBytes(), journal.replicaBytes());
      assertEquals(new Retention.Result(0, 0, 0, 6), journal.applyRetention(0, total));
    }
  }

  @Test
  void retention_neverDeletesTheCycleOfTheNewestEntry_soSeqsSurviveAReopen() throws IOException {
    try (ChronicleJournal journal = open()) {
      appendCycles(journal, 0, 3, 3);
      clock.advance(100 * HOUR); // idle for days
      Retention.Result result = journal.applyRetention(HOUR, 1);
      assertEquals(2, result.cyclesDeleted());
      assertEquals(7, journal.firstSeq());
      assertEquals(9, journal.lastSeq());
      assertEquals(new Retention.Result(0, 0, 0, 7), journal.applyRetention(HOUR, 1));
    }
    assertEquals(1, cycleFiles(replica()).size());
    try (ChronicleJournal journal = open()) {
      assertEquals(10, journal.append(FILE, 9000, ByteBuffer.wrap(block(9))));
    }
  }

  @Test
  void retention_neverDeletesACycleTheWallClockHasNotLeft() {
    try (ChronicleJournal journal = open()) {
      append(journal, 0, 2);
      clock.advance(HOUR);
      append(journal, 2, 4);
      clock.advance(HOUR);
      append(journal, 4, 6);
      clock.advance(-HOUR); // the clock stepped back (NTP): the second cycle is current again
      Retention.Result result = journal.applyRetention(1, 1);
      assertEquals(1, result.cyclesDeleted(), "only the cycle before the current one");
      assertEquals(3, journal.firstSeq());
    }
  }

  @ParameterizedTest
  @EnumSource(ChronicleJournal.CycleLength.class)
  void retention_deletesTheFilesOfEveryCycleLength(ChronicleJournal.CycleLength length) throws IOException {
    ChronicleJournal.Options options = options(clock).withCycleLength(length);
    try (ChronicleJournal journal = ChronicleJournal.open(primary(), replica(), metrics, options)) {
      for (int c = 0; c < 3; c++) {
        append(journal, c * 2L, c * 2L + 2);
        clock.advance(length.millis());
      }
      assertEquals(3, cycleFiles(primary()).size());
      assertEquals(2, journal.applyRetention(0, 1).cyclesDeleted());
      assertEquals(List.of(cycleFiles(primary()).size(), cycleFiles(replica()).size()), List.of(1, 1));
      assertEquals(5, journal.firstSeq());
    }
  }

  @Test
  void sizes_countTheBytesEntriesOccupy() {
    try (ChronicleJournal journal = open()) {
      assertEquals(0, journal.primaryBytes());
      long blockBytes = 0;
      for (int i = 0; i < 30; i++) {
        blockBytes += block(i).length;
      }
      append(journal, 0, 30);
      assertTrue(journal.primaryBytes() >= blockBytes, journal.primaryBytes() + " < " + blockBytes);
      assertTrue(journal.primaryBytes() < blockBytes + 256 * 1024, "no sparse file size: " + journal.primaryBytes());
      assertEquals(journal.primaryBytes(), journal.replicaBytes());
    }
  }

  @Test
  void onAppend_runsListenersAfterEachAppend_andSurvivesAFailingOne() {
    try (ChronicleJournal journal = open()) {
      AtomicInteger calls = new AtomicInteger();
      List<Long> seen = new ArrayList<>();
      journal.onAppend(() -> { throw new IllegalStateException("a broken listener"); });
      journal.onAppend(() -> {
        calls.incrementAndGet();
        seen.add(journal.lastSeq());
      });
      append(journal, 0, 3);
      assertEquals(3, calls.get());
      assertEquals(List.of(1L, 2L, 3L), seen, "the entry is readable when the listener runs");
    }
  }

  @Test
  void append_refusesBytesThatCannotBeABlock() {
    try (ChronicleJournal journal = open()) {
      assertThrows(IllegalArgumentException.class,
          () -> journal.append(FILE, 0, ByteBuffer.allocate(BlockHeader.LENGTH - 1)));
      assertEquals(0, journal.lastSeq());
      assertEquals(1, journal.append(FILE, 0, ByteBuffer.allocateDirect(100).put(block(0), 0, 100).flip()));
    }
  }

  @Test
  void secondOpenOfTheSameDirectories_isRefused() {
    try (ChronicleJournal journal = open()) {
      IllegalStateException e = assertThrows(IllegalStateException.class, this::open);
      assertTrue(e.getMessage().contains("already open"), e.getMessage());
      append(journal, 0, 1);
    }
    try (ChronicleJournal journal = open()) {
      assertEquals(1, journal.lastSeq(), "closing released the lock");
    }
  }

  @Test
  void samePathForBothCopies_isRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> ChronicleJournal.open(primary(), primary().resolve("."), metrics, options(clock)));
  }
}
