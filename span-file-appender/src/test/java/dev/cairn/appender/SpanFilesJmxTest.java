package dev.cairn.appender;

import static dev.cairn.appender.TestLog4j.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanFilesJmxTest {
  @TempDir Path tmp;

  @Test
  void bean_isRegisteredWhileRunning_andShowsTheCounts() throws Exception {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = new ObjectName("dev.cairn:type=SpanFile,name=spans");
    Path dir = tmp.resolve("spans");
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir, "ringSize=\"4\" flushIntervalMillis=\"20\"")) {
      SpanFileAppender appender = log4j.appender("spans");
      appender.manager().pauseWriter();
      for (int i = 0; i < 6; i++) {
        SpanFiles.sink().offer(TestSpans.simple(1, i + 1));
      }
      appender.manager().resumeWriter();
      await("written", Duration.ofSeconds(10), () -> appender.stats().spansWritten() == 4);

      assertTrue(server.isRegistered(name));
      assertEquals(4L, server.getAttribute(name, "SpansWritten"));
      assertEquals(2L, server.getAttribute(name, "DroppedRingFull"));
      assertEquals(1L, server.getAttribute(name, "BlocksWritten"));
      assertEquals(1L, server.getAttribute(name, "FilesCreated"));
      assertEquals(dir.toString(), server.getAttribute(name, "Directory"));
      assertTrue(((String) server.getAttribute(name, "ActiveFile")).startsWith(dir.toString()));
      assertEquals(SpanFiles.stats("spans").orElseThrow().bytesWritten(),
          server.getAttribute(name, "BytesWritten"));
    }
    assertFalse(server.isRegistered(name), "unregistered when the appender stops");
    assertTrue(SpanFiles.stats("spans").isEmpty());
  }
}
