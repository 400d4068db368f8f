package dev.cairn.log4j2;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.appender.AsyncAppender;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * A private Log4j2 logger context whose root logger formats every event with a {@link
 * PatternLayout} into a list of lines. Each test gets its own context, so tests neither share
 * configuration with each other nor touch the JVM's default context.
 */
final class CapturedLog implements AutoCloseable {
  private final LoggerContext context;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private enum Mode {
    SYNCHRONOUS,
    ASYNC_ROOT,
    ASYNC_APPENDER
  }

  private CapturedLog(String pattern, Mode mode) {
    ConfigurationBuilder<BuiltConfiguration> builder =
        ConfigurationBuilderFactory.newConfigurationBuilder();
    builder.setConfigurationName("captured " + pattern);
    builder.setStatusLevel(Level.WARN);
    builder.add(
        mode == Mode.ASYNC_ROOT
            ? builder.newAsyncRootLogger(Level.INFO)
            : builder.newRootLogger(Level.INFO));
    context = new LoggerContext("captured-" + System.identityHashCode(this));
    context.start(builder.build(false));

    // Added after start: starting a built configuration rebuilds its loggers from the builder's
    // nodes, which would drop an appender added before.
    Configuration config = context.getConfiguration();
    PatternLayout layout =
        PatternLayout.newBuilder().setPattern(pattern).setConfiguration(config).build();
    ListAppender list = new ListAppender(layout, lines);
    list.start();
    config.addAppender(list);
    Appender rootAppender = list;
    if (mode == Mode.ASYNC_APPENDER) {
      AppenderRef toList = AppenderRef.createAppenderRef("list", null, null);
      AsyncAppender async =
          AsyncAppender.newBuilder()
              .setName("async")
              .setAppenderRefs(new AppenderRef[] {toList})
              .setConfiguration(config)
              .build();
      async.start();
      config.addAppender(async);
      rootAppender = async;
    }
    config.getRootLogger().addAppender(rootAppender, null, null);
    context.updateLoggers();
  }

  /** Synchronous root logger: each line is formatted on the logging thread. */
  static CapturedLog synchronous(String pattern) {
    return new CapturedLog(pattern, Mode.SYNCHRONOUS);
  }

  /** {@code <AsyncRoot>}: lines are formatted on Log4j2's background thread. */
  static CapturedLog asyncRoot(String pattern) {
    return new CapturedLog(pattern, Mode.ASYNC_ROOT);
  }

  /** A synchronous root logger writing through an {@code <Async>} appender's thread. */
  static CapturedLog asyncAppender(String pattern) {
    return new CapturedLog(pattern, Mode.ASYNC_APPENDER);
  }

  Logger logger() {
    return context.getLogger("cairn.test");
  }

  /** The lines so far, without line separators. */
  List<String> lines() {
    return List.copyOf(lines);
  }

  /** Stops the context; async loggers and appenders have then written every line they took. */
  @Override
  public void close() {
    context.stop();
  }

  private static final class ListAppender extends AbstractAppender {
    private final PatternLayout layout;
    private final List<String> sink;

    ListAppender(PatternLayout layout, List<String> sink) {
      super("list", null, layout, false, Property.EMPTY_ARRAY);
      this.layout = layout;
      this.sink = sink;
    }

    @Override
    public void append(LogEvent event) {
      sink.add(layout.toSerializable(event));
    }
  }
}
