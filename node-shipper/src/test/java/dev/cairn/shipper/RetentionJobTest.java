package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.testing.TestSpans;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RetentionJobTest {
  @TempDir Path state;

  /** A journal whose retention deletes what the test says, for the counting rules; the real one is below. */
  static final class ScriptedJournal implements Journal {
    long first = 1;
    long last;
    final List<Retention.Result> script = new ArrayList<>();
    final List<long[]> calls = new ArrayList<>();
    RuntimeException failure;

    @Override
    public long append(UUID fileId, long fileOffset, ByteBuffer block) {
      return ++last;
    }

    @Override
    public long firstSeq() {
      return first;
    }

    @Override
    public long lastSeq() {
      return last;
    }

    @Override
    public Reader reader() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void onAppend(Runnable listener) {}

    @Override
    public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
      calls.add(new long[] {maxAgeMillis, maxBytes});
      if (failure != null) {
        throw failure;
      }
      Retention.Result r = script.isEmpty() ? new Retention.Result(0, 0, 0, first) : script.remove(0);
      first = r.firstSeqAfter();
      return r;
    }

    @Override
    public long primaryBytes() {
      return 0;
    }

    @Override
    public long replicaBytes() {
      return 0;
    }

    @Override
    public Source servingFrom() {
      return Source.PRIMARY;
    }

    @Override
    public void close() {}
  }

  static final class RecordingIndex implements TraceIndex {
    final List<Long> retainFrom = new ArrayList<>();

    @Override
    public void add(long seq, ByteBuffer block) {}

    @Override
    public long[] find(long traceIdHigh, long traceIdLow) {
      return new long[0];
    }

    @Override
    public void retainFrom(long firstSeq) {
      retainFrom.add(firstSeq);
    }

    @Override
    public long durableSeq() {
      return 0;
    }

    @Override
    public void close() {}
  }

  private final ScriptedJournal journal = new ScriptedJournal();
  private final RecordingIndex index = new RecordingIndex();
  private final ShipperMetrics metrics = new ShipperMetrics();
  private final AtomicLong served = new AtomicLong();

  private RetentionJob job(PulledMark mark) {
    return new RetentionJob(journal, index, mark, served::get, metrics, Duration.ofHours(72), 10L << 30);
  }

  @Test
  void deletedBlocksAbovePullersMark_areCountedUnread_belowAreNot() {
    journal.last = 1000;
    served.set(250);
    journal.script.add(new Retention.Result(2, 400, 4096, 401));

    job(PulledMark.load(state)).runOnce();

    assertEquals(150, metrics.blocksExpiredUnread.sum(), "seqs 251..400 were never pulled");
    assertEquals(List.of(401L), index.retainFrom);
    assertEquals(List.of(72L * 3600 * 1000, 10L << 30), List.of(journal.calls.get(0)[0], journal.calls.get(0)[1]));
  }

  @Test
  void nothingPulled_everyDeletedBlockIsUnread_andNothingDeletedCountsNothing() {
    journal.last = 100;
    journal.script.add(new Retention.Result(0, 0, 0, 1));
    RetentionJob job = job(PulledMark.load(state));

    job.runOnce();
    assertEquals(0, metrics.blocksExpiredUnread.sum());
    assertEquals(List.of(), index.retainFrom, "nothing deleted, nothing to forget");

    journal.script.add(new Retention.Result(1, 60, 100, 61));
    job.runOnce();
    assertEquals(60, metrics.blocksExpiredUnread.sum());
  }

  @Test
  void pullersAheadOfTheDeletion_nothingUnread() {
    journal.last = 100;
    served.set(90);
    journal.script.add(new Retention.Result(1, 50, 100, 51));

    job(PulledMark.load(state)).runOnce();

    assertEquals(0, metrics.blocksExpiredUnread.sum());
  }

  @Test
  void pullersMark_survivesARestart() throws IOException {
    journal.last = 1000;
    served.set(700);
    job(PulledMark.load(state)).runOnce();
    assertEquals("700", Files.readString(state.resolve(PulledMark.FILE_NAME), US_ASCII).strip());

    // A new process: the pull server has served nothing yet, the mark is what was saved.
    served.set(0);
    journal.script.add(new Retention.Result(3, 800, 1 << 20, 801));
    job(PulledMark.load(state)).runOnce();

    assertEquals(100, metrics.blocksExpiredUnread.sum(), "seqs 701..800");
  }

  @Test
  void damagedMarkFile_startsFromZero() throws IOException {
    Files.writeString(state.resolve(PulledMark.FILE_NAME), "garbage");

    assertEquals(0, PulledMark.load(state).get());
  }

  @Test
  void markOnlyMovesUp() {
    PulledMark m = PulledMark.load(state);
    m.advance(10);
    m.advance(5);
    assertEquals(10, m.get());
  }

  @Test
  void failingPass_isLoggedAndCountedNotThrown() {
    journal.failure = new IllegalStateException("disk gone");

    job(PulledMark.load(state)).run();

    assertEquals(1, metrics.ingestErrors.sum());
  }

  /**
   * The real journal: three five-minute cycles, the oldest past retention. Its blocks are deleted
   * from both copies, the index is told to forget them, and those above the pullers' mark count as
   * expired unread.
   */
  @Test
  void chronicleJournal_oldCycleDeleted_indexToldToForgetIt_unreadCounted() {
    long cycle = Duration.ofMinutes(5).toMillis();
    AtomicLong clock = new AtomicLong(1_763_700_000_000L / cycle * cycle + 1_000);
    TestSpans gen = new TestSpans(3);
    try (ChronicleJournal real = ChronicleJournal.open(state.resolve("primary"), state.resolve("replica"), metrics,
        ChronicleJournal.Options.defaults().withCycleLength(ChronicleJournal.CycleLength.FIVE_MINUTES)
            .withClock(clock::get))) {
      for (int c = 0; c < 3; c++) {
        for (int b = 0; b < 10; b++) {
          BlockEncoder enc = new BlockEncoder(64 << 10);
          for (int s = 0; s < 5; s++) {
            enc.addSpan(gen.httpServerSpan());
          }
          real.append(UUID.randomUUID(), 64, enc.finish());
        }
        clock.addAndGet(cycle);
      }
      served.set(4);

      // Now = start of cycle 3: cycle 0 ended 10 minutes ago, cycle 1 five, cycle 2 is just over.
      Retention.Result r = new RetentionJob(real, index, PulledMark.load(state), served::get, metrics,
          Duration.ofMinutes(8), Long.MAX_VALUE).runOnce();

      assertEquals(10, r.blocksDeleted());
      assertEquals(11, real.firstSeq());
      assertEquals(30, real.lastSeq());
      assertEquals(List.of(11L), index.retainFrom);
      assertEquals(6, metrics.blocksExpiredUnread.sum(), "seqs 5..10 were never pulled");
      assertEquals(10, metrics.blocksExpired.sum());
      try (Journal.Reader reader = real.reader()) {
        assertEquals(11, reader.seek(1), "the deleted entries are gone");
      }
    }
  }
}
