package dev.cairn;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;

/**
 * Cairn's {@link OpenTelemetry}: tracers whose finished spans go to a {@code SpanSink} (by
 * default the {@code <SpanFile>} appenders behind the Log4j2 logger {@code cairn.spans}), and W3C
 * {@code traceparent}/{@code tracestate}/{@code baggage} propagators. Metrics and logs are the
 * API's no-ops: Cairn traces, and business logs go through Log4j2.
 *
 * <p>{@link #close()} stops the sampling-file watcher, if one was configured.
 */
public final class CairnOpenTelemetry implements OpenTelemetry, AutoCloseable {
  private final CairnTracerProvider tracerProvider;
  private final ContextPropagators propagators;
  private final AutoCloseable onClose;

  CairnOpenTelemetry(TracerState state, ContextPropagators propagators, AutoCloseable onClose) {
    this.tracerProvider = new CairnTracerProvider(state);
    this.propagators = propagators;
    this.onClose = onClose;
  }

  @Override
  public TracerProvider getTracerProvider() {
    return tracerProvider;
  }

  @Override
  public ContextPropagators getPropagators() {
    return propagators;
  }

  @Override
  public void close() {
    try {
      onClose.close();
    } catch (Exception e) {
      System.getLogger(CairnOpenTelemetry.class.getName())
          .log(System.Logger.Level.WARNING, "closing Cairn: " + e);
    }
  }
}
