package dev.cairn.launcher;

import dev.cairn.appender.SpanFileAppender;
import dev.cairn.appender.SpanFileStats;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * Log4j2 for {@code cairn demo}: installs {@value #CONFIG} in the process's LoggerContext (the one
 * Cairn's span sink routes through) and takes it away again at the end, which stops the appenders
 * and so flushes the span files and {@code business.log}.
 *
 * <p>Log4j2 is process-wide. In a fresh JVM ({@code bin/cairn demo}) the context is created with
 * the demo configuration and shut down at the end. When the JVM already has a context (a test
 * run, an embedding application), the demo reconfigures that context and at the end reconfigures
 * it back from its previous configuration location, so it stays usable; loggers created before
 * keep working.
 */
final class DemoLogging implements AutoCloseable {
  /** The system property the configuration reads the demo directory from. */
  static final String DIR_PROPERTY = "cairn.demo.dir";
  static final String CONFIG = "cairn-demo-log4j2.xml";
  /** The {@code name} of the demo configuration, which tells whether it is the active one. */
  static final String CONFIG_NAME = "cairn-demo";
  static final String SPANS_APPENDER = "spans";
  static final String BUSINESS_APPENDER = "business";

  private final LoggerContext context;
  private final boolean owned;
  private final URI previousLocation;
  private final String previousDirProperty;
  private final SpanFileAppender spans;
  private boolean closed;

  private DemoLogging(LoggerContext context, boolean owned, URI previousLocation,
      String previousDirProperty, SpanFileAppender spans) {
    this.context = context;
    this.owned = owned;
    this.previousLocation = previousLocation;
    this.previousDirProperty = previousDirProperty;
    this.spans = spans;
  }

  /**
   * Installs the demo configuration writing under {@code dir}; call before any demo logger or
   * span exists.
   *
   * @throws IllegalStateException when the configuration did not produce its appenders (the
   *     message says which)
   */
  static DemoLogging start(Path dir) {
    ClassLoader loader = DemoLogging.class.getClassLoader();
    URL resource = loader.getResource(CONFIG);
    if (resource == null) {
      throw new IllegalStateException(CONFIG + " is missing from the class path");
    }
    URI location;
    try {
      location = resource.toURI();
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate " + CONFIG + ": " + e.getMessage(), e);
    }
    String previousProperty =
        System.setProperty(DIR_PROPERTY, dir.toAbsolutePath().normalize().toString());
    // The context Cairn's span sink routes through is the one of this class loader.
    LoggerContext ctx;
    boolean owned;
    URI previous = null;
    if (LogManager.getFactory().hasContext(DemoLogging.class.getName(), loader, false)) {
      ctx = LoggerContext.getContext(loader, false, null);
      previous = ctx.getConfigLocation();
      owned = false;
      ctx.setConfigLocation(location);
    } else {
      // A fresh JVM: the context is created with the demo configuration, no default one first.
      ctx = Configurator.initialize(null, loader, location);
      owned = true;
    }
    Configuration config = ctx.getConfiguration();
    Appender spans = config.getAppender(SPANS_APPENDER);
    Appender business = config.getAppender(BUSINESS_APPENDER);
    DemoLogging logging = new DemoLogging(ctx, owned, previous, previousProperty,
        spans instanceof SpanFileAppender s ? s : null);
    if (!isDemo(config) || logging.spans == null || business == null) {
      logging.close();
      throw new IllegalStateException("Log4j2 did not set up " + CONFIG + " (active configuration '"
          + config.getName() + "', SpanFile appender " + (logging.spans != null)
          + ", business.log appender " + (business != null) + "); see Log4j2's messages above");
    }
    return logging;
  }

  private static boolean isDemo(Configuration config) {
    return config != null && CONFIG_NAME.equals(config.getName());
  }

  /** A logger of the demo configuration. */
  Logger logger(String name) {
    return context.getLogger(name);
  }

  /** The span file appender's counters; they stay readable after {@link #close()}. */
  SpanFileStats spanFileStats() {
    return spans.stats();
  }

  /**
   * Stops the demo configuration: its appenders drain their buffers and close their files (the
   * SpanFile appender waits up to 10 s for its writer). Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (owned) {
        Configurator.shutdown(context);
      } else {
        // Back to the previous configuration, re-read from where it came from (a null location
        // means Log4j2's default search). Replacing a configuration stops the old one's appenders.
        context.setConfigLocation(previousLocation);
      }
    } finally {
      if (previousDirProperty == null) {
        System.clearProperty(DIR_PROPERTY);
      } else {
        System.setProperty(DIR_PROPERTY, previousDirProperty);
      }
    }
  }
}
