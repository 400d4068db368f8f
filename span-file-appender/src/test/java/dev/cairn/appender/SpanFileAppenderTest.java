package dev.cairn.appender;

import static dev.cairn.appender.TestLog4j.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.spi.SpanSink;
import dev.cairn.core.spi.SpanSinkProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanFileAppenderTest {
  @TempDir Path tmp;

  @Test
  void spansOfferedThroughServiceLoaderSink_readBackEqual() throws Exception {
    Path dir = tmp.resolve("spans");
    List<SpanRecord> input = TestSpans.full(7, 500);
    SpanSink sink = ServiceLoader.load(SpanSinkProvider.class).findFirst().orElseThrow().sink();
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "instance=\"pod-1\"")) {
      appender = log4j.appender("spans");
      for (SpanRecord s : input) {
        assertTrue(sink.offer(s), "offer accepted");
      }
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    assertEquals(input, disk.spans);
    assertEquals(1, disk.files.size());
    String name = disk.files.get(0).getFileName().toString();
    assertTrue(name.matches("spans-\\d{8}T\\d{6}Z-" + ProcessHandle.current().pid() + "-\\d+\\.cairn"),
        name);
    FileHeader header = disk.results.get(0).header();
    assertEquals("checkout", header.process().service());
    assertEquals("pod-1", header.process().instance());
    assertEquals(ProcessHandle.current().pid(), header.process().pid());
    assertEquals(System.getProperty("java.version"), header.process().tags().get("java.version"));
    assertTrue(header.process().startMicros() > 0);
    assertEquals(500, appender.stats().spansWritten());
    assertEquals(0, appender.stats().dropped());
  }

  @Test
  void sinkProvider_isThisModulesSink() {
    SpanSinkProvider p = ServiceLoader.load(SpanSinkProvider.class).findFirst().orElseThrow();
    assertInstanceOf(SpanFileSinkProvider.class, p);
  }

  @Test
  void blockNotFull_isWrittenWhenFlushIntervalPasses() throws Exception {
    Path dir = tmp.resolve("spans");
    List<SpanRecord> input = TestSpans.full(3, 3);
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"200\"")) {
      SpanFileAppender appender = log4j.appender("spans");
      long start = System.nanoTime();
      input.forEach(SpanFiles.sink()::offer);
      // About 200 ms on an idle machine; the bound is loose for a busy CI box.
      await("3 spans written", Duration.ofSeconds(3), () -> appender.stats().spansWritten() == 3);
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis >= 200, "written before the flush interval passed: " + millis + " ms");
      assertEquals(1, appender.stats().blocksWritten());
      // Read while the file is still open: the block is complete on disk.
      assertEquals(input, SpanFilesOnDisk.read(dir).assertClean().spans);
    }
  }

  @Test
  void blockNotFull_isWrittenOnStop() throws Exception {
    Path dir = tmp.resolve("spans");
    List<SpanRecord> input = TestSpans.full(4, 5);
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "flushIntervalMillis=\"600000\"")) {
      appender = log4j.appender("spans");
      input.forEach(SpanFiles.sink()::offer);
      Thread.sleep(100);
      assertEquals(0, appender.stats().blocksWritten(), "nothing written before stop");
    }
    assertEquals(input, SpanFilesOnDisk.read(dir).assertClean().spans);
    assertEquals(5, appender.stats().spansWritten());
  }

  @Test
  void captureLogs_writesLogsWithTheEventsTraceAndSpanIds() throws Exception {
    Path dir = tmp.resolve("spans");
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir,
        "captureLogs=\"true\" maxLogMessageChars=\"40\"")) {
      appender = log4j.appender("spans");
      Logger log = log4j.context.getLogger("shop.Checkout");
      log.info("outside any span");
      ThreadContext.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
      ThreadContext.put("span_id", "00f067aa0ba902b7");
      try {
        log.info("charged {} for order {}", "12.50 EUR", "o-17");
        log.warn("declined", new IllegalStateException("card expired"));
        log.info("x".repeat(100));
        log4j.context.getLogger(SpanFiles.SPANS_LOGGER).info("not a business log");
      } finally {
        ThreadContext.clearMap();
      }
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    assertEquals(3, disk.logs.size(), "logs: " + disk.logs);
    String thread = Thread.currentThread().getName();
    for (LogRecord l : disk.logs) {
      assertEquals("4bf92f3577b34da6a3ce929d0e0e4736", l.traceIdHex());
      assertEquals(0x00f067aa0ba902b7L, l.spanId());
      assertEquals("shop.Checkout", l.logger());
      assertEquals(thread, l.thread());
      assertTrue(Math.abs(l.timeMicros() / 1000 - System.currentTimeMillis()) < 60_000,
          "time in microseconds: " + l.timeMicros());
    }
    LogRecord charged = disk.logs.get(0);
    assertEquals("INFO", charged.level());
    assertEquals("charged 12.50 EUR for order o-17", charged.message());
    assertEquals("", charged.thrown());
    LogRecord declined = disk.logs.get(1);
    assertEquals("WARN", declined.level());
    assertTrue(declined.thrown().startsWith("java.lang.IllegalStateException: card expired"),
        declined.thrown());
    assertTrue(declined.thrown().contains("\tat dev.cairn.appender.SpanFileAppenderTest"));
    assertEquals("x".repeat(40), disk.logs.get(2).message(), "truncated at maxLogMessageChars");
    assertEquals(3, appender.stats().logsWritten());
    assertEquals(1, appender.stats().logsWithoutTrace());
  }

  @Test
  void captureLogsOff_writesNoLogs() throws Exception {
    Path dir = tmp.resolve("spans");
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "")) {
      ThreadContext.put("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
      ThreadContext.put("span_id", "00f067aa0ba902b7");
      try {
        log4j.context.getLogger("shop.Checkout").info("charged");
      } finally {
        ThreadContext.clearMap();
      }
      SpanFiles.sink().offer(TestSpans.simple(1, 1));
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    assertEquals(List.of(), disk.logs);
    assertEquals(1, disk.spans.size());
  }
}
