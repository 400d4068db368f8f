package dev.cairn.appender;

import static dev.cairn.appender.TestLog4j.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.spi.SpanSink;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanFileManagerTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  @TempDir Path tmp;

  @Test
  void fullRing_refusesExactlyTheExcessWithoutBlocking() throws Exception {
    Path dir = tmp.resolve("spans");
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "ringSize=\"8\"")) {
      appender = log4j.appender("spans");
      SpanFileManager manager = appender.manager();
      SpanSink sink = SpanFiles.sink();
      manager.pauseWriter();
      List<Boolean> taken = new ArrayList<>();
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
        for (int i = 0; i < 13; i++) {
          taken.add(sink.offer(TestSpans.simple(1, i + 1)));
        }
      });
      assertEquals(List.of(true, true, true, true, true, true, true, true,
          false, false, false, false, false), taken);
      assertEquals(5, appender.stats().droppedRingFull());
      manager.resumeWriter();
      await("ring drained", WAIT, () -> appender.stats().spansWritten() == 8);
    }
    List<SpanRecord> spans = SpanFilesOnDisk.read(dir).assertClean().spans;
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), spans.stream().map(SpanRecord::spanId).toList());
    assertEquals(5, appender.stats().droppedRingFull(), "no other drops");
    assertEquals(5, appender.stats().dropped());
  }

  @Test
  void diskFull_dropsAndCountsTheBlock_fileStaysClean_writingResumes() throws Exception {
    Path dir = tmp.resolve("spans");
    AtomicLong spaceLeft = new AtomicLong(Long.MAX_VALUE);
    SpanFileAppender appender;
    List<SpanRecord> before = TestSpans.full(1, 10);
    List<SpanRecord> during = TestSpans.full(2, 10);
    List<SpanRecord> after = TestSpans.full(3, 10);
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"20\"")) {
      appender = log4j.appender("spans");
      appender.manager().channelOpener(file ->
          new FlakyChannel(ChannelOpener.DEFAULT.open(file), spaceLeft, new AtomicBoolean()));
      SpanSink sink = SpanFiles.sink();

      before.forEach(s -> assertTrue(sink.offer(s)));
      await("first batch written", WAIT, () -> appender.stats().spansWritten() == 10);

      spaceLeft.set(100); // the next block gets 100 bytes in, then the disk is full
      // Taken into the ring: the application learns nothing of the disk, and nothing throws.
      during.forEach(s -> assertTrue(sink.offer(s)));
      await("second batch dropped", WAIT, () -> appender.stats().droppedIo() == 10);
      assertTrue(appender.stats().ioErrors() >= 1);
      SpanFilesOnDisk midway = SpanFilesOnDisk.read(dir).assertClean();
      assertEquals(before, midway.spans, "the half-written block was cut off");

      spaceLeft.set(Long.MAX_VALUE);
      after.forEach(s -> assertTrue(sink.offer(s)));
      await("third batch written", WAIT, () -> appender.stats().spansWritten() == 20);
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    List<SpanRecord> expected = new ArrayList<>(before);
    expected.addAll(after);
    assertEquals(expected, disk.spans);
    assertEquals(1, disk.files.size(), "same file throughout");
    assertEquals(10, appender.stats().droppedIo());
  }

  @Test
  void failedWriteThatCannotBeTruncated_rollsToANewFile() throws Exception {
    Path dir = tmp.resolve("spans");
    AtomicLong spaceLeft = new AtomicLong(Long.MAX_VALUE);
    AtomicBoolean truncateFails = new AtomicBoolean(true);
    SpanFileAppender appender;
    List<SpanRecord> before = TestSpans.full(1, 5);
    List<SpanRecord> after = TestSpans.full(3, 5);
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"20\"")) {
      appender = log4j.appender("spans");
      appender.manager().channelOpener(file ->
          new FlakyChannel(ChannelOpener.DEFAULT.open(file), spaceLeft, truncateFails));
      SpanSink sink = SpanFiles.sink();
      before.forEach(sink::offer);
      await("first batch written", WAIT, () -> appender.stats().spansWritten() == 5);
      spaceLeft.set(100);
      TestSpans.full(2, 5).forEach(sink::offer);
      await("second batch dropped", WAIT, () -> appender.stats().droppedIo() == 5);
      spaceLeft.set(Long.MAX_VALUE);
      after.forEach(sink::offer);
      await("third batch written", WAIT, () -> appender.stats().spansWritten() == 10);
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir);
    assertEquals(2, disk.files.size(), "rolled after the failed truncate");
    assertEquals(1, disk.results.get(0).torn(), "first file ends in the half-written block");
    assertEquals(0, disk.results.get(0).corrupt());
    assertEquals(0, disk.results.get(1).torn() + disk.results.get(1).corrupt());
    List<SpanRecord> expected = new ArrayList<>(before);
    expected.addAll(after);
    assertEquals(expected, disk.spans);
    assertEquals(2, appender.stats().filesCreated());
  }

  @Test
  void writerSurvivesASpanThatThrowsAnError() throws Exception {
    Path dir = tmp.resolve("spans");
    SpanRecord template = TestSpans.simple(9, 9);
    // Errors are not caught by the encoder, so this reaches the writer loop itself.
    SpanView broken = (SpanView) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {SpanView.class}, (proxy, method, args) -> {
          if (method.getName().equals("name")) {
            throw new AssertionError("broken span implementation");
          }
          return method.invoke(template, args);
        });
    List<SpanRecord> good = TestSpans.full(5, 20);
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"20\"")) {
      appender = log4j.appender("spans");
      assertTrue(SpanFiles.sink().offer(broken));
      await("writer error counted", WAIT, () -> appender.stats().writerErrors() == 1);
      good.forEach(SpanFiles.sink()::offer);
      await("later spans written", WAIT, () -> appender.stats().spansWritten() == 20);
    }
    assertEquals(good, SpanFilesOnDisk.read(dir).assertClean().spans);
    assertEquals(1, appender.stats().droppedEncode());
  }

  @Test
  void offer_allocatesNothingOnTheApplicationThread() throws Exception {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    Path dir = tmp.resolve("spans");
    SpanRecord span = TestSpans.simple(1, 1);
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "ringSize=\"65536\"")) {
      SpanFileAppender appender = log4j.appender("spans");
      SpanSink sink = SpanFiles.sink();
      for (int i = 0; i < 20_000; i++) {
        sink.offer(span); // resolves the route and warms up
      }
      await("warm-up written", WAIT, () -> appender.stats().spansWritten() == 20_000);
      long before = threads.getCurrentThreadAllocatedBytes();
      for (int i = 0; i < 20_000; i++) {
        sink.offer(span);
      }
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      // The ring stores a reference; 20 000 offers of one span must cost next to nothing.
      assertTrue(allocated < 2_000, allocated + " bytes allocated by 20000 offers");
      assertEquals(0, appender.stats().dropped());
    }
  }

  @Test
  void offersAfterStop_areDroppedAndCounted() throws Exception {
    Path dir = tmp.resolve("spans");
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "")) {
      appender = log4j.appender("spans");
    }
    assertFalse(appender.manager().offerSpan(TestSpans.simple(1, 1)));
    assertEquals(1, appender.stats().droppedAfterStop());
    assertEquals(0, appender.stats().spansWritten());
  }
}
