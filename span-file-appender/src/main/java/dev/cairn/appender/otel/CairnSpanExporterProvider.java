package dev.cairn.appender.otel;

import io.opentelemetry.sdk.autoconfigure.spi.ConfigProperties;
import io.opentelemetry.sdk.autoconfigure.spi.traces.ConfigurableSpanExporterProvider;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.HashSet;

/**
 * Makes {@code otel.traces.exporter=cairn} select {@link CairnSpanExporter} in the OpenTelemetry
 * SDK's autoconfiguration. {@code otel.exporter.cairn.business-keys} (comma-separated)
 * names attribute keys to mark as business keys.
 */
public final class CairnSpanExporterProvider implements ConfigurableSpanExporterProvider {
  @Override
  public SpanExporter createExporter(ConfigProperties config) {
    return CairnSpanExporter.create(new HashSet<>(config.getList("otel.exporter.cairn.business-keys")));
  }

  @Override
  public String getName() {
    return "cairn";
  }
}
