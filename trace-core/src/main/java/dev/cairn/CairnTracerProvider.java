package dev.cairn;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerBuilder;
import io.opentelemetry.api.trace.TracerProvider;
import java.util.concurrent.ConcurrentHashMap;

/** Hands out one tracer per (scope name, version). */
final class CairnTracerProvider implements TracerProvider {
  private final TracerState state;
  private final ConcurrentHashMap<String, CairnTracer> tracers = new ConcurrentHashMap<>();

  CairnTracerProvider(TracerState state) {
    this.state = state;
  }

  @Override
  public Tracer get(String name) {
    return get(name, "");
  }

  @Override
  public Tracer get(String name, String version) {
    String n = name == null || name.isEmpty() ? "unknown" : name;
    String v = version == null ? "" : version;
    return tracers.computeIfAbsent(n + '\u0000' + v, k -> new CairnTracer(state, n, v));
  }

  @Override
  public TracerBuilder tracerBuilder(String name) {
    return new TracerBuilder() {
      private String version = "";

      @Override
      public TracerBuilder setSchemaUrl(String url) {
        return this;
      }

      @Override
      public TracerBuilder setInstrumentationVersion(String v) {
        version = v == null ? "" : v;
        return this;
      }

      @Override
      public Tracer build() {
        return get(name, version);
      }
    };
  }
}
