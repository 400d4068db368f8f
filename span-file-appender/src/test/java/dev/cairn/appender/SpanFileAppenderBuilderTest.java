package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanFileAppenderBuilderTest {
  @TempDir Path tmp;

  @Test
  void size_acceptsLog4jStyleSizes() {
    List<String> errors = new ArrayList<>();
    assertEquals(64L << 20, SpanFileAppender.Builder.size("s", "64MB", 0, Long.MAX_VALUE, errors));
    assertEquals(512L << 10, SpanFileAppender.Builder.size("s", "512 kb", 0, Long.MAX_VALUE, errors));
    assertEquals(1L << 30, SpanFileAppender.Builder.size("s", "1GiB", 0, Long.MAX_VALUE, errors));
    assertEquals(2L << 30, SpanFileAppender.Builder.size("s", "2g", 0, Long.MAX_VALUE, errors));
    assertEquals(4096, SpanFileAppender.Builder.size("s", "4096", 0, Long.MAX_VALUE, errors));
    assertEquals(List.of(), errors);
  }

  @Test
  void size_rejectsNonsenseAndOutOfRange_namingTheAttribute() {
    List<String> errors = new ArrayList<>();
    assertEquals(-1, SpanFileAppender.Builder.size("maxFileSize", "big", 0, 10, errors));
    assertEquals(-1, SpanFileAppender.Builder.size("blockSize", "1MB", 1024, 4096, errors));
    assertEquals(-1, SpanFileAppender.Builder.size("maxTotalSize", "99999999999TB", 0,
        Long.MAX_VALUE, errors));
    assertEquals(3, errors.size());
    assertTrue(errors.get(0).contains("maxFileSize='big'"), errors.get(0));
    assertTrue(errors.get(1).contains("blockSize='1MB'"), errors.get(1));
    assertTrue(errors.get(2).contains("maxTotalSize"), errors.get(2));
  }

  @Test
  void badAttributes_areReportedByNameAndNoAppenderIsCreated() throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    StatusListener listener = new StatusListener() {
      @Override
      public void log(StatusData data) {
        if (data.getLevel().isMoreSpecificThan(Level.ERROR)) {
          errors.add(data.getMessage().getFormattedMessage());
        }
      }

      @Override
      public Level getStatusLevel() {
        return Level.ERROR;
      }

      @Override
      public void close() {}
    };
    StatusLogger.getLogger().registerListener(listener);
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="off">
          <Appenders>
            <SpanFile name="spans" ringSize="1000" maxFileSize="2MB" maxTotalSize="1MB"
                filePrefix="a/b" blockSize="16MB"/>
          </Appenders>
          <Loggers><Root level="info"><AppenderRef ref="spans"/></Root></Loggers>
        </Configuration>
        """)) {
      assertNull(log4j.context.getConfiguration().getAppender("spans"));
    } finally {
      StatusLogger.getLogger().removeListener(listener);
    }
    String all = String.join("\n", errors);
    for (String attribute : List.of("attribute directory is required", "attribute ringSize=1000",
        "attribute maxTotalSize=1MB", "attribute filePrefix='a/b'", "attribute blockSize='16MB'")) {
      assertTrue(all.contains(attribute), "missing '" + attribute + "' in:\n" + all);
    }
  }

  @Test
  void service_defaultsToSystemPropertyThenUnknown() throws Exception {
    Path dir = tmp.resolve("spans");
    String previous = System.getProperty("cairn.service");
    System.setProperty("cairn.service", "from-property");
    try (TestLog4j log4j = TestLog4j.withXml(tmp, """
        <Configuration status="warn">
          <Appenders><SpanFile name="spans" directory="%s"/></Appenders>
          <Loggers><Root level="info"><AppenderRef ref="spans"/></Root></Loggers>
        </Configuration>
        """.formatted(dir))) {
      SpanFiles.sink().offer(TestSpans.simple(1, 1));
    } finally {
      if (previous == null) {
        System.clearProperty("cairn.service");
      } else {
        System.setProperty("cairn.service", previous);
      }
    }
    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    assertEquals("from-property", disk.results.get(0).header().process().service());
  }
}
