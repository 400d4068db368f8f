package dev.cairn.ui;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.MinuteAggregate;
import dev.cairn.store.Operation;
import dev.cairn.store.SpanReader;
import dev.cairn.store.StoreException;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cairn's own API under {@code /api/cairn/}: what Jaeger's lacks (completeness and warnings, the
 * log lines of a trace, business-key lookup, minute aggregates, component status). docs/api.md.
 */
final class CairnApi {
  static final int DEFAULT_LIMIT = 20;
  /** Aggregates and summaries without {@code start} cover the last hour. */
  static final long DEFAULT_AGGREGATE_LOOKBACK_MICROS = 3600L * 1_000_000;

  private final SpanReader reader;
  private final Limits limits;
  private final StatusSource status;

  CairnApi(SpanReader reader, Limits limits, StatusSource status) {
    this.reader = reader;
    this.limits = limits;
    this.status = status;
  }

  /** {@code GET /api/cairn/traces/{id}}: data: the trace with Cairn's additions, or 404. */
  Response trace(String id) throws ApiException, StoreException {
    TraceId traceId = Queries.traceId("trace ID", id);
    Trace t = reader.trace(traceId).orElseThrow(() -> ApiException.notFound("trace not found"));
    Envelope e = new Envelope();
    TraceJson.trace(e.data(), t, true);
    return e.ok(1);
  }

  /** {@code GET /api/cairn/search}: data: [summary], newest first. */
  Response search(Params p) throws ApiException, StoreException {
    Queries.Range range = Queries.range(p, "start", "end", Queries.DEFAULT_SEARCH_LOOKBACK_MICROS, limits);
    Map<String, String> tags = Queries.tags(p, "tag", "tags", "=:");
    int limit = p.limit("limit", Math.min(DEFAULT_LIMIT, limits.maxResults()), limits.maxResults());
    long min = p.durationMicros("minDuration");
    long max = p.durationMicros("maxDuration");
    if (min != 0 && max != 0 && max < min) {
      throw ApiException.badRequest("'maxDuration' should be greater than 'minDuration'");
    }
    TraceQuery q = JaegerApi.searchQuery(p.string("service"), p.string("operation"), tags, min, max,
        range, limit, p.bool("errorOnly", false));
    return summaries(reader.findTraces(q));
  }

  /**
   * {@code GET /api/cairn/lookup?key=&value=}: data: [summary] of the traces with a span carrying
   * the attribute; without {@code start} it looks back as far as one request may (limits).
   */
  Response lookup(Params p) throws ApiException, StoreException {
    String key = p.string("key");
    if (key.isEmpty()) {
      throw ApiException.badRequest("parameter 'key' is required (an attribute such as order.id)");
    }
    if (!p.has("value")) {
      throw ApiException.badRequest("parameter 'value' is required");
    }
    Queries.Range range = Queries.range(p, "start", "end", limits.maxRangeMicros(), limits);
    int limit = p.limit("limit", Math.min(DEFAULT_LIMIT, limits.maxResults()), limits.maxResults());
    TraceQuery q = TraceQuery.builder().tag(key, p.string("value"))
        .startFromMicros(range.start()).startToMicros(range.end()).limit(limit).build();
    return summaries(reader.findTraces(q));
  }

  private static Response summaries(List<TraceSummary> found) {
    Envelope e = new Envelope();
    e.data().array();
    for (TraceSummary s : found) {
      TraceJson.summary(e.data(), s);
    }
    e.data().endArray();
    return e.ok(found.size());
  }

  /** {@code GET /api/cairn/dependencies}: as Jaeger's, with {@code errorCount}. */
  Response dependencies(Params p) throws ApiException, StoreException {
    List<DependencyLink> links = JaegerApi.dependencyLinks(reader, p, limits);
    Envelope e = new Envelope();
    Json j = e.data().array();
    for (DependencyLink l : links) {
      j.object().name("parent").value(l.parent()).name("child").value(l.child())
          .name("callCount").value(l.callCount()).name("errorCount").value(l.errorCount()).endObject();
    }
    j.endArray();
    return e.ok(links.size());
  }

  /** {@code GET /api/cairn/services/{service}/aggregates}: one row per (operation, minute). */
  Response aggregates(String service, Params p) throws ApiException, StoreException {
    Queries.Range range = Queries.range(p, "start", "end", DEFAULT_AGGREGATE_LOOKBACK_MICROS, limits);
    List<MinuteAggregate> rows = reader.aggregates(service, p.string("operation"), range.start(), range.end());
    Envelope e = new Envelope();
    Json j = e.data().array();
    for (MinuteAggregate a : rows) {
      j.object()
          .name("operation").value(a.operation())
          .name("minute").value(a.minuteMicros())
          .name("count").value(a.count())
          .name("errors").value(a.errors())
          .name("p50").value(a.p50Micros())
          .name("p95").value(a.p95Micros())
          .name("p99").value(a.p99Micros())
          .name("max").value(a.maxMicros())
          .endObject();
    }
    j.endArray();
    return e.ok(rows.size());
  }

  /**
   * {@code GET /api/cairn/services/{service}/summary}: per operation over the range, slowest p99
   * first. Percentiles over several minutes are the count-weighted percentiles of the minutes'
   * percentiles: exact within one minute, an approximation across minutes (docs/api.md).
   */
  Response summary(String service, Params p) throws ApiException, StoreException {
    Queries.Range range = Queries.range(p, "start", "end", DEFAULT_AGGREGATE_LOOKBACK_MICROS, limits);
    Map<String, String> kinds = new LinkedHashMap<>();
    for (Operation op : reader.operations(service)) {
      kinds.merge(op.name(), op.kind().name(), (a, b) -> a + "," + b);
    }
    Map<String, List<MinuteAggregate>> byOperation = new TreeMap<>();
    for (MinuteAggregate a : reader.aggregates(service, "", range.start(), range.end())) {
      byOperation.computeIfAbsent(a.operation(), k -> new ArrayList<>()).add(a);
    }
    double seconds = Math.max(1, range.end() - range.start()) / 1e6;
    List<OperationSummary> rows = new ArrayList<>();
    byOperation.forEach((op, minutes) -> rows.add(OperationSummary.of(op, kinds.getOrDefault(op, ""),
        minutes, seconds)));
    rows.sort(Comparator.comparingLong(OperationSummary::p99).reversed()
        .thenComparing(OperationSummary::operation));
    Envelope e = new Envelope();
    Json j = e.data().array();
    for (OperationSummary r : rows) {
      j.object()
          .name("operation").value(r.operation())
          .name("spanKind").value(r.spanKind())
          .name("count").value(r.count())
          .name("errors").value(r.errors())
          .name("errorRate").value(r.count() == 0 ? 0.0 : (double) r.errors() / r.count())
          .name("ratePerSecond").value(r.count() / seconds)
          .name("p50").value(r.p50())
          .name("p95").value(r.p95())
          .name("p99").value(r.p99())
          .name("max").value(r.max())
          .endObject();
    }
    j.endArray();
    return e.ok(rows.size());
  }

  /** One operation over a range, from its minute aggregates. */
  record OperationSummary(String operation, String spanKind, long count, long errors, long p50, long p95,
      long p99, long max) {
    static OperationSummary of(String operation, String kind, List<MinuteAggregate> minutes, double seconds) {
      long count = 0;
      long errors = 0;
      long max = 0;
      for (MinuteAggregate m : minutes) {
        count += m.count();
        errors += m.errors();
        max = Math.max(max, m.maxMicros());
      }
      return new OperationSummary(operation, kind, count, errors,
          weighted(minutes, 0.50, MinuteAggregate::p50Micros, count),
          weighted(minutes, 0.95, MinuteAggregate::p95Micros, count),
          weighted(minutes, 0.99, MinuteAggregate::p99Micros, count), max);
    }

    private static long weighted(List<MinuteAggregate> minutes, double q,
        java.util.function.ToLongFunction<MinuteAggregate> value, long total) {
      if (total == 0) {
        return 0;
      }
      List<MinuteAggregate> sorted = new ArrayList<>(minutes);
      sorted.sort(Comparator.comparingLong(value));
      long rank = Math.max(1, (long) Math.ceil(q * total));
      long seen = 0;
      for (MinuteAggregate m : sorted) {
        seen += m.count();
        if (seen >= rank) {
          return value.applyAsLong(m);
        }
      }
      return value.applyAsLong(sorted.get(sorted.size() - 1));
    }
  }

  /** {@code GET /api/cairn/status}: data: {components: [{name, status, facts}]}. */
  Response status() {
    List<ComponentStatus> components = components(status);
    Envelope e = new Envelope();
    Json j = e.data().object().name("components").array();
    for (ComponentStatus c : components) {
      j.object().name("name").value(c.name()).name("status").value(c.status())
          .name("facts").any(c.facts()).endObject();
    }
    j.endArray().endObject();
    return e.ok(components.size());
  }

  /** The source's components; a failing source shows as one component of unknown status. */
  static List<ComponentStatus> components(StatusSource source) {
    try {
      List<ComponentStatus> c = source.components();
      return c == null ? List.of() : c;
    } catch (RuntimeException e) {
      return List.of(new ComponentStatus("status", ComponentStatus.UNKNOWN,
          Map.of("error", "the status source failed: " + e)));
    }
  }
}
