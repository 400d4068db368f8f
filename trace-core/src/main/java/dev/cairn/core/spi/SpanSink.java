package dev.cairn.core.spi;

import dev.cairn.core.model.SpanView;

/**
 * Where the tracer hands finished spans: in an application, the {@code <SpanFile>} appenders
 * behind the Log4j2 logger {@code cairn.spans}. Called on the application thread, so an
 * implementation must return at once: it never blocks and never throws; a span it cannot take is
 * dropped and counted.
 */
@FunctionalInterface
public interface SpanSink {
  /**
   * Takes a finished span, which will not change any more.
   *
   * @return false when the span was dropped (ring full, shut down, no destination)
   */
  boolean offer(SpanView span);

  /** A sink that drops everything. */
  static SpanSink noop() {
    return span -> false;
  }
}
