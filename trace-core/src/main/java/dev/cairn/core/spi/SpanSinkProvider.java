package dev.cairn.core.spi;

/**
 * Supplies the default {@link SpanSink} when an application builds a tracer without naming one.
 * Found with {@link java.util.ServiceLoader}; the {@code span-file-appender} module provides the
 * one that writes to {@code <SpanFile>} appenders.
 */
public interface SpanSinkProvider {
  SpanSink sink();
}
