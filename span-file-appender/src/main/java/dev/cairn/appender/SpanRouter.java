package dev.cairn.appender;

import dev.cairn.core.model.SpanView;
import dev.cairn.core.spi.SpanSink;
import java.beans.PropertyChangeEvent;
import java.beans.PropertyChangeListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.status.StatusLogger;

/**
 * The default {@link SpanSink}: sends each span to the {@code <SpanFile>} appenders that the
 * logger {@code cairn.spans} writes to in the current LoggerContext.
 *
 * <p>The destinations are worked out lazily on the first span (Log4j2 may be configured after the
 * tracer is built) and again whenever the configuration changes. The hot path reads one volatile
 * route and compares one configuration reference; it never takes a lock.
 */
final class SpanRouter implements SpanSink {
  private static final StatusLogger LOGGER = StatusLogger.getLogger();
  /** How often to try again when no Log4j2 core LoggerContext could be found at all. */
  private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final LongAdder droppedNoAppender = new LongAdder();
  private final PropertyChangeListener onReconfigure = this::configurationChanged;
  private volatile Route route;
  private LoggerContext listenedTo; // guarded by this

  @Override
  public boolean offer(SpanView span) {
    try {
      if (span == null) {
        return false;
      }
      Route r = route;
      if (r == null || r.isStale()) {
        r = resolve();
      }
      SpanFileManager[] targets = r.targets;
      if (targets.length == 0) {
        if (!r.switchedOff) {
          droppedNoAppender.increment();
          r.warnOnce();
        }
        return false;
      }
      boolean taken = false;
      for (SpanFileManager m : targets) {
        taken |= m.offerSpan(span);
      }
      return taken;
    } catch (Throwable t) {
      // Tracing must never fail the application; count it as a span with nowhere to go.
      droppedNoAppender.increment();
      return false;
    }
  }

  long droppedNoAppender() {
    return droppedNoAppender.sum();
  }

  /**
   * Recomputes the route as soon as Log4j2 installs a new configuration, so the first span after
   * it does not pay for the walk. Deliberately takes no lock: Log4j2 may call this while holding
   * its own configuration lock. A route computed here that loses a race with {@link #resolve()}
   * is simply stale and gets recomputed on the next span.
   */
  private void configurationChanged(PropertyChangeEvent event) {
    if (LoggerContext.PROPERTY_CONFIG.equals(event.getPropertyName())
        && event.getSource() instanceof LoggerContext ctx
        && event.getNewValue() instanceof Configuration config) {
      try {
        route = Route.compute(ctx, config);
      } catch (Throwable t) {
        LOGGER.warn("Cairn span sink: cannot route spans under configuration '{}': {}",
            config.getName(), t.toString());
      }
    }
  }

  /** Recomputes the route if it is stale; rare, so a lock keeps it simple. */
  synchronized Route resolve() {
    Route current = route;
    if (current != null && !current.isStale()) {
      return current;
    }
    Route fresh;
    try {
      LoggerContext ctx = current != null && current.context != null
          && current.context.isStarted() ? current.context : LoggerContext.getContext(false);
      listen(ctx);
      // Read after listening: a reconfiguration from here on calls resolve() again.
      fresh = Route.compute(ctx, ctx.getConfiguration());
    } catch (Throwable t) {
      LOGGER.warn("Cairn span sink: no Log4j2 core LoggerContext ({}); dropping spans, retrying"
          + " every {} s", t.toString(), TimeUnit.NANOSECONDS.toSeconds(RETRY_NANOS));
      fresh = Route.unavailable(System.nanoTime() + RETRY_NANOS);
    }
    route = fresh;
    return fresh;
  }

  private void listen(LoggerContext ctx) {
    if (ctx == listenedTo) {
      return;
    }
    if (listenedTo != null) {
      listenedTo.removePropertyChangeListener(onReconfigure);
    }
    ctx.addPropertyChangeListener(onReconfigure);
    listenedTo = ctx;
  }

  /** Where spans go under one configuration of one LoggerContext. */
  static final class Route {
    final LoggerContext context;
    final Configuration configuration;
    final SpanFileManager[] targets;
    final boolean switchedOff;
    private final long retryAtNanos;
    private final AtomicBoolean warned = new AtomicBoolean();

    private Route(LoggerContext context, Configuration configuration, SpanFileManager[] targets,
        boolean switchedOff, long retryAtNanos) {
      this.context = context;
      this.configuration = configuration;
      this.targets = targets;
      this.switchedOff = switchedOff;
      this.retryAtNanos = retryAtNanos;
    }

    static Route unavailable(long retryAtNanos) {
      return new Route(null, null, new SpanFileManager[0], false, retryAtNanos);
    }

    /**
     * Walks the {@code cairn.spans} LoggerConfig and, while additive, its parents, collecting the
     * SpanFile appenders' managers once each. Level OFF on that LoggerConfig switches tracing
     * output off; other levels do not matter, spans have none.
     */
    static Route compute(LoggerContext ctx, Configuration config) {
      LoggerConfig spans = config.getLoggerConfig(SpanFiles.SPANS_LOGGER);
      if (spans.getLevel() == Level.OFF) {
        return new Route(ctx, config, new SpanFileManager[0], true, 0);
      }
      List<SpanFileManager> managers = new ArrayList<>();
      for (LoggerConfig c = spans; c != null; c = c.isAdditive() ? c.getParent() : null) {
        for (Appender a : c.getAppenders().values()) {
          if (a instanceof SpanFileAppender s && !managers.contains(s.manager())) {
            managers.add(s.manager());
          }
        }
      }
      return new Route(ctx, config, managers.toArray(new SpanFileManager[0]), false, 0);
    }

    /**
     * True when the configuration this route was computed from is no longer the current one, or
     * its LoggerContext was stopped (a stopped context's configuration never changes again).
     */
    boolean isStale() {
      if (context == null) {
        return System.nanoTime() - retryAtNanos >= 0;
      }
      return context.getConfiguration() != configuration || context.isStopped();
    }

    void warnOnce() {
      if (context != null && warned.compareAndSet(false, true)) {
        LOGGER.warn("Cairn span sink: logger '{}' leads to no <SpanFile> appender in configuration"
            + " '{}'; spans are dropped and counted (droppedNoAppender). Add an AppenderRef to a"
            + " SpanFile appender on that logger or the root logger.", SpanFiles.SPANS_LOGGER,
            configuration.getName());
      }
    }
  }
}
