package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A trace search. Absent conditions match everything; times are µs since the epoch.
 *
 * <pre>{@code
 * TraceQuery q = TraceQuery.builder().service("checkout").tag("order.id", "2135897412389123")
 *     .minDurationMicros(100_000).startFrom(from).startTo(to).limit(20).build();
 * }</pre>
 *
 * @param service spans of this service ("" = any)
 * @param operation spans with this name ("" = any), together with service
 * @param tags attribute key → value (as text); a span must carry all of them; business keys are
 *     attributes too
 * @param minDurationMicros trace duration at least (0 = no minimum)
 * @param maxDurationMicros trace duration at most (0 = no maximum)
 * @param startFromMicros trace start at or after
 * @param startToMicros trace start at or before
 * @param errorOnly only traces with an error span
 * @param limit at most this many results (1 … 10,000)
 */
public record TraceQuery(
    String service,
    String operation,
    Map<String, String> tags,
    long minDurationMicros,
    long maxDurationMicros,
    long startFromMicros,
    long startToMicros,
    boolean errorOnly,
    int limit) {

  public static final int MAX_LIMIT = 10_000;

  public TraceQuery {
    requireNonNull(service, "service");
    requireNonNull(operation, "operation");
    tags = Map.copyOf(requireNonNull(tags, "tags"));
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be in [1, " + MAX_LIMIT + "]: " + limit);
    }
    if (minDurationMicros < 0 || maxDurationMicros < 0
        || (maxDurationMicros > 0 && maxDurationMicros < minDurationMicros)) {
      throw new IllegalArgumentException("duration range [" + minDurationMicros + ", "
          + maxDurationMicros + "] is empty or negative");
    }
    if (startToMicros < startFromMicros) {
      throw new IllegalArgumentException("start range [" + startFromMicros + ", " + startToMicros
          + "] is empty");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link TraceQuery}; defaults: anything, any time, limit 20. */
  public static final class Builder {
    private String service = "";
    private String operation = "";
    private final Map<String, String> tags = new LinkedHashMap<>();
    private long minDuration;
    private long maxDuration;
    private long startFrom;
    private long startTo = Long.MAX_VALUE;
    private boolean errorOnly;
    private int limit = 20;

    Builder() {}

    public Builder service(String service) {
      this.service = requireNonNull(service, "service");
      return this;
    }

    public Builder operation(String operation) {
      this.operation = requireNonNull(operation, "operation");
      return this;
    }

    public Builder tag(String key, String value) {
      tags.put(requireNonNull(key, "tag key"), requireNonNull(value, "tag value"));
      return this;
    }

    public Builder minDurationMicros(long micros) {
      minDuration = micros;
      return this;
    }

    public Builder maxDurationMicros(long micros) {
      maxDuration = micros;
      return this;
    }

    public Builder startFromMicros(long micros) {
      startFrom = micros;
      return this;
    }

    public Builder startToMicros(long micros) {
      startTo = micros;
      return this;
    }

    public Builder errorOnly(boolean errorOnly) {
      this.errorOnly = errorOnly;
      return this;
    }

    public Builder limit(int limit) {
      this.limit = limit;
      return this;
    }

    /** @throws IllegalArgumentException naming the field when a value is out of range */
    public TraceQuery build() {
      return new TraceQuery(service, operation, tags, minDuration, maxDuration, startFrom, startTo,
          errorOnly, limit);
    }
  }
}
