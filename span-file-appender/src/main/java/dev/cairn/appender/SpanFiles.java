package dev.cairn.appender;

import dev.cairn.core.spi.SpanSink;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;
import org.apache.logging.log4j.status.StatusLogger;

/**
 * Entry points to the running {@code <SpanFile>} appenders: the span sink that feeds them and
 * their counters by appender name.
 *
 * <pre>{@code
 * SpanSink sink = SpanFiles.sink();              // what the ServiceLoader provider hands out
 * sink.offer(span);                              // false when dropped (and counted)
 * SpanFiles.stats("spans").map(SpanFileStats::dropped).orElse(0L);
 * }</pre>
 */
public final class SpanFiles {
  /** The logger whose appenders receive spans; its level OFF switches tracing output off. */
  public static final String SPANS_LOGGER = "cairn.spans";

  private static final StatusLogger LOGGER = StatusLogger.getLogger();
  private static final SpanRouter ROUTER = new SpanRouter();
  private static final Map<String, SpanFileAppender> RUNNING = new ConcurrentHashMap<>();

  private SpanFiles() {}

  /**
   * The sink that routes spans to the SpanFile appenders of {@link #SPANS_LOGGER} in the current
   * LoggerContext. Never blocks, never throws; a span is dropped and counted when the ring is full,
   * the appender stopped, or there is no appender.
   */
  public static SpanSink sink() {
    return ROUTER;
  }

  /** The counters of the running appender with this name, if there is one. */
  public static Optional<SpanFileStats> stats(String appenderName) {
    return manager(appenderName).map(SpanFileManager::stats);
  }

  /** Spans the sink dropped because {@link #SPANS_LOGGER} led to no SpanFile appender. */
  public static long droppedNoAppender() {
    return ROUTER.droppedNoAppender();
  }

  static Optional<SpanFileManager> manager(String appenderName) {
    SpanFileAppender a = appenderName == null ? null : RUNNING.get(appenderName);
    return a == null ? Optional.empty() : Optional.of(a.manager());
  }

  /**
   * Records a started appender. During a reconfiguration the new appender starts before the old
   * one stops, so the name moves to the new one and the JMX bean, which looks the name up on every
   * read, stays registered throughout.
   */
  static synchronized void started(SpanFileAppender appender) {
    SpanFileAppender previous = RUNNING.put(appender.getName(), appender);
    if (previous == null) {
      registerBean(appender.getName());
    }
  }

  static synchronized void stopped(SpanFileAppender appender) {
    if (RUNNING.remove(appender.getName(), appender)) {
      unregisterBean(appender.getName());
    }
  }

  static ObjectName objectName(String appenderName) throws Exception {
    return new ObjectName("dev.cairn:type=SpanFile,name=" + quoteIfNeeded(appenderName));
  }

  private static String quoteIfNeeded(String name) {
    for (char c : ",=:\"*?\n".toCharArray()) {
      if (name.indexOf(c) >= 0) {
        return ObjectName.quote(name);
      }
    }
    return name;
  }

  private static void registerBean(String name) {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName on = objectName(name);
      if (server.isRegistered(on)) {
        // Left by an appender of the same name in another LoggerContext: the newest one answers.
        server.unregisterMBean(on);
      }
      server.registerMBean(new StandardMBean(new SpanFileBean(name), SpanFileMXBean.class, true), on);
    } catch (Throwable e) {
      LOGGER.warn("SpanFile appender '{}': JMX bean not registered: {}", name, e.toString());
    }
  }

  private static void unregisterBean(String name) {
    try {
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName on = objectName(name);
      if (server.isRegistered(on)) {
        server.unregisterMBean(on);
      }
    } catch (Throwable e) {
      LOGGER.warn("SpanFile appender '{}': JMX bean not unregistered: {}", name, e.toString());
    }
  }
}
