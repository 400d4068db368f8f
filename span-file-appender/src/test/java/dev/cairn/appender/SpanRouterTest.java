package dev.cairn.appender;

import static dev.cairn.appender.TestLog4j.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.spi.SpanSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanRouterTest {
  @TempDir Path tmp;

  @Test
  void noSpanFileAppender_dropsCountsAndWarnsOnce() throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    StatusListener listener = new StatusListener() {
      @Override
      public void log(StatusData data) {
        if (data.getLevel().isMoreSpecificThan(Level.WARN)) {
          warnings.add(data.getMessage().getFormattedMessage());
        }
      }

      @Override
      public Level getStatusLevel() {
        return Level.WARN;
      }

      @Override
      public void close() {}
    };
    StatusLogger.getLogger().registerListener(listener);
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn">
          <Appenders><Console name="console"/></Appenders>
          <Loggers><Root level="info"><AppenderRef ref="console"/></Root></Loggers>
        </Configuration>
        """)) {
      long before = SpanFiles.droppedNoAppender();
      for (int i = 0; i < 4; i++) {
        assertFalse(SpanFiles.sink().offer(TestSpans.simple(1, i + 1)));
      }
      assertEquals(4, SpanFiles.droppedNoAppender() - before);
    } finally {
      StatusLogger.getLogger().removeListener(listener);
    }
    List<String> ours = warnings.stream().filter(w -> w.contains("leads to no <SpanFile>")).toList();
    assertEquals(1, ours.size(), "warned once: " + warnings);
    assertTrue(ours.get(0).contains("cairn.spans"), ours.get(0));
  }

  @Test
  void spansLoggerLevelOff_switchesOutputOff() throws Exception {
    Path dir = tmp.resolve("spans");
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn">
          <Appenders><SpanFile name="spans" directory="%s"/></Appenders>
          <Loggers>
            <Logger name="cairn.spans" level="off"><AppenderRef ref="spans"/></Logger>
            <Root level="info"/>
          </Loggers>
        </Configuration>
        """.formatted(dir))) {
      appender = log4j.appender("spans");
      long before = SpanFiles.droppedNoAppender();
      assertFalse(SpanFiles.sink().offer(TestSpans.simple(1, 1)));
      assertEquals(before, SpanFiles.droppedNoAppender(), "switched off is not a drop");
    }
    assertEquals(0, appender.stats().spansWritten());
    assertEquals(List.of(), SpanFilesOnDisk.read(dir).spans);
  }

  @Test
  void spansLoggerNotConfigured_reachesTheRootsSpanFile() throws Exception {
    Path dir = tmp.resolve("spans");
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn">
          <Appenders><SpanFile name="spans" directory="%s"/></Appenders>
          <Loggers><Root level="info"><AppenderRef ref="spans"/></Root></Loggers>
        </Configuration>
        """.formatted(dir))) {
      assertTrue(SpanFiles.sink().offer(TestSpans.simple(1, 1)));
    }
    assertEquals(1, SpanFilesOnDisk.read(dir).assertClean().spans.size());
  }

  @Test
  void additiveSpansLogger_feedsItsOwnAndTheRootsSpanFilesOnce() throws Exception {
    Path a = tmp.resolve("a");
    Path b = tmp.resolve("b");
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn">
          <Appenders>
            <SpanFile name="a" directory="%s"/>
            <SpanFile name="b" directory="%s"/>
          </Appenders>
          <Loggers>
            <Logger name="cairn.spans" level="info"><AppenderRef ref="a"/></Logger>
            <Root level="info"><AppenderRef ref="a"/><AppenderRef ref="b"/></Root>
          </Loggers>
        </Configuration>
        """.formatted(a, b))) {
      assertTrue(SpanFiles.sink().offer(TestSpans.simple(1, 1)));
    }
    assertEquals(1, SpanFilesOnDisk.read(a).assertClean().spans.size(), "once, though listed twice");
    assertEquals(1, SpanFilesOnDisk.read(b).assertClean().spans.size());
  }

  @Test
  void reconfiguration_keepsTheManagerAndLosesNoSpans() throws Exception {
    Path dir = tmp.resolve("spans");
    Set<Long> accepted = new HashSet<>();
    AtomicLong refused = new AtomicLong();
    SpanFileAppender first;
    SpanFileAppender last;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "")) {
      first = log4j.appender("spans");
      SpanSink sink = SpanFiles.sink();
      AtomicBoolean running = new AtomicBoolean(true);
      Thread producer = new Thread(() -> {
        long id = 0;
        while (running.get()) {
          for (int i = 0; i < 10; i++) {
            id++;
            if (sink.offer(TestSpans.simple(1, id))) {
              synchronized (accepted) {
                accepted.add(id);
              }
            } else {
              refused.incrementAndGet();
            }
          }
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "test-producer");
      producer.start();
      try {
        for (int i = 0; i < 3; i++) {
          Thread.sleep(50);
          log4j.context.reconfigure();
        }
        Thread.sleep(50);
        // A new configuration object, not a reload of the file: setConfiguration path.
        log4j.context.setConfigLocation(log4j.configFile.toUri());
        Thread.sleep(50);
      } finally {
        running.set(false);
        producer.join();
      }
      last = log4j.appender("spans");
      assertNotSame(first, last, "reconfiguration built a new appender");
      assertSame(first.manager(), last.manager(), "and it kept the manager");
      assertTrue(accepted.size() > 100, "the producer ran: " + accepted.size());
    }
    assertEquals(0, refused.get(), "refused offers");
    Set<Long> written = new HashSet<>();
    for (SpanRecord s : SpanFilesOnDisk.read(dir).assertClean().spans) {
      written.add(s.spanId());
    }
    assertEquals(accepted, written);
    assertEquals(0, last.stats().dropped());
    try (var files = Files.list(dir)) {
      assertEquals(1, files.count(), "one file: the manager kept it open throughout");
    }
  }

  @Test
  void sinkUsedBeforeLog4jIsConfigured_findsTheAppenderOnceItIs() throws Exception {
    Path dir = tmp.resolve("spans");
    // Routes computed against an earlier configuration must not stick.
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn"><Loggers><Root level="info"/></Loggers></Configuration>
        """)) {
      assertFalse(SpanFiles.sink().offer(TestSpans.simple(1, 1)));
      log4j.rewrite("""
          <Configuration status="warn">
            <Appenders><SpanFile name="spans" directory="%s"/></Appenders>
            <Loggers><Logger name="cairn.spans" level="info"><AppenderRef ref="spans"/></Logger>
              <Root level="info"/></Loggers>
          </Configuration>
          """.formatted(dir));
      log4j.context.reconfigure();
      assertTrue(SpanFiles.sink().offer(TestSpans.simple(1, 2)));
    }
    List<Long> ids = new ArrayList<>();
    SpanFilesOnDisk.read(dir).assertClean().spans.forEach(s -> ids.add(s.spanId()));
    assertEquals(List.of(2L), ids);
  }

  @Test
  void sinkAfterContextShutdown_followsTheNextContext() throws Exception {
    Path first = tmp.resolve("first");
    Path second = tmp.resolve("second");
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, first, "")) {
      assertTrue(SpanFiles.sink().offer(TestSpans.simple(1, 1)));
    }
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, second, "")) {
      SpanFileAppender appender = log4j.appender("spans");
      assertTrue(SpanFiles.sink().offer(TestSpans.simple(1, 2)));
      await("written", Duration.ofSeconds(10), () -> appender.stats().spansWritten() == 1);
    }
    assertEquals(List.of(1L), SpanFilesOnDisk.read(first).spans.stream().map(SpanRecord::spanId).toList());
    assertEquals(List.of(2L), SpanFilesOnDisk.read(second).spans.stream().map(SpanRecord::spanId).toList());
  }
}
