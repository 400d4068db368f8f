package dev.cairn;

import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.Tracer;

/** A tracer for one instrumentation scope; spans it makes name the scope as their component. */
final class CairnTracer implements Tracer {
  final TracerState state;
  final String scopeName;
  final String scopeVersion;

  CairnTracer(TracerState state, String scopeName, String scopeVersion) {
    this.state = state;
    this.scopeName = scopeName;
    this.scopeVersion = scopeVersion;
  }

  @Override
  public SpanBuilder spanBuilder(String spanName) {
    return new CairnSpan(this, spanName == null || spanName.isEmpty() ? "unnamed" : spanName);
  }
}
