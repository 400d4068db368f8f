package dev.cairn.appender;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.Ids;
import dev.cairn.log4j2.TraceContextData;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.Core;
import org.apache.logging.log4j.core.Filter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderAttribute;
import org.apache.logging.log4j.core.config.plugins.PluginBuilderFactory;
import org.apache.logging.log4j.util.ReadOnlyStringMap;

/**
 * The {@code <SpanFile>} appender: writes finished spans, and optionally the business log lines
 * written inside them, as LZ4-compressed, checksummed blocks to rolling local files that the
 * Cairn shipper picks up.
 *
 * <p>Spans do not travel as log events. The tracer hands them to {@link SpanFiles#sink()} (found
 * through {@link SpanFileSinkProvider}), which puts them into the ring of every SpanFile appender
 * the logger {@value SpanFiles#SPANS_LOGGER} writes to. {@link #append(LogEvent)} only serves
 * {@code captureLogs}: events that carry {@code trace_id} and {@code span_id} context data are
 * copied into the ring as log records; events on {@value SpanFiles#SPANS_LOGGER} are ignored.
 *
 * <p>Contract: nothing here blocks or throws into the application. A record that cannot be taken
 * (ring full, disk full, stopped) is dropped and counted in {@link #stats()}; problems are
 * reported to Log4j2's StatusLogger at most every 30 seconds. Bad configuration is reported to
 * the StatusLogger naming the attribute, and the appender is not created.
 *
 * <pre>{@code
 * <SpanFile name="spans" directory="/var/log/cairn/checkout" service="checkout" captureLogs="true"/>
 * ...
 * <Logger name="cairn.spans" level="info" additivity="false"><AppenderRef ref="spans"/></Logger>
 * }</pre>
 */
@Plugin(name = "SpanFile", category = Core.CATEGORY_NAME, elementType = Appender.ELEMENT_TYPE,
    printObject = true)
public final class SpanFileAppender extends AbstractAppender {
  private final SpanFileManager manager;
  private final boolean captureLogs;
  private final int maxLogMessageChars;
  private final int maxThrownChars;

  private SpanFileAppender(String name, Filter filter, boolean ignoreExceptions,
      Property[] properties, SpanFileManager manager, boolean captureLogs,
      int maxLogMessageChars, int maxThrownChars) {
    super(name, filter, null, ignoreExceptions, properties);
    this.manager = manager;
    this.captureLogs = captureLogs;
    this.maxLogMessageChars = maxLogMessageChars;
    this.maxThrownChars = maxThrownChars;
  }

  @PluginBuilderFactory
  public static <B extends Builder<B>> B newBuilder() {
    return new Builder<B>().asBuilder();
  }

  /** This appender's counters; they survive reconfiguration with the appender's files. */
  public SpanFileStats stats() {
    return manager.stats();
  }

  SpanFileManager manager() {
    return manager;
  }

  /**
   * Copies a business log line written inside a span when {@code captureLogs} is on; ignores
   * everything else, including events on {@value SpanFiles#SPANS_LOGGER}.
   */
  @Override
  public void append(LogEvent event) {
    if (!captureLogs || SpanFiles.SPANS_LOGGER.equals(event.getLoggerName())) {
      return;
    }
    try {
      ReadOnlyStringMap data = event.getContextData();
      Object trace = data.getValue(TraceContextData.TRACE_ID);
      Object span = data.getValue(TraceContextData.SPAN_ID);
      if (!(trace instanceof CharSequence t) || !(span instanceof CharSequence s)
          || !Ids.isHex(s, 16) || !(Ids.isHex(t, 32) || Ids.isHex(t, 16))) {
        manager.countLogWithoutTrace();
        return;
      }
      // 64-bit trace IDs (older B3 and Jaeger clients) fill the low half.
      long high = t.length() == 32 ? Ids.parseHexLong(t, 0) : 0;
      long low = Ids.parseHexLong(t, t.length() - 16);
      long spanId = Ids.parseHexLong(s, 0);
      if ((high == 0 && low == 0) || spanId == 0) {
        manager.countLogWithoutTrace();
        return;
      }
      manager.offerLog(event, high, low, spanId, maxLogMessageChars, maxThrownChars);
    } catch (RuntimeException e) {
      // Context data from a custom injector that misbehaves must not reach the application.
      manager.countLogWithoutTrace();
    }
  }

  @Override
  public void start() {
    super.start();
    SpanFiles.started(this);
  }

  @Override
  public boolean stop(long timeout, TimeUnit timeUnit) {
    setStopping();
    boolean stopped = super.stop(timeout, timeUnit, false);
    SpanFiles.stopped(this);
    // Releases this appender's claim; the manager stops only when no appender uses it any more,
    // which is what keeps files and ring across a reconfiguration.
    stopped &= manager.stop(timeout, timeUnit);
    setStopped();
    return stopped;
  }

  @Override
  public String toString() {
    return "SpanFileAppender{name=" + getName() + ", directory=" + manager.directory() + "}";
  }

  /**
   * Builds a {@link SpanFileAppender}; Log4j2 fills the attributes from the configuration.
   * {@link #build()} validates every attribute and returns null after reporting a bad one to the
   * StatusLogger, by name.
   */
  public static class Builder<B extends Builder<B>> extends AbstractAppender.Builder<B>
      implements org.apache.logging.log4j.core.util.Builder<SpanFileAppender> {
    static final String DEFAULT_SERVICE = "unknown-service";
    static final String SERVICE_PROPERTY = "cairn.service";

    @PluginBuilderAttribute
    private String directory;

    @PluginBuilderAttribute
    private String filePrefix = "spans";

    @PluginBuilderAttribute
    private String maxFileSize = "64MB";

    @PluginBuilderAttribute
    private String maxTotalSize = "1GB";

    @PluginBuilderAttribute
    private int ringSize = 16_384;

    @PluginBuilderAttribute
    private long flushIntervalMillis = 200;

    @PluginBuilderAttribute
    private String blockSize = "64KB";

    @PluginBuilderAttribute
    private boolean captureLogs;

    @PluginBuilderAttribute
    private String service;

    @PluginBuilderAttribute
    private String instance = "";

    @PluginBuilderAttribute
    private int maxLogMessageChars = 8_192;

    @PluginBuilderAttribute
    private int maxThrownChars = 16_384;

    Builder() {}

    public B setDirectory(String directory) {
      this.directory = requireNonNull(directory, "directory");
      return asBuilder();
    }

    public B setFilePrefix(String filePrefix) {
      this.filePrefix = requireNonNull(filePrefix, "filePrefix");
      return asBuilder();
    }

    /** A size such as "64MB", "512 KB" or "1048576"; K, M and G are powers of 1024. */
    public B setMaxFileSize(String maxFileSize) {
      this.maxFileSize = requireNonNull(maxFileSize, "maxFileSize");
      return asBuilder();
    }

    public B setMaxTotalSize(String maxTotalSize) {
      this.maxTotalSize = requireNonNull(maxTotalSize, "maxTotalSize");
      return asBuilder();
    }

    public B setRingSize(int ringSize) {
      this.ringSize = ringSize;
      return asBuilder();
    }

    public B setFlushIntervalMillis(long flushIntervalMillis) {
      this.flushIntervalMillis = flushIntervalMillis;
      return asBuilder();
    }

    public B setBlockSize(String blockSize) {
      this.blockSize = requireNonNull(blockSize, "blockSize");
      return asBuilder();
    }

    public B setCaptureLogs(boolean captureLogs) {
      this.captureLogs = captureLogs;
      return asBuilder();
    }

    public B setService(String service) {
      this.service = requireNonNull(service, "service");
      return asBuilder();
    }

    public B setInstance(String instance) {
      this.instance = requireNonNull(instance, "instance");
      return asBuilder();
    }

    public B setMaxLogMessageChars(int maxLogMessageChars) {
      this.maxLogMessageChars = maxLogMessageChars;
      return asBuilder();
    }

    public B setMaxThrownChars(int maxThrownChars) {
      this.maxThrownChars = maxThrownChars;
      return asBuilder();
    }

    @Override
    public SpanFileAppender build() {
      String name = getName();
      List<String> errors = new ArrayList<>();
      Path dir = null;
      if (directory == null || directory.isBlank()) {
        errors.add("attribute directory is required");
      } else {
        try {
          dir = Path.of(directory.trim()).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
          errors.add("attribute directory='" + directory + "' is not a valid path: " + e.getReason());
        }
      }
      if (filePrefix == null || !filePrefix.matches("[A-Za-z0-9._-]+")) {
        errors.add("attribute filePrefix='" + filePrefix
            + "' must be letters, digits, '.', '_' or '-'");
      }
      long fileSize = size("maxFileSize", maxFileSize, 4 * 1024, Long.MAX_VALUE, errors);
      long totalSize = size("maxTotalSize", maxTotalSize, 4 * 1024, Long.MAX_VALUE, errors);
      if (fileSize > 0 && totalSize > 0 && totalSize < fileSize) {
        errors.add("attribute maxTotalSize=" + maxTotalSize + " must be at least maxFileSize="
            + maxFileSize);
      }
      if (ringSize < 2 || ringSize > (1 << 24) || Integer.bitCount(ringSize) != 1) {
        errors.add("attribute ringSize=" + ringSize + " must be a power of two in [2, 16777216]");
      }
      if (flushIntervalMillis < 1) {
        errors.add("attribute flushIntervalMillis=" + flushIntervalMillis + " must be at least 1");
      }
      long block = size("blockSize", blockSize, 1024, 8 * 1024 * 1024, errors);
      if (maxLogMessageChars < 1) {
        errors.add("attribute maxLogMessageChars=" + maxLogMessageChars + " must be at least 1");
      }
      if (maxThrownChars < 0) {
        errors.add("attribute maxThrownChars=" + maxThrownChars + " must not be negative");
      }
      if (!errors.isEmpty()) {
        for (String e : errors) {
          LOGGER.error("SpanFile appender '{}': {}; appender not created", name, e);
        }
        return null;
      }
      String svc = service != null && !service.isBlank() ? service
          : System.getProperty(SERVICE_PROPERTY, DEFAULT_SERVICE);
      SpanFileConfig config = new SpanFileConfig(name, dir, filePrefix, fileSize, totalSize,
          ringSize, flushIntervalMillis, (int) block, svc, instance == null ? "" : instance);
      SpanFileManager manager;
      try {
        manager = SpanFileManager.acquire(
            getConfiguration() == null ? null : getConfiguration().getLoggerContext(), config);
      } catch (RuntimeException | Error e) {
        LOGGER.error("SpanFile appender '{}': cannot start writing to '{}': {}; appender not created",
            name, dir, e.toString());
        return null;
      }
      return new SpanFileAppender(name, getFilter(), isIgnoreExceptions(), getPropertyArray(),
          manager, captureLogs, maxLogMessageChars, maxThrownChars);
    }

    private static final Pattern SIZE =
        Pattern.compile("(\\d+)\\s*(|k|m|g|t)(?:i?b)?", Pattern.CASE_INSENSITIVE);

    /**
     * Parses "64MB"-style sizes (K, M, G, T are powers of 1024, the B is optional); -1 after
     * recording an error that names the attribute.
     */
    static long size(String attribute, String text, long min, long max, List<String> errors) {
      Matcher m = text == null ? null : SIZE.matcher(text.trim());
      if (m == null || !m.matches()) {
        errors.add("attribute " + attribute + "='" + text + "' is not a size such as 64MB");
        return -1;
      }
      int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
        case "k" -> 10;
        case "m" -> 20;
        case "g" -> 30;
        case "t" -> 40;
        default -> 0;
      };
      long v;
      try {
        v = Math.multiplyExact(Long.parseLong(m.group(1)), 1L << shift);
      } catch (ArithmeticException | NumberFormatException e) {
        v = -1; // more bytes than a long holds
      }
      if (v < min || v > max) {
        errors.add("attribute " + attribute + "='" + text + "' must be between " + min + " and "
            + max + " bytes");
        return -1;
      }
      return v;
    }
  }
}
