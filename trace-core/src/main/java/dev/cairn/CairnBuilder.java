package dev.cairn;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.sampling.CairnSampler;
import dev.cairn.core.sampling.Sampler;
import dev.cairn.core.sampling.SamplingConfig;
import dev.cairn.core.sampling.SamplingConfigWatcher;
import java.nio.file.Path;
import dev.cairn.core.spi.SpanSink;
import dev.cairn.core.spi.SpanSinkProvider;
import io.opentelemetry.api.baggage.propagation.W3CBaggagePropagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Options for {@link Cairn#builder(String)}. Defaults: Cairn's sampler with
 * {@link SamplingConfig#defaults()} (parent-based, every root recorded, force flag honoured); the sink found through {@link SpanSinkProvider} (the {@code <SpanFile>} appenders when
 * {@code span-file-appender} is on the class path); W3C trace context and baggage propagation;
 * at most 128 attributes, 128 events and 128 links per span (extra ones are dropped).
 *
 * <pre>{@code
 * CairnOpenTelemetry otel = Cairn.builder("checkout")
 *     .businessKeys("order.id", "user.id")
 *     .build();
 * }</pre>
 */
public final class CairnBuilder {
  private final String service;
  private Sampler sampler;
  private SamplingConfig samplingConfig = SamplingConfig.defaults();
  private Path samplingFile;
  private SpanSink sink;
  private final Set<String> businessKeys = new LinkedHashSet<>();
  private int maxAttributes = 128;
  private int maxEvents = 128;
  private int maxLinks = 128;
  private ContextPropagators propagators = ContextPropagators.create(TextMapPropagator.composite(
      W3CTraceContextPropagator.getInstance(), W3CBaggagePropagator.getInstance()));

  CairnBuilder(String service) {
    requireNonNull(service, "service");
    if (service.isBlank()) {
      throw new IllegalArgumentException("service must not be blank");
    }
    this.service = service;
  }

  /** A custom sampler instead of Cairn's configurable one (the sampling options then do nothing). */
  public CairnBuilder sampler(Sampler sampler) {
    this.sampler = requireNonNull(sampler, "sampler");
    return this;
  }

  /** Sampling rules: switches, force flag, ratio, rate limits; see {@code docs/sampling.md}. */
  public CairnBuilder samplingConfig(SamplingConfig config) {
    this.samplingConfig = requireNonNull(config, "samplingConfig");
    return this;
  }

  /**
   * A sampling file (format in {@code docs/sampling.md}) applied now and re-read whenever it
   * changes, without restart. Closing the {@link CairnOpenTelemetry} stops watching it.
   */
  public CairnBuilder samplingConfigFile(Path file) {
    this.samplingFile = requireNonNull(file, "samplingConfigFile");
    return this;
  }

  /** Where finished spans go, instead of the {@link SpanSinkProvider} found on the class path. */
  public CairnBuilder sink(SpanSink sink) {
    this.sink = requireNonNull(sink, "sink");
    return this;
  }

  /** Attribute keys that are business keys wherever they are set, by any instrumentation. */
  public CairnBuilder businessKeys(String... keys) {
    for (String k : requireNonNull(keys, "keys")) {
      businessKeys.add(requireNonNull(k, "business key"));
    }
    return this;
  }

  public CairnBuilder maxAttributesPerSpan(int max) {
    maxAttributes = positive(max, "maxAttributesPerSpan");
    return this;
  }

  public CairnBuilder maxEventsPerSpan(int max) {
    maxEvents = positive(max, "maxEventsPerSpan");
    return this;
  }

  public CairnBuilder maxLinksPerSpan(int max) {
    maxLinks = positive(max, "maxLinksPerSpan");
    return this;
  }

  public CairnBuilder propagators(ContextPropagators propagators) {
    this.propagators = requireNonNull(propagators, "propagators");
    return this;
  }

  private static int positive(int v, String name) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must be >= 0: " + v);
    }
    return v;
  }

  /** Builds the tracer; with a sampling file, starts the daemon thread that watches it. */
  public CairnOpenTelemetry build() {
    SpanSink s = sink != null ? sink : discoverSink();
    Sampler chosen = sampler;
    AutoCloseable close = () -> { };
    if (chosen == null) {
      CairnSampler cairnSampler = CairnSampler.create(samplingConfig);
      if (samplingFile != null) {
        SamplingConfigWatcher watcher = SamplingConfigWatcher.start(samplingFile, cairnSampler);
        close = watcher;
      }
      chosen = cairnSampler;
    }
    TracerState state = new TracerState(service, s, chosen, businessKeys, maxAttributes,
        maxEvents, maxLinks);
    return new CairnOpenTelemetry(state, propagators, close);
  }

  private static SpanSink discoverSink() {
    try {
      Iterator<SpanSinkProvider> it = ServiceLoader.load(SpanSinkProvider.class).iterator();
      if (it.hasNext()) {
        return it.next().sink();
      }
    } catch (java.util.ServiceConfigurationError | RuntimeException e) {
      System.getLogger(Cairn.class.getName()).log(System.Logger.Level.WARNING,
          "cannot load the Cairn span sink: " + e + "; spans are dropped");
      return SpanSink.noop();
    }
    System.getLogger(Cairn.class.getName()).log(System.Logger.Level.WARNING,
        "no Cairn span sink on the class path (add dev.cairn:span-file-appender): spans are dropped");
    return SpanSink.noop();
  }
}
