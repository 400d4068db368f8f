package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * A Log4j2 context configured from real XML for one test; closing it shuts the context down, so
 * the next test starts from a fresh one.
 */
final class TestLog4j implements AutoCloseable {
  final LoggerContext context;
  final Path configFile;

  private TestLog4j(LoggerContext context, Path configFile) {
    this.context = context;
    this.configFile = configFile;
  }

  /**
   * The configuration of docs/appender.md: a SpanFile appender "spans" in {@code spanDir} with
   * the given extra attributes, fed by {@code cairn.spans} (not additive) and by the root logger.
   */
  static TestLog4j withSpanFile(Path configDir, Path spanDir, String attributes) throws Exception {
    return withXml(configDir, """
        <Configuration status="warn" name="cairn-test">
          <Appenders>
            <SpanFile name="spans" directory="%s" service="checkout" %s/>
          </Appenders>
          <Loggers>
            <Logger name="cairn.spans" level="info" additivity="false"><AppenderRef ref="spans"/></Logger>
            <Root level="info"><AppenderRef ref="spans"/></Root>
          </Loggers>
        </Configuration>
        """.formatted(spanDir, attributes));
  }

  static TestLog4j withXml(Path configDir, String xml) throws Exception {
    Path file = Files.createTempFile(configDir, "log4j2-", ".xml");
    Files.writeString(file, xml);
    // The current context (created with this file, or reconfigured to it if it exists): the sink
    // under test looks up exactly this context.
    LoggerContext ctx = Configurator.initialize("cairn-test", null, file.toUri());
    if (!file.toUri().equals(ctx.getConfigLocation())) {
      ctx.setConfigLocation(file.toUri());
    }
    return new TestLog4j(ctx, file);
  }

  SpanFileAppender appender(String name) {
    SpanFileAppender a = context.getConfiguration().getAppender(name);
    assertNotNull(a, "appender " + name + " was not created");
    return a;
  }

  /** Rewrites the configuration file; the next {@code context.reconfigure()} picks it up. */
  void rewrite(String xml) throws Exception {
    Files.writeString(configFile, xml);
  }

  @Override
  public void close() {
    Configurator.shutdown(context);
  }

  /** Polls {@code condition} until it holds or {@code timeout} passes. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for " + what);
      }
    }
  }
}
