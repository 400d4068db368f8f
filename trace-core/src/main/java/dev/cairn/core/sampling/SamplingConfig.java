package dev.cairn.core.sampling;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules a {@link CairnSampler} applies, as an immutable value. A decision walks them in this
 * order and stops at the first that answers:
 *
 * <ol>
 *   <li>{@link #enabled()} false: {@link SamplingDecision#OFF} for every span;
 *   <li>the span's instrumentation scope matches {@link #disabledComponents()}: {@code OFF};
 *   <li>{@link #forceEnabled()} and the parent context's baggage carries {@link
 *       #forceBaggageKey()} with value {@code 1} or {@code true} (any case): {@code SAMPLE};
 *   <li>the span has a parent: the parent's sampled flag ({@code SAMPLE} or {@code DROP});
 *   <li>a root whose trace ID falls outside {@link #ratio()}: {@code DROP};
 *   <li>a root over its group's rate limit ({@link #rateLimitPerWindow()} per {@link
 *       #rateLimitWindowMillis()}): {@code DROP}; otherwise {@code SAMPLE}.
 * </ol>
 *
 * <p>Defaults record everything: enabled, nothing switched off, forcing on with key {@code
 * cairn.force}, ratio 1.0, no rate limit. {@link SamplingConfigFile} reads this value from a
 * properties file.
 *
 * <pre>{@code
 * SamplingConfig config = SamplingConfig.builder()
 *     .disabledComponents(List.of("io.opentelemetry.jdbc*"))
 *     .ratio(0.25)
 *     .rateLimitPerWindow(100)          // at most 100 new traces per 3 s per scope
 *     .rateLimitGroup("io.opentelemetry.netty-4.1", 500)
 *     .build();
 * }</pre>
 */
public final class SamplingConfig {

  /** How roots are grouped for the rate limit. */
  public enum GroupBy {
    /** One budget per instrumentation scope name (the component that starts the trace). */
    SCOPE,
    /** One budget per span name of the root (e.g. per endpoint). */
    SPAN,
    /** One budget for the whole process. */
    NONE
  }

  /** Above this the per-window counter would not fit its bits; use 0 for "unlimited" instead. */
  public static final int MAX_PER_WINDOW = (1 << 24) - 1;

  /** A day: longer windows make no sense for a limit meant to smooth bursts. */
  public static final long MAX_WINDOW_MILLIS = 86_400_000L;

  private static final SamplingConfig DEFAULTS = builder().build();

  private final boolean enabled;
  private final Set<String> disabledComponents;
  private final boolean forceEnabled;
  private final String forceBaggageKey;
  private final double ratio;
  private final int rateLimitPerWindow;
  private final long rateLimitWindowMillis;
  private final GroupBy rateLimitGroupBy;
  private final Map<String, Integer> rateLimitGroups;

  // Compiled forms of the rules above, so a decision only compares.
  private final Set<String> disabledExact;
  private final String[] disabledPrefixes;
  private final boolean ratioAll;
  private final long traceIdUpperBound;
  private final boolean rateLimited;

  private SamplingConfig(Builder b) {
    enabled = b.enabled;
    disabledComponents = Collections.unmodifiableSet(new LinkedHashSet<>(b.disabledComponents));
    forceEnabled = b.forceEnabled;
    forceBaggageKey = b.forceBaggageKey;
    ratio = b.ratio;
    rateLimitPerWindow = b.rateLimitPerWindow;
    rateLimitWindowMillis = b.rateLimitWindowMillis;
    rateLimitGroupBy = b.rateLimitGroupBy;
    rateLimitGroups = Collections.unmodifiableMap(new TreeMap<>(b.rateLimitGroups));

    Set<String> exact = new LinkedHashSet<>();
    List<String> prefixes = new ArrayList<>();
    for (String pattern : disabledComponents) {
      if (pattern.endsWith("*")) {
        prefixes.add(pattern.substring(0, pattern.length() - 1));
      } else {
        exact.add(pattern);
      }
    }
    disabledExact = Set.copyOf(exact);
    disabledPrefixes = prefixes.toArray(new String[0]);
    ratioAll = ratio >= 1.0;
    // Same bound as OpenTelemetry's TraceIdRatioBased, so a Cairn service and an OpenTelemetry
    // SDK service configured with the same ratio keep or drop the same traces.
    traceIdUpperBound = ratio <= 0.0 ? Long.MIN_VALUE : (long) (ratio * Long.MAX_VALUE);
    rateLimited = rateLimitPerWindow > 0
        || rateLimitGroups.values().stream().anyMatch(limit -> limit > 0);
  }

  /** The configuration that records every span. */
  public static SamplingConfig defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from this configuration. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Global switch; false makes every decision {@link SamplingDecision#OFF}. */
  public boolean enabled() {
    return enabled;
  }

  /**
   * Instrumentation scope names switched off; an entry ending in {@code *} matches every name
   * that starts with the rest of it. Never null.
   */
  public Set<String> disabledComponents() {
    return disabledComponents;
  }

  /** Whether the baggage force flag is honoured. */
  public boolean forceEnabled() {
    return forceEnabled;
  }

  /** The W3C baggage key whose value {@code 1} or {@code true} forces sampling. */
  public String forceBaggageKey() {
    return forceBaggageKey;
  }

  /** Fraction of root traces kept, in [0, 1], decided on the trace ID. */
  public double ratio() {
    return ratio;
  }

  /** Default number of new sampled traces per window per group; 0 means unlimited. */
  public int rateLimitPerWindow() {
    return rateLimitPerWindow;
  }

  /** Length of a rate-limit window in milliseconds. */
  public long rateLimitWindowMillis() {
    return rateLimitWindowMillis;
  }

  /** How roots are grouped for the rate limit. */
  public GroupBy rateLimitGroupBy() {
    return rateLimitGroupBy;
  }

  /** Per-group limits overriding {@link #rateLimitPerWindow()}; 0 means unlimited. Never null. */
  public Map<String, Integer> rateLimitGroups() {
    return rateLimitGroups;
  }

  /** Whether any root can be refused by the rate limit. */
  boolean rateLimited() {
    return rateLimited;
  }

  /** Whether spans of this scope are switched off. Allocates nothing. */
  boolean componentDisabled(String scopeName) {
    if (disabledExact.contains(scopeName)) {
      return true;
    }
    for (String prefix : disabledPrefixes) {
      if (scopeName.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /** Whether a root with this trace ID low half is inside {@link #ratio()}. */
  boolean ratioAdmits(long traceIdLow) {
    return ratioAll || Math.abs(traceIdLow) < traceIdUpperBound;
  }

  /** The limit for a named group: its override, else the default. */
  int limitFor(String group) {
    Integer override = rateLimitGroups.get(group);
    return override != null ? override : rateLimitPerWindow;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SamplingConfig)) {
      return false;
    }
    SamplingConfig that = (SamplingConfig) o;
    return enabled == that.enabled
        && forceEnabled == that.forceEnabled
        && Double.compare(ratio, that.ratio) == 0
        && rateLimitPerWindow == that.rateLimitPerWindow
        && rateLimitWindowMillis == that.rateLimitWindowMillis
        && disabledComponents.equals(that.disabledComponents)
        && forceBaggageKey.equals(that.forceBaggageKey)
        && rateLimitGroupBy == that.rateLimitGroupBy
        && rateLimitGroups.equals(that.rateLimitGroups);
  }

  @Override
  public int hashCode() {
    return Objects.hash(enabled, disabledComponents, forceEnabled, forceBaggageKey, ratio,
        rateLimitPerWindow, rateLimitWindowMillis, rateLimitGroupBy, rateLimitGroups);
  }

  @Override
  public String toString() {
    return "SamplingConfig{enabled=" + enabled
        + ", disabledComponents=" + disabledComponents
        + ", forceEnabled=" + forceEnabled
        + ", forceBaggageKey=" + forceBaggageKey
        + ", ratio=" + ratio
        + ", rateLimitPerWindow=" + rateLimitPerWindow
        + ", rateLimitWindowMillis=" + rateLimitWindowMillis
        + ", rateLimitGroupBy=" + rateLimitGroupBy
        + ", rateLimitGroups=" + rateLimitGroups
        + '}';
  }

  /**
   * Builds a {@link SamplingConfig}. Setters reject null at once; ranges and combinations are
   * checked in {@link #build()}, which names the offending field.
   */
  public static final class Builder {
    private boolean enabled = true;
    private final Set<String> disabledComponents = new LinkedHashSet<>();
    private boolean forceEnabled = true;
    private String forceBaggageKey = "cairn.force";
    private double ratio = 1.0;
    private int rateLimitPerWindow = 0;
    private long rateLimitWindowMillis = 3000;
    private GroupBy rateLimitGroupBy = GroupBy.SCOPE;
    private final Map<String, Integer> rateLimitGroups = new LinkedHashMap<>();

    Builder() {}

    Builder(SamplingConfig c) {
      enabled = c.enabled;
      disabledComponents.addAll(c.disabledComponents);
      forceEnabled = c.forceEnabled;
      forceBaggageKey = c.forceBaggageKey;
      ratio = c.ratio;
      rateLimitPerWindow = c.rateLimitPerWindow;
      rateLimitWindowMillis = c.rateLimitWindowMillis;
      rateLimitGroupBy = c.rateLimitGroupBy;
      rateLimitGroups.putAll(c.rateLimitGroups);
    }

    /** Global switch (default true). */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /**
     * Replaces the switched-off scope names; a trailing {@code *} makes a prefix pattern
     * (default none).
     */
    public Builder disabledComponents(Collection<String> patterns) {
      requireNonNull(patterns, "patterns");
      disabledComponents.clear();
      for (String pattern : patterns) {
        addDisabledComponent(pattern);
      }
      return this;
    }

    /** Adds one switched-off scope name or prefix pattern. */
    public Builder addDisabledComponent(String pattern) {
      disabledComponents.add(requireNonNull(pattern, "pattern"));
      return this;
    }

    /** Whether the baggage force flag is honoured (default true). */
    public Builder forceEnabled(boolean forceEnabled) {
      this.forceEnabled = forceEnabled;
      return this;
    }

    /** The baggage key of the force flag (default {@code cairn.force}). */
    public Builder forceBaggageKey(String forceBaggageKey) {
      this.forceBaggageKey = requireNonNull(forceBaggageKey, "forceBaggageKey");
      return this;
    }

    /** Fraction of roots kept, in [0, 1] (default 1.0). */
    public Builder ratio(double ratio) {
      this.ratio = ratio;
      return this;
    }

    /** New sampled traces per window per group, 0 for unlimited (default 0). */
    public Builder rateLimitPerWindow(int rateLimitPerWindow) {
      this.rateLimitPerWindow = rateLimitPerWindow;
      return this;
    }

    /** Rate-limit window length in milliseconds (default 3000). */
    public Builder rateLimitWindowMillis(long rateLimitWindowMillis) {
      this.rateLimitWindowMillis = rateLimitWindowMillis;
      return this;
    }

    /** How roots are grouped for the rate limit (default {@link GroupBy#SCOPE}). */
    public Builder rateLimitGroupBy(GroupBy rateLimitGroupBy) {
      this.rateLimitGroupBy = requireNonNull(rateLimitGroupBy, "rateLimitGroupBy");
      return this;
    }

    /** Sets the limit of one named group, overriding the default; 0 means unlimited. */
    public Builder rateLimitGroup(String group, int perWindow) {
      rateLimitGroups.put(requireNonNull(group, "group"), perWindow);
      return this;
    }

    /** Replaces all per-group limits. */
    public Builder rateLimitGroups(Map<String, Integer> groups) {
      requireNonNull(groups, "groups");
      rateLimitGroups.clear();
      groups.forEach((group, limit) ->
          rateLimitGroup(group, requireNonNull(limit, "rateLimitGroups[" + group + "]")));
      return this;
    }

    /**
     * The configuration.
     *
     * @throws IllegalArgumentException naming the field, when a value is out of range or the
     *     combination makes no sense
     */
    public SamplingConfig build() {
      for (String pattern : disabledComponents) {
        int star = pattern.indexOf('*');
        if (pattern.isEmpty() || (star >= 0 && star != pattern.length() - 1)) {
          throw new IllegalArgumentException("disabledComponents: '" + pattern
              + "' must be a scope name, optionally ending in a single '*'");
        }
      }
      if (forceBaggageKey.isBlank()) {
        throw new IllegalArgumentException("forceBaggageKey: must not be blank");
      }
      if (!(ratio >= 0.0 && ratio <= 1.0)) { // also rejects NaN
        throw new IllegalArgumentException("ratio: " + ratio + " must be in [0, 1]");
      }
      checkPerWindow("rateLimitPerWindow", rateLimitPerWindow);
      if (rateLimitWindowMillis < 1 || rateLimitWindowMillis > MAX_WINDOW_MILLIS) {
        throw new IllegalArgumentException("rateLimitWindowMillis: " + rateLimitWindowMillis
            + " must be in [1, " + MAX_WINDOW_MILLIS + "]");
      }
      for (Map.Entry<String, Integer> e : rateLimitGroups.entrySet()) {
        if (e.getKey().isEmpty()) {
          throw new IllegalArgumentException("rateLimitGroups: group name must not be empty");
        }
        checkPerWindow("rateLimitGroups[" + e.getKey() + "]", e.getValue());
      }
      if (rateLimitGroupBy == GroupBy.NONE && !rateLimitGroups.isEmpty()) {
        // With one global group a named override could never apply: say so rather than ignore it.
        throw new IllegalArgumentException("rateLimitGroups: " + rateLimitGroups.keySet()
            + " cannot apply when rateLimitGroupBy is NONE");
      }
      return new SamplingConfig(this);
    }

    private static void checkPerWindow(String field, int value) {
      if (value < 0 || value > MAX_PER_WINDOW) {
        throw new IllegalArgumentException(
            field + ": " + value + " must be in [0, " + MAX_PER_WINDOW + "] (0 = unlimited)");
      }
    }
  }
}
