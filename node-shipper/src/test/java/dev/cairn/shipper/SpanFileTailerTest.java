package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.shipper.ProcessProbe.Liveness;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tailer against span files grown, damaged, renamed, deleted, truncated and copied by hand.
 * Every test asserts exactly which blocks reached the journal (file ID @ offset, bytes equal to the
 * file's) and the counters. Time is a fake clock; whether a writer runs is a fake process table.
 */
class SpanFileTailerTest {
  private static final long START = 1_800_000_000_000L;
  private static final long GRACE = 5_000;
  private static final long IDLE = 300_000;

  @TempDir Path tmp;
  private Path dir;
  private Path checkpointFile;
  private final AtomicLong clock = new AtomicLong(START);
  private final Map<Long, Liveness> processes = new HashMap<>();
  private ShipperMetrics metrics = new ShipperMetrics();
  private TestJournal journal;
  private RecordingIndex index = new RecordingIndex();
  private final List<SpanFileTailer> tailers = new ArrayList<>();
  private final List<SpanFileFixture> fixtures = new ArrayList<>();

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createDirectories(tmp.resolve("spans"));
    checkpointFile = tmp.resolve("state/tailer.checkpoint");
    journal = TestJournal.open(tmp.resolve("journal"), metrics);
  }

  @AfterEach
  void tearDown() throws IOException {
    for (SpanFileTailer t : tailers) {
      t.close();
    }
    for (SpanFileFixture f : fixtures) {
      f.close();
    }
    journal.close();
  }

  private TailerOptions.Builder options() {
    return TailerOptions.builder()
        .scanIntervalMillis(0)
        .finishGraceMillis(GRACE)
        .idleFinishMillis(IDLE)
        .clock(clock::get)
        .processProbe(p -> processes.getOrDefault(p.pid(), Liveness.ALIVE));
  }

  private SpanFileTailer tailer() {
    return tailer(b -> {});
  }

  private SpanFileTailer tailer(Consumer<TailerOptions.Builder> tweak) {
    return tailer(List.of(dir + "/"), tweak);
  }

  private SpanFileTailer tailer(List<String> globs, Consumer<TailerOptions.Builder> tweak) {
    TailerOptions.Builder b = options();
    tweak.accept(b);
    SpanFileTailer t = new SpanFileTailer(globs, journal, index,
        new CheckpointStore(checkpointFile), metrics, b.build());
    tailers.add(t);
    return t;
  }

  private static String name(long pid, long seq) {
    return String.format("spans-20260101T000000Z-%d-%06d.cairn", pid, seq);
  }

  private SpanFileFixture file(String name, long pid) throws IOException {
    return file(name, SpanFileFixture.process(pid, 1_000_000L));
  }

  private SpanFileFixture file(String name, dev.cairn.core.model.ProcessInfo process) throws IOException {
    SpanFileFixture f = SpanFileFixture.create(dir.resolve(name), process);
    fixtures.add(f);
    return f;
  }

  private static List<String> origins(SpanFileFixture f, long... offsets) {
    List<String> out = new ArrayList<>();
    for (long o : offsets) {
      out.add(f.id + "@" + o);
    }
    return out;
  }

  private static List<String> allBlocks(SpanFileFixture f) {
    return f.blocks.stream().map(o -> f.id + "@" + o).toList();
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> out = new ArrayList<>();
    for (List<String> p : parts) {
      out.addAll(p);
    }
    return out;
  }

  /** Every journaled block is byte for byte the block at its offset in its (still existing) file. */
  private void assertJournalHoldsFileBytes(SpanFileFixture... files) throws IOException {
    Map<java.util.UUID, Path> byId = new HashMap<>();
    for (SpanFileFixture f : files) {
      byId.put(f.id, f.path);
    }
    for (TestJournal.Entry e : journal.entries()) {
      Path p = byId.get(e.fileId());
      if (p == null || !Files.exists(p)) {
        continue;
      }
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(e.block().length);
        ch.read(b, e.offset());
        assertArrayEquals(b.array(), e.block(), "bytes of " + e.origin());
      }
    }
    assertEquals(journal.entries().size(), new HashSet<>(journal.origins()).size(),
        "a block journaled twice: " + journal.origins());
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  void growingFile_everyCompleteBlockJournaledOnceInOrder() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(10);
    f.append(20);
    f.append(5);
    SpanFileTailer t = tailer();

    assertEquals(3, t.pollOnce());
    f.append(7);
    f.append(1);
    assertEquals(2, t.pollOnce());
    assertEquals(0, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertJournalHoldsFileBytes(f);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), index.seqs);
    assertEquals(5, metrics.blocksJournaled.sum());
    assertEquals(43, metrics.recordsJournaled.sum());
    assertEquals(1, metrics.filesDiscovered.sum());
    assertEquals(1, t.filesTracked());
    assertEquals(0, metrics.corruptRegions.sum() + metrics.tornTails.sum() + metrics.filesLost.sum());
  }

  @Test
  void journaledBlocksAreIndexed_theTraceIndexFindsTheBlockOfATrace() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(10);
    f.append(10);
    SpanFileTailer t;
    List<dev.cairn.core.model.SpanRecord> second;
    try (SegmentedTraceIndex real = SegmentedTraceIndex.builder(tmp.resolve("index")).open()) {
      t = new SpanFileTailer(List.of(dir + "/"), journal, real, new CheckpointStore(checkpointFile),
          metrics, options().build());
      tailers.add(t);
      assertEquals(2, t.pollOnce());
      second = List.copyOf(f.lastSpans);
      f.append(10);
      assertEquals(1, t.pollOnce());
      for (dev.cairn.core.model.SpanRecord span : second) {
        assertEquals(List.of(2L), java.util.Arrays.stream(
            real.find(span.traceIdHigh(), span.traceIdLow())).boxed().toList());
      }
      for (dev.cairn.core.model.SpanRecord span : f.lastSpans) {
        assertEquals(List.of(3L), java.util.Arrays.stream(
            real.find(span.traceIdHigh(), span.traceIdLow())).boxed().toList());
      }
    }
  }

  @Test
  void blockBeingWritten_waitsUntilItIsWhole() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    byte[] next = f.block(4);
    f.appendRaw(java.util.Arrays.copyOf(next, 30)); // inside the block header
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    f.appendRaw(java.util.Arrays.copyOfRange(next, 30, next.length / 2));
    assertEquals(0, t.pollOnce());
    long at = f.size() - next.length / 2;
    f.appendRaw(java.util.Arrays.copyOfRange(next, next.length / 2, next.length));
    assertEquals(1, t.pollOnce());

    assertEquals(concat(allBlocks(f), origins(f, at)), journal.origins());
    assertJournalHoldsFileBytes(f);
    assertEquals(0, metrics.corruptRegions.sum() + metrics.tornTails.sum());
    assertEquals(0, t.lag().get(0).unreadBytes());
  }

  @Test
  void writeCutBackAndWrittenAgain_blockReadFromTheFileNotFromStaleBytes() throws IOException {
    // The appender truncates a failed write back to the block's start and writes the next block
    // there: bytes the reader saw of the failed write must not be trusted.
    int[] seen = {30, 100, 2_000}; // inside the block header, and past it
    List<Long> cuts = new ArrayList<>();
    for (int i = 0; i < seen.length; i++) {
      SpanFileFixture f = file(name(100 + i, 0), 100 + i);
      f.append(3);
      cuts.add(f.size());
      f.appendRaw(java.util.Arrays.copyOf(f.block(50), seen[i]));
    }
    SpanFileTailer t = tailer();
    assertEquals(3, t.pollOnce());
    for (int i = 0; i < seen.length; i++) {
      SpanFileFixture f = fixtures.get(i);
      f.truncate(cuts.get(i));
      f.append(seen[i] < 100 ? 1 : 60); // smaller or larger than what was seen: shrink unnoticed
      f.append(2);
    }
    assertEquals(6, t.pollOnce());
    List<String> expected = new ArrayList<>();
    fixtures.forEach(f -> expected.addAll(allBlocks(f)));
    assertEquals(new HashSet<>(expected), new HashSet<>(journal.origins()));
    assertEquals(expected.size(), journal.origins().size());
    assertJournalHoldsFileBytes(fixtures.toArray(new SpanFileFixture[0]));
    assertEquals(0, metrics.corruptRegions.sum());
  }

  @Test
  void damageWhereABlockWasBeingWritten_readAgainOnceThenCounted() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    byte[] next = f.block(5);
    f.appendRaw(java.util.Arrays.copyOf(next, 60));
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    byte[] rest = java.util.Arrays.copyOfRange(next, 60, next.length);
    rest[5] ^= 0x40; // real damage in the part of the block written later
    f.appendRaw(rest);
    f.append(2);
    assertEquals(1, t.pollOnce());
    assertEquals(1, metrics.corruptRegions.sum());
    assertEquals(next.length, metrics.corruptBytes.sum());
    assertEquals(allBlocks(f), journal.origins());
  }

  @Test
  void tornTailOfAWriterThatExited_finishedCountedAndDescriptorReleased() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    f.append(3);
    byte[] torn = f.block(9);
    f.appendRaw(java.util.Arrays.copyOf(torn, torn.length - 1));
    SpanFileTailer t = tailer();
    assertEquals(2, t.pollOnce());
    assertEquals(0, t.pollOnce(), "a torn tail is waited on while the writer lives");
    assertEquals(0, metrics.tornTails.sum());
    assertEquals(1, t.openFiles());

    processes.put(100L, Liveness.DEAD);
    assertEquals(0, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, metrics.tornTails.sum());
    assertEquals(0, metrics.corruptRegions.sum());
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(0, t.openFiles());
    assertEquals(0, t.filesTracked());
    assertEquals(List.of(), t.lag());
  }

  @Test
  void writerExitedRightAfterItsLastBlock_lastBlockJournaledNotCalledTorn() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    f.append(4);
    processes.put(100L, Liveness.DEAD);
    t.pollOnce();

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(0, metrics.tornTails.sum() + metrics.corruptRegions.sum());
    assertEquals(1, metrics.filesFinished.sum());
  }

  @Test
  void corruptBytesBetweenBlocks_skippedCountedAndLaterBlocksJournaled() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    long damaged = f.append(3);
    byte[] garbage = new byte[300];
    new java.util.Random(7).nextBytes(garbage);
    f.appendRaw(garbage);
    f.append(3);
    f.overwrite(damaged + 60, new byte[] {0x55}); // a payload byte of the second block
    SpanFileTailer t = tailer();

    assertEquals(2, t.pollOnce());
    assertEquals(0, t.pollOnce());

    List<String> expected = new ArrayList<>(allBlocks(f));
    expected.remove(f.id + "@" + damaged);
    assertEquals(expected, journal.origins());
    assertJournalHoldsFileBytes(f);
    assertEquals(1, metrics.corruptRegions.sum(), "the damaged block and the garbage are one region");
    assertEquals(f.blocks.get(2) - damaged, metrics.corruptBytes.sum());
  }

  @Test
  void blockOfANewerFormatVersion_skippedAndCounted() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    long newer = f.appendRaw(SpanFileFixture.withVersion(f.block(3), 2));
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(2, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, metrics.unsupportedBlocks.sum());
    assertEquals(0, metrics.corruptRegions.sum());
    assertTrue(newer > f.blocks.get(0));
  }

  @Test
  void renamedWhileBehind_readOnThroughTheDescriptorAndThePathFollowed() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    SpanFileTailer t = tailer(b -> b.maxBytesPerFilePerPoll(1));
    f.append(3);
    f.append(3);
    assertEquals(1, t.pollOnce());
    Path renamed = dir.resolve("archived-" + f.id + ".cairn");
    Files.move(f.path, renamed);
    f.append(3);
    while (t.pollOnce() > 0) {
      // one block per poll
    }

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(Optional.of(renamed), t.lag().get(0).path());
    assertEquals(0, metrics.filesFinished.sum(), "a renamed file is not deleted");
    assertEquals(1, metrics.filesDiscovered.sum());
  }

  @Test
  void movedOutOfTheWatchedPaths_readToItsEndThenReleased() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    Files.move(f.path, tmp.resolve("elsewhere.cairn"));
    f.append(3);
    assertEquals(1, t.pollOnce());
    clock.addAndGet(GRACE);
    assertEquals(0, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(0, t.openFiles());
    assertEquals(0, metrics.filesLost.sum());
  }

  @Test
  void deletedWhileOpen_readToItsEndThenDescriptorReleased() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    f.append(3);
    f.append(3);
    Files.delete(f.path);
    assertEquals(2, t.pollOnce(), "blocks written before the delete are read through the descriptor");
    f.append(3); // the writer still holds it open
    clock.addAndGet(GRACE - 1);
    assertEquals(1, t.pollOnce());
    assertEquals(1, t.openFiles());
    clock.addAndGet(GRACE);
    assertEquals(0, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(0, t.openFiles());
    assertEquals(0, metrics.filesLost.sum());
  }

  @Test
  void truncatedWithItsHeaderKept_countedAndBlocksAppendedLaterJournaled() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    f.append(3);
    long cut = f.append(3);
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(4, t.pollOnce());
    List<String> before = journal.origins();
    f.truncate(cut);
    assertEquals(0, t.pollOnce());
    assertEquals(1, metrics.truncations.sum());
    long a = f.append(5);
    long b = f.append(5);
    assertEquals(2, t.pollOnce());

    assertEquals(concat(before, origins(f, a, b)), journal.origins());
    assertEquals(cut, a, "the new blocks start at the new end");
    assertEquals(0, metrics.corruptRegions.sum());
    List<TestJournal.Entry> entries = journal.entries();
    try (FileChannel ch = FileChannel.open(f.path)) {
      ByteBuffer last = ByteBuffer.allocate(entries.get(5).block().length);
      ch.read(last, b);
      assertArrayEquals(last.array(), entries.get(5).block());
    }
  }

  @Test
  void truncatedAndRewrittenByAnotherFile_theOtherIsANewFile() throws IOException {
    SpanFileFixture a = file(name(100, 0), 100);
    for (int i = 0; i < 4; i++) {
      a.append(10);
    }
    SpanFileTailer t = tailer();
    assertEquals(4, t.pollOnce());
    List<String> before = journal.origins();
    assertEquals(allBlocks(a), before);
    a.truncate(0);
    SpanFileFixture b = SpanFileFixture.create(a.path, SpanFileFixture.process(100, 1_000_000L));
    fixtures.add(b);
    b.append(2);
    t.pollOnce();
    t.pollOnce();

    assertEquals(concat(before, allBlocks(b)), journal.origins());
    assertEquals(1, metrics.truncations.sum());
    assertEquals(2, metrics.filesDiscovered.sum());
    assertEquals(1, t.filesTracked());
  }

  @Test
  void copyWithTheSameFileId_readOnce() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    f.append(3);
    Files.copy(f.path, dir.resolve("copy-before-first-scan.cairn"));
    SpanFileTailer t = tailer();
    assertEquals(2, t.pollOnce());
    f.append(3);
    Files.copy(f.path, dir.resolve("copy-later.cairn"));
    f.append(3);
    assertEquals(2, t.pollOnce());
    assertEquals(0, t.pollOnce());

    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, metrics.filesDiscovered.sum());
    assertEquals(1, t.filesTracked());
  }

  @Test
  void originalDeletedCopyKept_notReadAgain() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(3);
    f.append(3);
    SpanFileTailer t = tailer();
    assertEquals(2, t.pollOnce());
    Files.copy(f.path, dir.resolve("backup.cairn"));
    Files.delete(f.path);
    processes.put(100L, Liveness.DEAD);
    for (int i = 0; i < 3; i++) {
      t.pollOnce();
    }
    assertEquals(allBlocks(f), journal.origins());
    assertEquals(0, metrics.filesLost.sum());
  }

  @Test
  void gapInAWritersFileNumbers_countedAsLost() throws IOException {
    // A writer started after the shipper: every file it numbered must have been seen.
    SpanFileTailer t = tailer();
    t.pollOnce();
    var process = SpanFileFixture.process(300, (START + 1_000) * 1_000);
    file(name(300, 0), process).append(1);
    file(name(300, 1), process).append(1);
    file(name(300, 3), process).append(1);
    t.pollOnce();
    assertEquals(1, metrics.filesLost.sum(), "file 2");
    file(name(300, 4), process).append(1);
    t.pollOnce();
    assertEquals(1, metrics.filesLost.sum());
    file(name(300, 7), process).append(1);
    t.pollOnce();
    assertEquals(3, metrics.filesLost.sum(), "files 5 and 6");
    assertEquals(5, journal.entries().size());
  }

  @Test
  void writerThatStartedBeforeTheShipper_filesDeletedBeforeNotCountedLost() throws IOException {
    var process = SpanFileFixture.process(300, (START - 60_000) * 1_000);
    file(name(300, 5), process).append(1);
    file(name(300, 8), process).append(1);
    SpanFileTailer t = tailer();
    t.pollOnce();
    assertEquals(0, metrics.filesLost.sum());
    file(name(300, 10), process).append(1);
    t.pollOnce();
    assertEquals(1, metrics.filesLost.sum(), "file 9 was numbered while the shipper watched");
  }

  @Test
  void numberTakenByAnotherProcessWithTheSamePid_notCountedLost() throws IOException {
    // PID 1 in containers: a new JVM skips a name an older one made in the same second.
    SpanFileTailer t = tailer();
    t.pollOnce();
    var older = SpanFileFixture.process(1, (START - 60_000) * 1_000);
    var newer = SpanFileFixture.process(1, (START + 1_000) * 1_000);
    file(name(1, 0), older).append(1);
    file(name(1, 1), newer).append(1);
    t.pollOnce();
    assertEquals(0, metrics.filesLost.sum());
  }

  @Test
  void fileGoneBeforeItsHeaderCouldBeRead_countedLostOnce() throws IOException {
    SpanFileTailer t = tailer();
    t.pollOnce();
    var process = SpanFileFixture.process(300, (START + 1_000) * 1_000);
    Path empty = Files.createFile(dir.resolve(name(300, 0)));
    t.pollOnce();
    Files.delete(empty);
    t.pollOnce();
    t.pollOnce();
    assertEquals(1, metrics.filesLost.sum());
    file(name(300, 1), process).append(1);
    t.pollOnce();
    assertEquals(1, metrics.filesLost.sum(), "the gap at 0 is the file already counted");
    assertEquals(1, journal.entries().size());
  }

  @Test
  void fileRenamedBeforeItsHeaderWasWritten_notCountedLost() throws IOException {
    SpanFileTailer t = tailer();
    Path empty = Files.createFile(dir.resolve("new.cairn"));
    t.pollOnce();
    Path moved = dir.resolve("moved.cairn");
    Files.move(empty, moved);
    SpanFileFixture f = SpanFileFixture.create(moved);
    fixtures.add(f);
    f.append(2);
    t.pollOnce();
    t.pollOnce();
    assertEquals(0, metrics.filesLost.sum());
    assertEquals(allBlocks(f), journal.origins());
  }

  @Test
  void fileWithoutAWholeHeader_waitedOnThenCountedTornOnce() throws IOException {
    Path empty = Files.createFile(dir.resolve("empty.cairn"));
    Path shortOne = dir.resolve("short.cairn");
    SpanFileFixture full = SpanFileFixture.create(tmp.resolve("full.cairn"));
    fixtures.add(full);
    Files.write(shortOne, java.util.Arrays.copyOf(Files.readAllBytes(full.path), 20));
    SpanFileTailer t = tailer();
    t.pollOnce();
    clock.addAndGet(IDLE - 1);
    t.pollOnce();
    assertEquals(0, metrics.tornTails.sum());
    clock.addAndGet(1);
    t.pollOnce();
    t.pollOnce();
    assertEquals(2, metrics.tornTails.sum());
    assertEquals(0, metrics.filesLost.sum());
    assertTrue(Files.exists(empty));
    assertEquals(List.of(), journal.origins());

    // Against all odds the header is completed after all: the file is read like any other.
    full.append(2);
    byte[] all = Files.readAllBytes(full.path);
    Files.write(shortOne, java.util.Arrays.copyOfRange(all, 20, all.length),
        StandardOpenOption.APPEND);
    t.pollOnce();
    assertEquals(allBlocks(full), journal.origins()); // same file ID and offsets as the original
    assertEquals(2, metrics.tornTails.sum());
  }

  @Test
  void corruptHeader_countedOnceAndNotRetried() throws IOException {
    SpanFileFixture f = file("damaged.cairn", 100);
    f.append(3);
    f.overwrite(40, new byte[] {(byte) 0xEE}); // inside the header, after the file ID
    Files.write(dir.resolve("notes.cairn"), "not a span file".getBytes());
    SpanFileTailer t = tailer();
    for (int i = 0; i < 5; i++) {
      assertEquals(0, t.pollOnce());
    }
    assertEquals(List.of(), journal.origins());
    assertEquals(1, metrics.corruptRegions.sum());
    assertEquals(f.size(), metrics.corruptBytes.sum());
    assertEquals(1, metrics.ingestErrors.sum(), "the file that is not a span file, once");
    assertEquals(0, t.filesTracked());
  }

  @Test
  void busyFile_readInSlicesSoOthersAreNotStarved() throws IOException {
    SpanFileFixture busy = file(name(100, 0), 100);
    for (int i = 0; i < 10; i++) {
      busy.append(50);
    }
    SpanFileFixture quiet = file(name(200, 0), 200);
    quiet.append(1);
    SpanFileTailer t = tailer(b -> b.maxBytesPerFilePerPoll(1));
    assertEquals(2, t.pollOnce());
    assertTrue(journal.origins().contains(quiet.id + "@" + quiet.blocks.get(0)));
    FileLag lag = t.lag().stream().filter(l -> l.fileId().equals(busy.id)).findFirst().orElseThrow();
    assertEquals(busy.size() - busy.blocks.get(1), lag.unreadBytes());
    clock.addAndGet(700);
    t.pollOnce();
    lag = t.lag().stream().filter(l -> l.fileId().equals(busy.id)).findFirst().orElseThrow();
    assertEquals(700, lag.oldestUnreadAgeMillis());
    while (t.pollOnce() > 0) {
      // drain
    }
    assertEquals(concat(origins(busy, busy.blocks.get(0)), allBlocks(quiet),
        allBlocks(busy).subList(1, 10)), journal.origins());
    assertEquals(0, t.lag().get(0).unreadBytes());
    assertEquals(0, t.lag().get(0).oldestUnreadAgeMillis());
  }

  @Test
  void openDescriptorsBounded_everyFileStillRead() throws IOException {
    List<SpanFileFixture> fs = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      SpanFileFixture f = file(name(100 + i, 0), 100 + i);
      f.append(2);
      f.append(2);
      fs.add(f);
    }
    SpanFileTailer t = tailer(b -> b.maxOpenFiles(2));
    for (int i = 0; i < 6; i++) {
      t.pollOnce();
      assertTrue(t.openFiles() <= 2, "open: " + t.openFiles());
    }
    fs.get(0).append(3);
    fs.get(5).append(3);
    for (int i = 0; i < 4; i++) {
      t.pollOnce();
      assertTrue(t.openFiles() <= 2, "open: " + t.openFiles());
    }
    List<String> expected = new ArrayList<>();
    fs.forEach(f -> expected.addAll(allBlocks(f)));
    assertEquals(new HashSet<>(expected), new HashSet<>(journal.origins()));
    assertEquals(expected.size(), journal.origins().size());
    assertEquals(6, t.filesTracked());
  }

  @Test
  void writerMovedOnToANewerFile_olderFinishedAfterTheGracePeriod() throws IOException {
    SpanFileFixture old = file(name(100, 0), 100);
    old.append(2);
    old.appendRaw(java.util.Arrays.copyOf(old.block(3), 20));
    SpanFileTailer t = tailer();
    assertEquals(1, t.pollOnce());
    SpanFileFixture next = file(name(100, 1), 100);
    next.append(2);
    assertEquals(1, t.pollOnce());
    clock.addAndGet(GRACE - 1);
    t.pollOnce();
    assertEquals(0, metrics.filesFinished.sum());
    clock.addAndGet(1);
    t.pollOnce();
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(1, metrics.tornTails.sum());
    assertEquals(1, t.filesTracked());
    assertEquals(1, t.openFiles());
  }

  @Test
  void writerRestartedItsNumbering_itsNewestFileIsNotTakenForAnOldOne() throws IOException {
    SpanFileFixture old = file(name(100, 7), 100);
    old.append(2);
    SpanFileTailer t = tailer();
    t.pollOnce();
    SpanFileFixture current = file("spans-20260101T000100Z-100-000000.cairn", 100);
    current.append(2);
    t.pollOnce();
    clock.addAndGet(GRACE);
    t.pollOnce();
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(List.of(current.id), t.lag().stream().map(FileLag::fileId).toList());
    assertEquals(0, metrics.filesLost.sum());
  }

  @Test
  void idleFile_finishedUnlessItsWriterIsKnownToRun() throws IOException {
    SpanFileFixture unknown = file(name(100, 0), 100);
    unknown.append(2);
    SpanFileFixture alive = file(name(200, 0), 200);
    alive.append(2);
    processes.put(100L, Liveness.UNKNOWN);
    SpanFileTailer t = tailer();
    t.pollOnce();
    clock.addAndGet(IDLE);
    t.pollOnce();
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(List.of(alive.id), t.lag().stream().map(FileLag::fileId).toList());
    assertEquals(0, metrics.tornTails.sum());
  }

  @Test
  void finishedFileThatGrowsAfterAll_readOnFromWhereItWasFinished() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    processes.put(100L, Liveness.UNKNOWN);
    SpanFileTailer t = tailer();
    t.pollOnce();
    clock.addAndGet(IDLE);
    t.pollOnce();
    assertEquals(1, metrics.filesFinished.sum());
    assertEquals(0, t.openFiles());
    f.append(4);
    assertEquals(1, t.pollOnce());
    assertEquals(allBlocks(f), journal.origins());
    assertEquals(1, t.filesTracked());
  }

  @Test
  void finishedFiles_rememberedWhileOnDisk_forgottenAWhileAfterTheyAreGone() throws IOException {
    SpanFileFixture gone = file(name(100, 0), 100);
    gone.append(1);
    SpanFileFixture kept = file(name(200, 0), 200);
    kept.append(1);
    processes.put(100L, Liveness.DEAD);
    processes.put(200L, Liveness.DEAD);
    SpanFileTailer t = tailer(b -> b.forgetAfterMillis(60_000));
    t.pollOnce();
    assertEquals(2, metrics.filesFinished.sum());
    Files.delete(gone.path);
    t.pollOnce();
    clock.addAndGet(60_000 - 1);
    t.pollOnce();
    t.checkpoint();
    assertEquals(2, new CheckpointStore(checkpointFile).load().orElseThrow().files().size());
    clock.addAndGet(1);
    t.pollOnce();
    clock.addAndGet(IDLE * 10);
    t.pollOnce();
    t.checkpoint();
    assertEquals(List.of(kept.id), new CheckpointStore(checkpointFile).load().orElseThrow()
        .files().stream().map(CheckpointStore.FileState::fileId).toList());
    assertEquals(allBlocks(gone).size() + allBlocks(kept).size(), journal.entries().size());
  }

  @Test
  void journalRefusesAnAppend_blockRetriedNextPollWithoutLossOrDuplicate() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    f.append(2);
    f.append(2);
    SpanFileTailer t = tailer();
    journal.failAppends = 1;
    assertEquals(0, t.pollOnce());
    assertEquals(1, metrics.ingestErrors.sum());
    journal.failAppends = 0;
    assertEquals(3, t.pollOnce());
    assertEquals(allBlocks(f), journal.origins());
    assertEquals(List.of(1L, 2L, 3L), index.seqs);
  }

  @Test
  void fileGlobs_recursiveAndDirectoryPatterns() throws IOException {
    Path a = Files.createDirectories(dir.resolve("checkout"));
    Path b = Files.createDirectories(dir.resolve("payments/eu"));
    SpanFileFixture fa = SpanFileFixture.create(a.resolve(name(1, 0)));
    SpanFileFixture fb = SpanFileFixture.create(b.resolve(name(2, 0)));
    SpanFileFixture top = SpanFileFixture.create(dir.resolve("top.cairn"));
    fixtures.addAll(List.of(fa, fb, top));
    fa.append(1);
    fb.append(1);
    top.append(1);
    Files.write(a.resolve("spans-x.cairn.tmp"), new byte[0]);

    SpanFileTailer recursive = tailer(List.of(dir + "/**/*.cairn"), x -> {});
    assertEquals(3, recursive.pollOnce());
    recursive.close();
    tailers.remove(recursive);

    journal.close();
    journal = TestJournal.open(tmp.resolve("journal2"), metrics);
    metrics = new ShipperMetrics();
    SpanFileTailer dirs = tailer(List.of(dir + "/*/"), x -> {});
    assertEquals(1, dirs.pollOnce());
    assertEquals(allBlocks(fa), journal.origins());
    assertEquals(0, metrics.filesLost.sum() + metrics.ingestErrors.sum());
  }

  // ---------------------------------------------------------------------------------------------
  // Restarts

  @Test
  void restartWithACheckpointLaggingTheJournal_noDuplicateNoGap() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    f.append(2);
    SpanFileTailer first = tailer();
    first.recover();
    assertEquals(2, first.pollOnce());
    first.checkpoint();
    f.append(2);
    f.append(2);
    assertEquals(2, first.pollOnce());
    first.close(); // killed: no checkpoint after the last two blocks
    f.append(2);

    SpanFileTailer second = tailer();
    second.recover();
    assertEquals(1, second.pollOnce());
    assertEquals(allBlocks(f), journal.origins());
    assertJournalHoldsFileBytes(f);
  }

  @Test
  void restartWithoutACheckpoint_positionsRebuiltFromTheJournal() throws IOException {
    SpanFileFixture a = file(name(100, 0), 100);
    SpanFileFixture b = file(name(200, 0), 200);
    a.append(2);
    b.append(2);
    b.append(2);
    SpanFileTailer first = tailer();
    first.recover();
    assertEquals(3, first.pollOnce());
    first.checkpoint();
    first.close();
    Files.delete(checkpointFile);
    a.append(2);
    b.append(2);

    SpanFileTailer second = tailer();
    second.recover();
    assertEquals(2, second.pollOnce());
    assertEquals(concat(allBlocks(a).subList(0, 1), allBlocks(b).subList(0, 2),
        allBlocks(a).subList(1, 2), allBlocks(b).subList(2, 3)), journal.origins());
    assertTrue(Files.exists(checkpointFile), "recover writes a fresh checkpoint");
  }

  @Test
  void restartAfterTruncation_resumesAtTheNewBlocksNotTheOldOffset() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    long cut = f.append(2);
    f.append(2);
    SpanFileTailer first = tailer();
    first.recover();
    assertEquals(3, first.pollOnce());
    first.checkpoint();
    f.truncate(cut);
    first.pollOnce();
    long a = f.append(2);
    assertEquals(1, first.pollOnce());
    first.close(); // the checkpoint still says: read up to the old, larger offset
    long b = f.append(2);

    SpanFileTailer second = tailer();
    second.recover();
    assertEquals(1, second.pollOnce());
    List<String> origins = journal.origins();
    assertEquals(origins(f, a, b), origins.subList(3, 5));
  }

  @Test
  void restartAfterAFileWasFinished_itIsNotReadAgain() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    f.appendRaw(new byte[] {'C', 'R', 'N'});
    SpanFileTailer first = tailer();
    first.recover();
    first.pollOnce();
    processes.put(100L, Liveness.DEAD);
    first.pollOnce();
    first.checkpoint();
    first.close();
    assertEquals(1, metrics.tornTails.sum());

    metrics = new ShipperMetrics();
    SpanFileTailer second = tailer();
    second.recover();
    assertEquals(0, second.pollOnce());
    assertEquals(0, second.pollOnce());
    assertEquals(0, metrics.tornTails.sum() + metrics.filesDiscovered.sum());
    assertEquals(0, second.filesTracked());
    assertEquals(allBlocks(f), journal.origins());
  }

  @Test
  void fileDeletedWhileTheShipperWasDown_unreadBytesCountedLost() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    f.append(2);
    f.append(2);
    SpanFileTailer first = tailer(b -> b.maxBytesPerFilePerPoll(1));
    first.recover();
    assertEquals(1, first.pollOnce());
    first.checkpoint();
    first.close();
    Files.delete(f.path);

    metrics = new ShipperMetrics();
    SpanFileTailer second = tailer();
    second.recover();
    second.pollOnce();
    assertEquals(1, metrics.filesLost.sum());
    assertEquals(0, second.filesTracked());
  }

  @Test
  void checkpointAheadOfTheJournal_theJournalWins() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    f.append(2);
    SpanFileTailer first = tailer();
    first.recover();
    first.pollOnce();
    first.checkpoint();
    first.close();
    // The journal is wiped (a new disk); the checkpoint says two blocks are in it.
    journal.close();
    deleteTree(tmp.resolve("journal"));
    journal = TestJournal.open(tmp.resolve("journal"), metrics);

    SpanFileTailer second = tailer();
    second.recover();
    assertEquals(2, second.pollOnce());
    assertEquals(allBlocks(f), journal.origins());
  }

  @Test
  void checkpointIfDue_writesAtMostEveryIntervalAndOnlyAfterChanges() throws IOException {
    SpanFileFixture f = file(name(100, 0), 100);
    f.append(2);
    SpanFileTailer t = tailer(b -> b.checkpointIntervalMillis(200));
    t.recover();
    t.pollOnce();
    t.checkpointIfDue();
    assertEquals(0, new CheckpointStore(checkpointFile).load().orElseThrow().lastSeq(),
        "the interval since recover's checkpoint has not passed");
    clock.addAndGet(200);
    t.checkpointIfDue();
    CheckpointStore.Checkpoint c = new CheckpointStore(checkpointFile).load().orElseThrow();
    assertEquals(1, c.lastSeq());
    assertEquals(f.size(), c.files().get(0).nextOffset());
    assertEquals(f.path.toString(), c.files().get(0).path());
    Files.delete(checkpointFile);
    clock.addAndGet(200);
    t.pollOnce();
    t.checkpointIfDue();
    assertTrue(Files.notExists(checkpointFile), "nothing changed, nothing written");
  }
}
