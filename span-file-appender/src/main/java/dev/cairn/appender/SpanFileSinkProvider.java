package dev.cairn.appender;

import dev.cairn.core.spi.SpanSink;
import dev.cairn.core.spi.SpanSinkProvider;

/**
 * Makes {@code <SpanFile>} appenders the default destination of a tracer built without a sink:
 * listed in {@code META-INF/services/dev.cairn.core.spi.SpanSinkProvider}, so having this module
 * on the class path is enough. Every call returns the same sink as {@link SpanFiles#sink()}.
 *
 * <pre>{@code
 * SpanSink sink = ServiceLoader.load(SpanSinkProvider.class).findFirst()
 *     .map(SpanSinkProvider::sink).orElse(SpanSink.noop());
 * }</pre>
 */
public final class SpanFileSinkProvider implements SpanSinkProvider {
  /** For {@link java.util.ServiceLoader}. */
  public SpanFileSinkProvider() {}

  @Override
  public SpanSink sink() {
    return SpanFiles.sink();
  }
}
