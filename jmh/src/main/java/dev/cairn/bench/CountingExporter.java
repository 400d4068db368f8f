package dev.cairn.bench;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OpenTelemetry SDK exporter that sends nothing anywhere: it counts what it is given (so a
 * benchmark knows when the SDK has caught up) and, if asked, keeps it.
 */
public final class CountingExporter implements SpanExporter {
  private final LongAdder exported = new LongAdder();
  private final List<SpanData> kept;

  public CountingExporter(boolean keep) {
    kept = keep ? new ArrayList<>() : null;
  }

  public long exported() {
    return exported.sum();
  }

  /** What was exported, in order; only when made with {@code keep}. */
  public synchronized List<SpanData> kept() {
    return List.copyOf(kept);
  }

  @Override
  public CompletableResultCode export(Collection<SpanData> spans) {
    exported.add(spans.size());
    if (kept != null) {
      synchronized (this) {
        kept.addAll(spans);
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
    return CompletableResultCode.ofSuccess();
  }
}
