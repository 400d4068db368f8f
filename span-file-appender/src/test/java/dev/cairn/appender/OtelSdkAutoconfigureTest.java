package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application on the OpenTelemetry SDK (as the javaagent sets it up) selects Cairn with
 * {@code otel.traces.exporter=cairn}; its spans land in span files like Cairn's own.
 */
class OtelSdkAutoconfigureTest {
  @TempDir Path dir;

  @Test
  void tracesExporterCairn_writesSdkSpansToSpanFiles() throws Exception {
    Path spans = dir.resolve("spans");
    try (TestLog4j log4j = TestLog4j.withSpanFile(dir, spans, "flushIntervalMillis=\"50\"")) {
      OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
          .addPropertiesSupplier(() -> Map.of(
              "otel.traces.exporter", "cairn",
              "otel.metrics.exporter", "none",
              "otel.logs.exporter", "none",
              "otel.service.name", "inventory",
              "otel.bsp.schedule.delay", "10",
              "otel.exporter.cairn.business-keys", "sku"))
          .disableShutdownHook()
          .build()
          .getOpenTelemetrySdk();
      Span span = sdk.getTracer("inventory.jdbc").spanBuilder("SELECT stock").startSpan();
      span.setAttribute("sku", "A-17");
      span.end();
      sdk.getSdkTracerProvider().forceFlush().join(5, java.util.concurrent.TimeUnit.SECONDS);
      TestLog4j.await("the span in a file", Duration.ofSeconds(10),
          () -> log4j.appender("spans").stats().spansWritten() == 1);
      sdk.close();
    }
    SpanFilesOnDisk onDisk = SpanFilesOnDisk.read(spans).assertClean();
    assertEquals(1, onDisk.spans.size());
    assertEquals("inventory", onDisk.spans.get(0).service());
    assertEquals("SELECT stock", onDisk.spans.get(0).name());
    assertEquals(true, onDisk.spans.get(0).attributes().get(0).businessKey());
  }
}
