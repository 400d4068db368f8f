package dev.cairn.store;

import dev.cairn.core.model.TraceId;
import java.util.List;
import java.util.Optional;

/**
 * Queries. Thread-safe. Results reflect every write that returned before the query began.
 * Methods added later get default implementations, so no backend breaks.
 */
public interface SpanReader {
  /** A whole trace: every stored span and log line, and its summary; empty when unknown. */
  Optional<Trace> trace(TraceId traceId) throws StoreException;

  /**
   * Summaries of the traces matching every condition of the query, newest start first, at most
   * {@code query.limit()}. A trace matches when its summary matches (start, duration, error) and,
   * for service, operation and tags, when at least one of its spans matches them all together.
   */
  List<TraceSummary> findTraces(TraceQuery query) throws StoreException;

  /** Every service that has stored spans, sorted. */
  List<String> services() throws StoreException;

  /** The operations (span names with their kind) of a service, sorted by name then kind. */
  List<Operation> operations(String service) throws StoreException;

  /**
   * Calls between services whose child span started in [endMicros − lookbackMicros, endMicros],
   * with counts, sorted by parent then child.
   */
  List<DependencyLink> dependencies(long endMicros, long lookbackMicros) throws StoreException;

  /**
   * Per-minute aggregates of spans of a service (and, optionally, one operation) that started in
   * [fromMicros, toMicros), one entry per (operation, minute) with spans, sorted by operation then
   * minute. With an empty operation, entries per operation; see {@link MinuteAggregate}.
   */
  List<MinuteAggregate> aggregates(String service, String operation, long fromMicros, long toMicros)
      throws StoreException;
}
