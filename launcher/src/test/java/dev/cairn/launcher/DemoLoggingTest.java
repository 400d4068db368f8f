package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.appender.SpanFileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoLoggingTest {
  @TempDir Path tmp;

  @Test
  void config_isWhatAUserWrites_andLog4jBuildsItsAppenders() throws Exception {
    // Characters XML and Log4j2 would misread, in the paths.
    Path spans = tmp.resolve("sp&ns <\"x\"> ${sys:user.home}");
    Path config = Files.writeString(tmp.resolve("log4j2.xml"),
        DemoLogging.config("orders", spans, tmp.resolve("orders.log")), UTF_8);
    String xml = Files.readString(config, UTF_8);
    assertTrue(xml.contains("<SpanFile name=\"spans\""), xml);
    assertTrue(xml.contains("captureLogs=\"true\""), xml);
    assertTrue(xml.contains("%traceId{-} %spanId{-}"), xml);

    LoggerContext ctx = Configurator.initialize("demo-logging-test", getClass().getClassLoader(),
        config.toUri());
    try {
      SpanFileAppender appender = ctx.getConfiguration().getAppender("spans");
      assertTrue(appender != null, "the SpanFile appender is built");
      ctx.getLogger("x").info("hello");
      assertTrue(Files.isDirectory(spans), "the span directory is the path given, unsubstituted");
      assertEquals(spans, spans.toRealPath());
    } finally {
      Configurator.shutdown(ctx);
    }
  }
}
