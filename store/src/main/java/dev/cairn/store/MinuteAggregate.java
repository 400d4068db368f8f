package dev.cairn.store;

import static java.util.Objects.requireNonNull;

/**
 * Spans of one service and operation that started in one minute: how many, how many failed, and
 * latency percentiles from a histogram kept per minute (values within a few percent of the exact
 * ones; the histogram's buckets are the implementation's).
 *
 * @param minuteMicros start of the minute, µs since the epoch (a multiple of 60,000,000)
 */
public record MinuteAggregate(
    String service,
    String operation,
    long minuteMicros,
    long count,
    long errors,
    long p50Micros,
    long p95Micros,
    long p99Micros,
    long maxMicros) {

  public MinuteAggregate {
    requireNonNull(service, "service");
    requireNonNull(operation, "operation");
  }
}
