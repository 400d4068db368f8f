package dev.cairn.ui;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.Operation;
import dev.cairn.store.SpanReader;
import dev.cairn.store.StoreException;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Jaeger query API ({@code cmd/query/app/http_handler.go}, {@code query_parser.go}), so that
 * Grafana's Jaeger data source and the Jaeger UI read Cairn. docs/api.md lists where Cairn differs.
 */
final class JaegerApi {
  /** Jaeger's default number of traces of a search. */
  static final int DEFAULT_LIMIT = 100;
  /** Jaeger's default dependency lookback: a day, in ms. */
  static final long DEFAULT_DEPENDENCY_LOOKBACK_MILLIS = 24L * 3600 * 1000;

  private final SpanReader reader;
  private final Limits limits;

  JaegerApi(SpanReader reader, Limits limits) {
    this.reader = reader;
    this.limits = limits;
  }

  /** {@code GET /api/services}: data: [name]. */
  Response services() throws StoreException {
    List<String> services = reader.services();
    Envelope e = new Envelope();
    e.data().strings(services);
    return e.ok(services.size());
  }

  /** {@code GET /api/services/{service}/operations}: data: [name], distinct and sorted. */
  Response operationNames(String service) throws StoreException {
    List<String> names = Queries.sortedDistinct(reader.operations(service).stream().map(Operation::name).toList());
    Envelope e = new Envelope();
    e.data().strings(names);
    return e.ok(names.size());
  }

  /** {@code GET /api/operations?service=&spanKind=}: data: [{name, spanKind}]. */
  Response operations(Params p) throws ApiException, StoreException {
    String service = p.string("service");
    if (service.isEmpty()) {
      throw ApiException.badRequest("parameter 'service' is required");
    }
    String kind = p.string("spanKind").toLowerCase(Locale.ROOT);
    if (!kind.isEmpty() && !isKind(kind)) {
      throw ApiException.badRequest("unsupported span kind: '" + Queries.shorten(p.string("spanKind"))
          + "' (server, client, producer, consumer or internal)");
    }
    Envelope e = new Envelope();
    Json j = e.data().array();
    int n = 0;
    for (Operation op : reader.operations(service)) {
      String opKind = TraceJson.jaegerKind(op.kind());
      if (kind.isEmpty() || kind.equals(opKind)) {
        j.object().name("name").value(op.name()).name("spanKind").value(opKind).endObject();
        n++;
      }
    }
    j.endArray();
    return e.ok(n);
  }

  private static boolean isKind(String lower) {
    for (SpanKind k : SpanKind.values()) {
      if (TraceJson.jaegerKind(k).equals(lower)) {
        return true;
      }
    }
    return false;
  }

  /** {@code GET /api/traces/{traceID}}: data: [Trace], or 404. */
  Response trace(String id, Params p) throws ApiException, StoreException {
    TraceId traceId = Queries.traceId("trace ID", id);
    // start and end are hints in Jaeger; checked for form, then not needed to find a trace by ID
    p.integer("start", 0);
    p.integer("end", 0);
    Trace t = reader.trace(traceId).orElseThrow(() -> ApiException.notFound("trace not found"));
    Envelope e = new Envelope();
    e.data().array();
    TraceJson.trace(e.data(), t, false);
    e.data().endArray();
    return e.ok(1);
  }

  /** {@code GET /api/traces?service=…}: data: [Trace], newest first. */
  Response search(Params p) throws ApiException, StoreException {
    List<TraceId> ids = new ArrayList<>();
    for (String id : p.all("traceID")) {
      ids.add(Queries.traceId("traceID", id));
    }
    List<Trace> traces = new ArrayList<>();
    if (!ids.isEmpty()) {
      for (TraceId id : ids) {
        reader.trace(id).ifPresent(traces::add);
      }
    } else {
      TraceQuery q = query(p);
      for (TraceSummary s : reader.findTraces(q)) {
        // a trace removed by retention since the search is left out
        Optional<Trace> t = reader.trace(s.traceId());
        t.ifPresent(traces::add);
      }
    }
    Envelope e = new Envelope();
    e.data().array();
    for (Trace t : traces) {
      TraceJson.trace(e.data(), t, false);
    }
    e.data().endArray();
    return e.ok(traces.size());
  }

  private TraceQuery query(Params p) throws ApiException {
    String service = p.string("service");
    Queries.Range range = Queries.range(p, "start", "end", Queries.DEFAULT_SEARCH_LOOKBACK_MICROS, limits);
    Map<String, String> tags = Queries.tags(p, "tag", "tags", ":");
    int limit = p.limit("limit", Math.min(DEFAULT_LIMIT, limits.maxResults()), limits.maxResults());
    long min = p.durationMicros("minDuration");
    long max = p.durationMicros("maxDuration");
    if (service.isEmpty()) {
      throw ApiException.badRequest("parameter 'service' is required");
    }
    if (min != 0 && max != 0 && max < min) {
      throw ApiException.badRequest("'maxDuration' should be greater than 'minDuration'");
    }
    return searchQuery(service, p.string("operation"), tags, min, max, range, limit, false);
  }

  /**
   * A store query. The tags {@code error=true} and {@code otel.status_code=ERROR} are not span
   * attributes in Cairn but the span status (see {@link TraceJson}), so they select traces with an
   * error span.
   */
  static TraceQuery searchQuery(String service, String operation, Map<String, String> tags, long minMicros,
      long maxMicros, Queries.Range range, int limit, boolean errorOnly) {
    TraceQuery.Builder b = TraceQuery.builder().service(service).operation(operation)
        .minDurationMicros(minMicros).maxDurationMicros(maxMicros)
        .startFromMicros(range.start()).startToMicros(range.end()).limit(limit).errorOnly(errorOnly);
    tags.forEach((k, v) -> {
      if ((k.equals("error") && v.equals("true")) || (k.equals("otel.status_code") && v.equals("ERROR"))) {
        b.errorOnly(true);
      } else {
        b.tag(k, v);
      }
    });
    return b.build();
  }

  /** {@code GET /api/dependencies?endTs=&lookback=} (ms): data: [{parent, child, callCount}]. */
  Response dependencies(Params p) throws ApiException, StoreException {
    List<DependencyLink> links = dependencyLinks(reader, p, limits);
    Envelope e = new Envelope();
    Json j = e.data().array();
    for (DependencyLink l : links) {
      j.object().name("parent").value(l.parent()).name("child").value(l.child())
          .name("callCount").value(l.callCount()).endObject();
    }
    j.endArray();
    return e.ok(links.size());
  }

  /** The links of {@code endTs} (ms, default now) and {@code lookback} (ms, default a day). */
  static List<DependencyLink> dependencyLinks(SpanReader reader, Params p, Limits limits)
      throws ApiException, StoreException {
    long endMillis = p.integer("endTs", System.currentTimeMillis());
    long lookbackMillis = p.integer("lookback", DEFAULT_DEPENDENCY_LOOKBACK_MILLIS);
    if (endMillis < 0) {
      throw ApiException.badRequest("param 'endTs' must not be negative: " + endMillis);
    }
    if (lookbackMillis < 0) {
      throw ApiException.badRequest("param 'lookback' must not be negative: " + lookbackMillis);
    }
    if (lookbackMillis > limits.maxRangeMicros() / 1000) {
      throw ApiException.badRequest("param 'lookback' is longer than " + limits.rangeText()
          + ", the most one request may cover: " + lookbackMillis + " ms");
    }
    if (endMillis > Long.MAX_VALUE / 1000) {
      throw ApiException.badRequest("param 'endTs' is out of range: " + endMillis);
    }
    return reader.dependencies(endMillis * 1000, lookbackMillis * 1000);
  }
}
