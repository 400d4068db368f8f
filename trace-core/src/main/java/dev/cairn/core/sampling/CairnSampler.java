package dev.cairn.core.sampling;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.SpanKind;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.context.Context;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The {@link Sampler} that applies a {@link SamplingConfig}: global and per-component switches,
 * forced sampling through baggage, parent-based decisions, a trace-ID ratio and a grouped rate
 * limit, in the order {@link SamplingConfig} documents.
 *
 * <p>The configuration can be replaced while the application runs ({@link #update}); a decision
 * already under way finishes with the configuration it started with. {@link #decide} is
 * thread-safe, lock-free, allocates nothing once a rate-limit group exists, and never throws: an
 * unexpected failure is logged once, counted, and the span follows its parent (roots are dropped).
 *
 * <pre>{@code
 * CairnSampler sampler = CairnSampler.create(SamplingConfigFile.read(Path.of("sampling.properties")));
 * // later, e.g. from a SamplingConfigWatcher:
 * sampler.update(sampler.config().toBuilder().ratio(0.1).build());
 * }</pre>
 */
public final class CairnSampler implements Sampler {

  private static final System.Logger LOG = System.getLogger(CairnSampler.class.getName());

  /** A configuration and the limiter built for it, swapped together so they never disagree. */
  private static final class State {
    final SamplingConfig config;
    final RateLimiter limiter;

    State(SamplingConfig config, RateLimiter limiter) {
      this.config = config;
      this.limiter = limiter;
    }
  }

  private volatile State state;
  private final AtomicBoolean failureLogged = new AtomicBoolean();
  private final AtomicLong failures = new AtomicLong();

  private CairnSampler(SamplingConfig config, LongSupplier nanoClock) {
    this.state = new State(config, RateLimiter.create(config, nanoClock));
  }

  /** A sampler applying {@code config}. */
  public static CairnSampler create(SamplingConfig config) {
    return create(config, System::nanoTime);
  }

  /** A sampler whose rate-limit windows follow {@code nanoClock}; for tests. */
  static CairnSampler create(SamplingConfig config, LongSupplier nanoClock) {
    return new CairnSampler(requireNonNull(config, "config"), requireNonNull(nanoClock, "nanoClock"));
  }

  /** The configuration applied now. */
  public SamplingConfig config() {
    return state.config;
  }

  /**
   * Applies {@code config} to every decision from now on. Rate-limit counts carry over when the
   * window length and grouping are unchanged, so a reload does not grant a fresh budget.
   */
  public void update(SamplingConfig config) {
    requireNonNull(config, "config");
    synchronized (this) { // serialises updaters so no carried-over count is lost
      State current = state;
      if (current.config.equals(config)) {
        return;
      }
      state = new State(config, current.limiter.reconfigure(config));
    }
  }

  /** Decisions that failed unexpectedly and fell back to following the parent. */
  public long failures() {
    return failures.get();
  }

  @Override
  public SamplingDecision decide(Context parent, boolean hasParent, boolean parentSampled,
      long traceIdHigh, long traceIdLow, String scopeName, String spanName, SpanKind kind) {
    try {
      State s = state;
      SamplingConfig c = s.config;
      String scope = scopeName != null ? scopeName : "";
      if (!c.enabled() || c.componentDisabled(scope)) {
        return SamplingDecision.OFF;
      }
      if (c.forceEnabled() && forced(parent, c.forceBaggageKey())) {
        return SamplingDecision.SAMPLE;
      }
      if (hasParent) {
        return parentSampled ? SamplingDecision.SAMPLE : SamplingDecision.DROP;
      }
      if (!c.ratioAdmits(traceIdLow)) {
        return SamplingDecision.DROP;
      }
      if (c.rateLimited()
          && !s.limiter.tryAcquire(scope, spanName != null ? spanName : "")) {
        return SamplingDecision.DROP;
      }
      return SamplingDecision.SAMPLE;
    } catch (RuntimeException e) {
      failures.incrementAndGet();
      if (failureLogged.compareAndSet(false, true)) {
        LOG.log(System.Logger.Level.WARNING,
            "sampling decision failed; following the parent instead (logged once)", e);
      }
      return hasParent && parentSampled ? SamplingDecision.SAMPLE : SamplingDecision.DROP;
    }
  }

  private static boolean forced(Context parent, String key) {
    // The root context holds no baggage: most spans of a service without incoming baggage
    // start there, and skip the lookup.
    if (parent == null || parent == Context.root()) {
      return false;
    }
    Baggage baggage = Baggage.fromContextOrNull(parent);
    if (baggage == null) {
      return false;
    }
    String value = baggage.getEntryValue(key);
    return value != null && (value.equals("1") || value.equalsIgnoreCase("true"));
  }

  @Override
  public String toString() {
    return "CairnSampler{" + state.config + '}';
  }
}
