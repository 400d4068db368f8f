package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.aggregations.Aggregate;
import co.elastic.clients.elasticsearch._types.aggregations.StringTermsBucket;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.JsonData;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.StoreException;
import dev.cairn.store.TraceNote;
import dev.cairn.store.TraceSummary;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trace summaries: computed from every stored span of a trace by one aggregation (count, earliest
 * start, latest end, services, any error, the root), so a summary never depends on which writer
 * saw which spans; stored as one readable document per trace in the trace index of its start day.
 */
final class EsSummaries {
  /** Traces per aggregation request: bounded buckets (traces × services) per response. */
  private static final int CHUNK = 500;
  /** Roots fetched per trace to pick the earliest (then lowest span ID) like the embedded store. */
  private static final int ROOT_CANDIDATES = 5;

  /** What the stored spans of one trace say. */
  record Facts(int spans, long start, long end, List<String> services, boolean error,
      String rootService, String rootOperation) {

    TraceSummary summary(String traceHex, boolean complete, List<String> warnings) {
      return new TraceSummary(TraceId.fromHex(traceHex), rootService, rootOperation, start,
          end - start, spans, services, error, complete, warnings);
    }
  }

  /** A summary document as found, with what a conditional write of it needs. */
  record Stored(String index, long seqNo, long primaryTerm, TraceSummary summary) {}

  private EsSummaries() {}

  /** The facts of each trace that has stored spans; traces without any are absent. */
  static Map<String, Facts> compute(EsClient client, EsIndices indices, Collection<String> traces)
      throws StoreException {
    Map<String, Facts> out = new HashMap<>();
    List<String> all = List.copyOf(traces);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<FieldValue> ids = all.subList(from, Math.min(all.size(), from + CHUNK)).stream()
          .map(FieldValue::of).toList();
      SearchResponse<Void> r = client.call("summarizing traces", c -> c.search(s -> s
          .index(indices.pattern(EsIndices.SPAN)).ignoreUnavailable(true).allowNoIndices(true)
          .size(0)
          .query(q -> q.terms(t -> t.field("traceId").terms(v -> v.value(ids))))
          .aggregations("t", a -> a
              .terms(t -> t.field("traceId").size(ids.size()))
              .aggregations("start", x -> x.min(m -> m.field("start")))
              .aggregations("end", x -> x.max(m -> m.field("end")))
              .aggregations("services", x -> x.terms(t -> t.field("service").size(1000)))
              .aggregations("error", x -> x.filter(f -> f.term(t -> t.field("error").value(true))))
              .aggregations("root", x -> x
                  .filter(f -> f.exists(e -> e.field("root")))
                  .aggregations("first", y -> y.topHits(h -> h
                      .size(ROOT_CANDIDATES)
                      .sort(o -> o.field(f -> f.field("start").order(SortOrder.Asc)))
                      .source(sc -> sc.fetch(false))
                      .storedFields("data"))))),
          Void.class));
      for (StringTermsBucket b : EsSummaries.buckets(r, "t")) {
        Map<String, Aggregate> sub = b.aggregations();
        List<String> services = new ArrayList<>();
        for (StringTermsBucket s : sub.get("services").sterms().buckets().array()) {
          services.add(s.key().stringValue());
        }
        services.sort(null);
        SpanRecord root = null;
        for (Hit<JsonData> h : sub.get("root").filter().aggregations().get("first").topHits()
            .hits().hits()) {
          SpanRecord s = (SpanRecord) EsCodec.decode(data(h), h.id());
          if (root == null || s.startMicros() < root.startMicros()
              || (s.startMicros() == root.startMicros()
                  && Long.compareUnsigned(s.spanId(), root.spanId()) < 0)) {
            root = s;
          }
        }
        out.put(b.key().stringValue(), new Facts((int) b.docCount(),
            (long) sub.get("start").min().value(), (long) sub.get("end").max().value(),
            services, sub.get("error").filter().docCount() > 0,
            root == null ? "" : root.service(), root == null ? "" : root.name()));
      }
    }
    return out;
  }

  /**
   * The buckets of a top-level terms aggregation; none when no index matched the pattern (then
   * Elasticsearch answers without aggregations).
   */
  static List<StringTermsBucket> buckets(SearchResponse<?> r, String name) {
    Aggregate a = r.aggregations().get(name);
    return a == null ? List.of() : a.sterms().buckets().array();
  }

  /** The stored binary {@code data} of a hit (asked for with {@code stored_fields}). */
  static String data(Hit<?> hit) throws StoreException {
    JsonData d = hit.fields().get("data");
    if (d == null) {
      throw new StoreException("stored document " + hit.index() + "/" + hit.id() + " has no data");
    }
    return d.to(String[].class)[0];
  }

  /** Every stored summary document of these traces (normally one each). */
  static Map<String, List<Stored>> find(EsClient client, EsIndices indices,
      Collection<String> traces) throws StoreException {
    Map<String, List<Stored>> out = new LinkedHashMap<>();
    List<String> all = List.copyOf(traces);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<FieldValue> ids = all.subList(from, Math.min(all.size(), from + CHUNK)).stream()
          .map(FieldValue::of).toList();
      SearchResponse<Map> r = client.call("reading trace summaries", c -> c.search(s -> s
          .index(indices.pattern(EsIndices.TRACE)).ignoreUnavailable(true).allowNoIndices(true)
          .size(ids.size() * 2 + 10)
          .seqNoPrimaryTerm(true)
          .query(q -> q.terms(t -> t.field("traceId").terms(v -> v.value(ids)))),
          Map.class));
      for (Hit<Map> h : r.hits().hits()) {
        TraceSummary s = fromDocument(h.source());
        out.computeIfAbsent(s.traceId().hex(), k -> new ArrayList<>())
            .add(new Stored(h.index(), h.seqNo(), h.primaryTerm(), s));
      }
    }
    return out;
  }

  /** The summary a note (or, without one, the previous summary) completes. */
  static TraceSummary merge(String traceHex, Facts facts, TraceNote note, TraceSummary previous) {
    boolean complete = note != null ? note.complete() : previous != null && previous.complete();
    List<String> warnings = note != null ? note.warnings()
        : previous != null ? previous.warnings() : List.of();
    return facts.summary(traceHex, complete, warnings);
  }

  static Map<String, Object> toDocument(TraceSummary s) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("traceId", s.traceId().hex());
    doc.put("rootService", s.rootService());
    doc.put("rootOperation", s.rootOperation());
    doc.put("start", s.startMicros());
    doc.put("duration", s.durationMicros());
    doc.put("spanCount", s.spanCount());
    doc.put("services", s.services());
    doc.put("error", s.error());
    doc.put("complete", s.complete());
    doc.put("warnings", s.warnings());
    return doc;
  }

  @SuppressWarnings("unchecked")
  static TraceSummary fromDocument(Map<?, ?> doc) {
    return new TraceSummary(TraceId.fromHex((String) doc.get("traceId")),
        (String) doc.get("rootService"), (String) doc.get("rootOperation"),
        ((Number) doc.get("start")).longValue(), ((Number) doc.get("duration")).longValue(),
        ((Number) doc.get("spanCount")).intValue(), (List<String>) doc.get("services"),
        (Boolean) doc.get("error"), (Boolean) doc.get("complete"),
        (List<String>) doc.get("warnings"));
  }
}
