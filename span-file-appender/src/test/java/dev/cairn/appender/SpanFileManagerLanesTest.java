package dev.cairn.appender;

import static dev.cairn.appender.TestLog4j.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.spi.SpanSink;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The application threads' lanes: each thread's spans in order, bounded lanes, reuse, stop. */
class SpanFileManagerLanesTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  @TempDir Path tmp;

  @Test
  void moreThreadsThanLanes_everySpanWrittenOnce_inEachThreadsOrder() throws Exception {
    Path dir = tmp.resolve("spans");
    int threads = SpanFileManager.MAX_LANES + 4; // the last ones share the ring
    int perThread = 3_000;
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "ringSize=\"16384\" flushIntervalMillis=\"20\"")) {
      appender = log4j.appender("spans");
      SpanSink sink = SpanFiles.sink();
      CountDownLatch go = new CountDownLatch(1);
      CountDownLatch done = new CountDownLatch(threads);
      List<Thread> started = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long thread = t + 1;
        Thread th = new Thread(() -> {
          try {
            go.await();
            for (int i = 1; i <= perThread; i++) {
              // The writer keeps up easily here; a refusal would show up as a missing span.
              sink.offer(TestSpans.simple(thread, i));
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            done.countDown();
          }
        });
        th.start();
        started.add(th);
      }
      go.countDown();
      assertTrue(done.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS));
      await("all written", WAIT,
          () -> appender.stats().spansWritten() + appender.stats().dropped() == (long) threads * perThread);
      assertEquals(0, appender.stats().dropped(), "nothing dropped: " + appender.stats());
      for (Thread th : started) {
        th.join();
      }
    }
    List<SpanRecord> spans = SpanFilesOnDisk.read(dir).assertClean().spans;
    assertEquals((long) threads * perThread, spans.size());
    Map<Long, List<Long>> byThread = spans.stream().collect(Collectors.groupingBy(
        SpanRecord::traceIdLow, Collectors.mapping(SpanRecord::spanId, Collectors.toList())));
    assertEquals(threads, byThread.size());
    List<Long> expected = new ArrayList<>();
    for (long i = 1; i <= perThread; i++) {
      expected.add(i);
    }
    byThread.forEach((thread, ids) -> assertEquals(expected, ids, "spans of thread " + thread));
  }

  @Test
  void lanesOfDeadThreads_areDrainedReleasedAndReused() throws Exception {
    Path dir = tmp.resolve("spans");
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"20\"")) {
      SpanFileAppender appender = log4j.appender("spans");
      SpanFileManager manager = appender.manager();
      SpanSink sink = SpanFiles.sink();
      // Rounds of short-lived threads, twice as many in all as there are lanes: without release
      // the later rounds would find no lane.
      int rounds = 4;
      int perRound = SpanFileManager.MAX_LANES / 2;
      int spans = 0;
      for (int round = 0; round < rounds; round++) {
        List<Thread> batch = new ArrayList<>();
        for (int t = 0; t < perRound; t++) {
          long id = round * 1000L + t;
          batch.add(new Thread(() -> {
            for (int i = 1; i <= 100; i++) {
              sink.offer(TestSpans.simple(id, i));
            }
          }));
        }
        batch.forEach(Thread::start);
        for (Thread th : batch) {
          th.join();
        }
        spans += perRound * 100;
        assertTrue(manager.lanesLeased() <= SpanFileManager.MAX_LANES);
        await("lanes of dead threads released", WAIT, () -> manager.lanesLeased() == 0);
        int expected = spans;
        await("spans written", WAIT, () -> appender.stats().spansWritten() == expected);
      }
      assertEquals(0, appender.stats().dropped());
      assertTrue(manager.lanesMade() <= SpanFileManager.MAX_LANES);
    }
  }

  @Test
  void stop_drainsEveryLane() throws Exception {
    Path dir = tmp.resolve("spans");
    int threads = 3;
    int perThread = 5_000;
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"60000\"")) {
      appender = log4j.appender("spans");
      appender.manager().pauseWriter();
      SpanSink sink = SpanFiles.sink();
      List<Thread> batch = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long id = t + 1;
        batch.add(new Thread(() -> {
          for (int i = 1; i <= perThread; i++) {
            sink.offer(TestSpans.simple(id, i));
          }
        }));
      }
      batch.forEach(Thread::start);
      for (Thread th : batch) {
        th.join();
      }
      assertEquals(0, appender.stats().spansWritten(), "paused: all still in the lanes");
      // Closing the context stops the manager, with the writer still paused.
    }
    assertEquals(threads * perThread, appender.stats().spansWritten());
    assertEquals(0, appender.stats().dropped());
    assertEquals(threads * perThread, SpanFilesOnDisk.read(dir).assertClean().spans.size());
  }
}
