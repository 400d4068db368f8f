package dev.cairn.appender.otel;

import static java.util.Objects.requireNonNull;

import dev.cairn.appender.SpanFiles;
import dev.cairn.core.spi.SpanSink;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.Set;

/**
 * An OpenTelemetry SDK {@link SpanExporter} that writes spans to Cairn span files, for
 * applications already on the OpenTelemetry SDK: the spans go to the {@code <SpanFile>} appenders
 * behind the Log4j2 logger {@code cairn.spans}, like spans of Cairn's own tracer. With SDK
 * autoconfiguration, {@code otel.traces.exporter=cairn} selects it
 * ({@link CairnSpanExporterProvider}). (The OpenTelemetry javaagent runs exporters in its own
 * class loader, which cannot see the application's Log4j2 appenders; it is not supported yet.)
 *
 * <pre>{@code
 * SdkTracerProvider provider = SdkTracerProvider.builder()
 *     .addSpanProcessor(BatchSpanProcessor.builder(CairnSpanExporter.create()).build())
 *     .build();
 * }</pre>
 *
 * <p>Spans the appender's ring cannot take are dropped and counted by the appender; export itself
 * always succeeds, so the SDK never retries into a full ring. The resource's {@code service.name}
 * becomes the span's service; keys named with {@link #create(Set)} are marked as business keys.
 */
public final class CairnSpanExporter implements SpanExporter {
  private final SpanSink sink;
  private final String defaultService;
  private final Set<String> businessKeys;
  private volatile boolean shutdown;

  CairnSpanExporter(SpanSink sink, String defaultService, Set<String> businessKeys) {
    this.sink = requireNonNull(sink, "sink");
    this.defaultService = requireNonNull(defaultService, "defaultService");
    this.businessKeys = Set.copyOf(businessKeys);
  }

  /** An exporter to the {@code <SpanFile>} appenders behind logger {@code cairn.spans}. */
  public static CairnSpanExporter create() {
    return create(Set.of());
  }

  /** As {@link #create()}, marking attributes with these keys as business keys. */
  public static CairnSpanExporter create(Set<String> businessKeys) {
    return new CairnSpanExporter(SpanFiles.sink(),
        System.getProperty("cairn.service", "unknown-service"), businessKeys);
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    if (shutdown) {
      return CompletableResultCode.ofFailure();
    }
    for (SpanData span : spans) {
      try {
        sink.offer(new SpanDataView(span, defaultService, businessKeys));
      } catch (RuntimeException e) {
        // A span the conversion cannot handle (malformed IDs from a custom SDK) is skipped; the
        // others of the batch still go out.
      }
    }
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode flush() {
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public CompletableResultCode shutdown() {
    shutdown = true;
    return CompletableResultCode.ofSuccess();
  }

  @Override
  public String toString() {
    return "CairnSpanExporter{}";
  }
}
