package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.aggregations.StringTermsBucket;
import co.elastic.clients.elasticsearch._types.query_dsl.BoolQuery;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.SearchRequest;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.JsonData;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Queries (docs/store-elasticsearch.md, "Reads"). Services and operations are aggregations over
 * the span documents; dependencies and per-minute aggregates sum the documents written with the
 * spans ({@link EsRollups}). Each read first refreshes what this store wrote since the last one.
 */
final class EsReader implements SpanReader {
  /** Elasticsearch's default {@code index.max_result_window}: spans (or log lines) per trace read. */
  static final int MAX_TRACE_DOCUMENTS = 10_000;
  /** Traces a span-level search looks at, at most. */
  static final int MAX_CANDIDATE_TRACES = 10_000;
  /** Part numbers asked for at once when reading a trace. */
  private static final int PARTS_PAGE = 16;
  private static final int MAX_PARTS = 65_536;
  private static final long MINUTE = EsRollups.MINUTE;
  private static final int MAX_NAMES = 10_000;
  /** (operation, minute) entries one aggregates read returns: a week of 1 operation, or so. */
  static final int MAX_AGGREGATE_DOCUMENTS = 10_000;

  private final EsSpanStore store;
  private final EsClient client;
  private final EsIndices indices;

  EsReader(EsSpanStore store, EsClient client, EsIndices indices) {
    this.store = store;
    this.client = client;
    this.indices = indices;
  }

  @Override
  public Optional<Trace> trace(TraceId traceId) throws StoreException {
    store.readable();
    String hex = traceId.hex();
    List<SpanRecord> spans = new ArrayList<>();
    Set<Long> spanIds = new HashSet<>();
    for (Hit<Void> h : parts(hex)) {
      for (SpanRecord s : EsCodec.spans(EsSummaries.data(h), h.index() + "/" + h.id())) {
        if (spanIds.add(s.spanId())) {
          spans.add(s);
        }
      }
    }
    List<LogRecord> logs = new ArrayList<>();
    SearchResponse<Void> r = client.call("reading trace " + hex, c -> c.search(s -> s
        .index(indices.pattern(EsIndices.LOG)).ignoreUnavailable(true).allowNoIndices(true)
        .size(MAX_TRACE_DOCUMENTS)
        .query(q -> q.term(t -> t.field("traceId").value(hex)))
        .source(sc -> sc.fetch(false))
        .storedFields("data"), Void.class));
    for (Hit<Void> h : r.hits().hits()) {
      logs.add(EsCodec.log(EsSummaries.data(h), h.index() + "/" + h.id()));
    }
    if (spans.isEmpty() && logs.isEmpty()) {
      return Optional.empty();
    }
    List<EsSummaries.Stored> stored =
        EsSummaries.find(client, indices, List.of(hex)).getOrDefault(hex, List.of());
    TraceSummary summary;
    if (!stored.isEmpty()) {
      summary = stored.stream().map(EsSummaries.Stored::summary)
          .min(Comparator.comparingLong(TraceSummary::startMicros)).orElseThrow();
    } else {
      // spans stored, summary not (yet): a writer stopped between the two; say what the spans say
      EsSummaries.Delta d = new EsSummaries.Delta(indices, hex);
      for (SpanRecord s : spans) {
        d.add(s, s.status() == StatusCode.ERROR);
      }
      summary = spans.isEmpty()
          ? new TraceSummary(traceId, "", "", 0, 0, 0, List.of(), false, false, List.of())
          : EsSummaries.fromDocument(hex, d.apply(null));
    }
    return Optional.of(new Trace(summary, spans, logs));
  }

  /**
   * The parts of a trace, by their IDs (the trace ID and part numbers 0, 1, ...: the numbers are
   * taken in order, so the first page not full is the last), in part order.
   */
  private List<Hit<Void>> parts(String traceHex) throws StoreException {
    List<Hit<Void>> out = new ArrayList<>();
    for (int from = 0; from < MAX_PARTS; from += PARTS_PAGE) {
      List<String> ids = new ArrayList<>(PARTS_PAGE);
      for (int n = from; n < from + PARTS_PAGE && n < MAX_PARTS; n++) {
        ids.add(EsSpanDocuments.partId(traceHex, n));
      }
      SearchResponse<Void> r = client.call("reading trace " + traceHex, c -> c.search(s -> s
          .index(indices.pattern(EsIndices.SPAN)).ignoreUnavailable(true).allowNoIndices(true)
          .size(2 * PARTS_PAGE)
          .query(q -> q.ids(i -> i.values(ids)))
          .source(sc -> sc.fetch(false))
          .storedFields("data"), Void.class));
      List<Hit<Void>> hits = new ArrayList<>(r.hits().hits());
      hits.sort(Comparator.comparing(h -> ids.indexOf(h.id())));
      out.addAll(hits);
      if (hits.size() < ids.size()) {
        return out;
      }
    }
    return out;
  }

  @Override
  public List<TraceSummary> findTraces(TraceQuery query) throws StoreException {
    store.readable();
    BoolQuery.Builder summary = new BoolQuery.Builder();
    boolean spanLevel = !query.operation().isEmpty() || !query.tags().isEmpty();
    if (!spanLevel && !query.service().isEmpty()) {
      summary.filter(q -> q.term(t -> t.field("services").value(query.service())));
    }
    summary.filter(q -> q.range(r -> r.untyped(u -> u.field("start")
        .gte(JsonData.of(query.startFromMicros())).lte(JsonData.of(query.startToMicros())))));
    if (query.minDurationMicros() > 0 || query.maxDurationMicros() > 0) {
      summary.filter(q -> q.range(r -> r.untyped(u -> {
        u.field("duration").gte(JsonData.of(query.minDurationMicros()));
        if (query.maxDurationMicros() > 0) {
          u.lte(JsonData.of(query.maxDurationMicros()));
        }
        return u;
      })));
    }
    if (query.errorOnly()) {
      summary.filter(q -> q.term(t -> t.field("error").value(true)));
    }
    BoolQuery bool = summary.build();
    if (spanLevel) {
      return bySpans(query, bool);
    }
    return summaries(bool, null, query.limit());
  }

  /** Summaries meeting the trace-level conditions (and among these IDs), newest first. */
  private List<TraceSummary> summaries(BoolQuery conditions, List<String> ids, int size)
      throws StoreException {
    Query q = ids == null ? Query.of(x -> x.bool(conditions))
        : Query.of(x -> x.bool(b -> b.filter(f -> f.bool(conditions))
            .filter(f -> f.ids(i -> i.values(ids)))));
    SearchResponse<Map> r = client.call("searching traces", c -> c.search(s -> s
        .index(indices.pattern(EsIndices.TRACE)).ignoreUnavailable(true).allowNoIndices(true)
        .size(size)
        .query(q)
        .sort(o -> o.field(f -> f.field("start").order(SortOrder.Desc)))
        .sort(o -> o.field(f -> f.field("traceId").order(SortOrder.Asc))), Map.class));
    List<TraceSummary> out = new ArrayList<>();
    Set<TraceId> seen = new HashSet<>();
    for (Hit<Map> h : r.hits().hits()) {
      TraceSummary s = EsSummaries.fromDocument(EsSummaries.traceOf(h.id()), h.source());
      if (seen.add(s.traceId())) { // a summary caught moving to another day's index
        out.add(s);
      }
    }
    return out;
  }

  /**
   * A search with span-level conditions: the parts holding every value, latest span first, a
   * page at a time; their traces' summaries meeting the trace-level conditions are collected
   * until the limit is reached with summaries starting after the page's latest span start (a
   * trace not seen yet starts no later than its matching span). A part holds each value once, so
   * with two conditions or more the part's spans are checked for one holding all of them. At
   * most {@link #MAX_CANDIDATE_TRACES} traces are looked at.
   */
  private List<TraceSummary> bySpans(TraceQuery query, BoolQuery traceConditions)
      throws StoreException {
    boolean check = spanConditions(query) > 1;
    long latest = query.maxDurationMicros() > 0
        && query.startToMicros() <= Long.MAX_VALUE - query.maxDurationMicros()
        ? query.startToMicros() + query.maxDurationMicros() : Long.MAX_VALUE;
    String service = EsSpanDocuments.term(query.service());
    String name = EsSpanDocuments.term(query.operation());
    List<String> tags = new ArrayList<>();
    query.tags().forEach((k, v) -> tags.add(EsSpanDocuments.tag(k, v)));
    TreeSet<TraceSummary> found = new TreeSet<>(NEWEST_FIRST);
    Set<String> seenParts = new HashSet<>();
    Set<String> looked = new HashSet<>();
    long bound = Long.MAX_VALUE; // parts whose latest span starts at or before this
    int size = Math.max(20, query.limit() * 2);
    while (true) {
      BoolQuery.Builder b = partConditions(query);
      long upTo = bound;
      b.filter(q -> q.range(r -> r.untyped(u -> u.field("start").lte(JsonData.of(latest)))));
      b.filter(q -> q.range(r -> r.untyped(u -> u.field("last")
          .gte(JsonData.of(query.startFromMicros())).lte(JsonData.of(upTo)))));
      BoolQuery bool = b.build();
      int pageSize = size;
      SearchResponse<Void> r = client.call("searching trace parts", c -> {
        SearchRequest.Builder s = new SearchRequest.Builder()
            .index(indices.pattern(EsIndices.SPAN)).ignoreUnavailable(true).allowNoIndices(true)
            .size(pageSize).trackTotalHits(t -> t.enabled(false))
            .query(q -> q.bool(bool))
            .sort(o -> o.field(f -> f.field("last").order(SortOrder.Desc)))
            .source(sc -> sc.fetch(false));
        if (check) {
          s.storedFields("data");
        }
        return c.search(s.build(), Void.class);
      });
      List<Hit<Void>> hits = r.hits().hits();
      if (hits.isEmpty()) {
        break;
      }
      boolean anyNew = false;
      List<String> traces = new ArrayList<>();
      for (Hit<Void> h : hits) {
        if (!seenParts.add(h.index() + "/" + h.id())) {
          continue;
        }
        anyNew = true;
        String hex = EsSummaries.traceOf(h.id());
        if (looked.contains(hex)) {
          continue;
        }
        if (check && !holds(EsCodec.spans(EsSummaries.data(h), h.index() + "/" + h.id()),
            service, name, tags)) {
          continue; // the trace's other parts may still hold a matching span
        }
        looked.add(hex);
        traces.add(EsSummaries.id(hex));
      }
      if (!traces.isEmpty()) {
        found.addAll(summaries(traceConditions, traces, traces.size() * 2));
      }
      long pageLast = hits.get(hits.size() - 1).sort().get(0).longValue();
      if (hits.size() < pageSize || looked.size() >= MAX_CANDIDATE_TRACES) {
        break;
      }
      if (found.size() >= query.limit()
          && nth(found, query.limit()).startMicros() > pageLast) {
        break; // every trace not seen yet starts no later than pageLast
      }
      if (anyNew) {
        bound = pageLast; // again from there: parts sharing that start are told apart by ID
        size = Math.min(1000, size * 2);
      } else if (size < MAX_TRACE_DOCUMENTS) {
        size = MAX_TRACE_DOCUMENTS; // a page of parts all ending at one µs: a bigger page
      } else {
        bound = pageLast - 1;
      }
    }
    List<TraceSummary> out = new ArrayList<>(query.limit());
    for (TraceSummary s : found) {
      if (out.size() == query.limit()) {
        break;
      }
      out.add(s);
    }
    return out;
  }

  /**
   * As Elasticsearch sorts summaries: start descending, then trace ID (its hex) ascending, the
   * embedded store's order for traces starting in the same microsecond.
   */
  private static final Comparator<TraceSummary> NEWEST_FIRST = Comparator
      .comparingLong(TraceSummary::startMicros).reversed()
      .thenComparing(s -> s.traceId().hex());

  private static TraceSummary nth(TreeSet<TraceSummary> sorted, int n) {
    int i = 1;
    for (TraceSummary s : sorted) {
      if (i++ == n) {
        return s;
      }
    }
    throw new IllegalArgumentException("fewer than " + n);
  }

  /** One of the spans holds the service, the name and every tag (empty: any). */
  private static boolean holds(List<SpanRecord> spans, String service, String name,
      List<String> tags) {
    for (SpanRecord s : spans) {
      if ((service.isEmpty() || service.equals(EsSpanDocuments.term(s.service())))
          && (name.isEmpty() || name.equals(EsSpanDocuments.term(s.name())))
          && EsSpanDocuments.tags(s).containsAll(tags)) {
        return true;
      }
    }
    return false;
  }

  /** Service (with an operation or tags), operation and each tag: conditions on one span. */
  private static int spanConditions(TraceQuery query) {
    return (query.service().isEmpty() ? 0 : 1) + (query.operation().isEmpty() ? 0 : 1)
        + query.tags().size();
  }

  /** Parts holding every span-level value of the query (not necessarily on one span). */
  private static BoolQuery.Builder partConditions(TraceQuery query) {
    BoolQuery.Builder b = new BoolQuery.Builder();
    if (!query.service().isEmpty()) {
      b.filter(term("service", EsSpanDocuments.term(query.service())));
    }
    if (!query.operation().isEmpty()) {
      b.filter(term("name", EsSpanDocuments.term(query.operation())));
    }
    for (Map.Entry<String, String> tag : query.tags().entrySet()) {
      b.filter(term("tag", EsSpanDocuments.tag(tag.getKey(), tag.getValue())));
    }
    return b;
  }

  private static Query term(String field, String value) {
    return Query.of(q -> q.term(t -> t.field(field).value(value)));
  }

  @Override
  public List<String> services() throws StoreException {
    store.readable();
    SearchResponse<Void> r = spanAggregation("listing services", Query.of(q -> q.matchAll(m -> m)),
        "s", a -> a.terms(t -> t.field("service").size(MAX_NAMES)));
    List<String> out = new ArrayList<>();
    for (StringTermsBucket b : EsSummaries.buckets(r, "s")) {
      out.add(b.key().stringValue());
    }
    out.sort(null);
    return out;
  }

  @Override
  public List<Operation> operations(String service) throws StoreException {
    store.readable();
    // a part's (service, name, kind) triples of this service: the other services' are left out
    String head = EsSpanDocuments.op(service, "", "");
    head = head.substring(0, head.length() - 1);
    StringBuilder regex = new StringBuilder();
    // Lucene's regular expressions: a letter or digit after a backslash may name a class (\d),
    // so only the other characters are escaped
    head.codePoints().forEach(c -> (Character.isLetterOrDigit(c) ? regex : regex.append('\\'))
        .appendCodePoint(c));
    String include = regex.append(".*").toString();
    SearchResponse<Void> r = spanAggregation("listing operations",
        term("service", EsSpanDocuments.term(service)),
        "o", a -> a.terms(t -> t.field("op").size(MAX_NAMES).include(i -> i.regexp(include))));
    List<Operation> out = new ArrayList<>();
    for (StringTermsBucket o : EsSummaries.buckets(r, "o")) {
      String op = o.key().stringValue();
      if (!op.startsWith(head)) {
        continue;
      }
      int kind = op.lastIndexOf('\0');
      out.add(new Operation(op.substring(head.length(), kind),
          SpanKind.valueOf(op.substring(kind + 1))));
    }
    out.sort(Comparator.comparing(Operation::name).thenComparing(Operation::kind));
    return out;
  }

  /**
   * Whole minutes of the window from the dependency documents; the cut minutes at its edges from
   * the call spans themselves, so the window is exact to the µs and a long window reads one
   * document per minute and pair, not one per call.
   */
  @Override
  public List<DependencyLink> dependencies(long endMicros, long lookbackMicros)
      throws StoreException {
    store.readable();
    long from = endMicros - Math.max(0, lookbackMicros);
    long firstWhole = Math.floorDiv(from + MINUTE - 1, MINUTE) * MINUTE;
    long wholeEnd = Math.floorDiv(endMicros + 1, MINUTE) * MINUTE; // exclusive
    Map<String, long[]> sums = new TreeMap<>();
    List<long[]> edges = new ArrayList<>();
    if (firstWhole < wholeEnd) {
      Query minutes = Query.of(x -> x.range(r -> r.untyped(u -> u.field("minute")
          .gte(JsonData.of(firstWhole)).lt(JsonData.of(wholeEnd)))));
      SearchResponse<Void> r = client.call("reading dependencies", c -> c.search(s -> s
          .index(indices.pattern(EsIndices.DEP)).ignoreUnavailable(true).allowNoIndices(true)
          .size(0).query(minutes).aggregations("p", a -> a
              .terms(t -> t.field("parent").size(MAX_NAMES))
              .aggregations("c", c2 -> c2.terms(t -> t.field("child").size(MAX_NAMES))
                  .aggregations("calls", x -> x.sum(m -> m.field("calls")))
                  .aggregations("errors", x -> x.sum(m -> m.field("errors"))))), Void.class));
      for (StringTermsBucket p : EsSummaries.buckets(r, "p")) {
        for (StringTermsBucket c : p.aggregations().get("c").sterms().buckets().array()) {
          long[] sum = sums.computeIfAbsent(p.key().stringValue() + '\0' + c.key().stringValue(),
              k -> new long[2]);
          sum[0] += (long) c.aggregations().get("calls").sum().value();
          sum[1] += (long) c.aggregations().get("errors").sum().value();
        }
      }
      if (from < firstWhole) {
        edges.add(new long[] {from, firstWhole - 1});
      }
      if (wholeEnd <= endMicros) {
        edges.add(new long[] {wholeEnd, endMicros});
      }
    } else {
      edges.add(new long[] {from, endMicros});
    }
    if (!edges.isEmpty()) {
      countCalls(edges, sums);
    }
    List<DependencyLink> out = new ArrayList<>(sums.size());
    sums.forEach((k, v) -> {
      int z = k.indexOf('\0');
      out.add(new DependencyLink(k.substring(0, z), k.substring(z + 1), v[0], v[1]));
    });
    return out; // TreeMap order: parent, then child
  }

  /**
   * Adds the calls between services whose child span starts in one of the ranges (µs, inclusive),
   * read from the parts with calls and spans there, a page of parts at a time.
   */
  private void countCalls(List<long[]> ranges, Map<String, long[]> sums) throws StoreException {
    BoolQuery.Builder overlap = new BoolQuery.Builder().minimumShouldMatch("1");
    for (long[] range : ranges) {
      overlap.should(x -> x.bool(b -> b
          .filter(f -> f.range(r -> r.untyped(u -> u.field("start").lte(JsonData.of(range[1])))))
          .filter(f -> f.range(r -> r.untyped(u -> u.field("last")
              .gte(JsonData.of(range[0])))))));
    }
    BoolQuery parts = new BoolQuery.Builder()
        .filter(f -> f.term(t -> t.field("call").value(true)))
        .filter(f -> f.bool(overlap.build())).build();
    List<FieldValue> after = null;
    while (true) {
      List<FieldValue> resume = after;
      SearchResponse<Void> r = client.call("reading dependencies", c -> c.search(s -> {
        s.index(indices.pattern(EsIndices.SPAN)).ignoreUnavailable(true).allowNoIndices(true)
            .size(MAX_TRACE_DOCUMENTS).query(q -> q.bool(parts))
            .source(sc -> sc.fetch(false)).storedFields("data")
            .sort(o -> o.field(f -> f.field("last").order(SortOrder.Asc)))
            .sort(o -> o.field(f -> f.field("start").order(SortOrder.Asc)));
        if (resume != null) {
          s.searchAfter(resume);
        }
        return s;
      }, Void.class));
      List<Hit<Void>> hits = r.hits().hits();
      for (Hit<Void> h : hits) {
        for (EsCodec.Call call : EsCodec.part(EsSummaries.data(h), h.index() + "/" + h.id())
            .calls()) {
          SpanRecord child = call.child();
          for (long[] range : ranges) {
            if (child.startMicros() >= range[0] && child.startMicros() <= range[1]) {
              long[] sum = sums.computeIfAbsent(EsSpanDocuments.term(call.parentService())
                  + '\0' + EsSpanDocuments.term(child.service()), k -> new long[2]);
              sum[0]++;
              sum[1] += child.status() == StatusCode.ERROR ? 1 : 0;
            }
          }
        }
      }
      if (hits.size() < MAX_TRACE_DOCUMENTS) {
        return;
      }
      after = hits.get(hits.size() - 1).sort();
    }
  }

  /**
   * The aggregate documents of the minutes {@code [from, to)} touches (a minute is counted whole,
   * as the embedded store's per-minute counters are), at most {@link #MAX_AGGREGATE_DOCUMENTS}.
   */
  @Override
  public List<MinuteAggregate> aggregates(String service, String operation, long fromMicros,
      long toMicros) throws StoreException {
    store.readable();
    if (toMicros <= fromMicros) {
      return List.of();
    }
    Query q = Query.of(x -> x.bool(b -> {
      b.filter(term("service", EsSpanDocuments.term(service)));
      if (!operation.isEmpty()) {
        b.filter(term("operation", EsSpanDocuments.term(operation)));
      }
      return b.filter(f -> f.range(r -> r.untyped(u -> u.field("minute")
          .gte(JsonData.of(Math.floorDiv(fromMicros, MINUTE) * MINUTE))
          .lt(JsonData.of(toMicros)))));
    }));
    SearchResponse<Map> r = client.call("reading aggregates", c -> c.search(s -> s
        .index(indices.pattern(EsIndices.AGG)).ignoreUnavailable(true).allowNoIndices(true)
        .size(MAX_AGGREGATE_DOCUMENTS).query(q), Map.class));
    List<MinuteAggregate> out = new ArrayList<>();
    for (Hit<Map> h : r.hits().hits()) {
      out.add(EsRollups.aggregate(service, h.source()));
    }
    out.sort(Comparator.comparing(MinuteAggregate::operation)
        .thenComparingLong(MinuteAggregate::minuteMicros));
    return out;
  }

  private SearchResponse<Void> spanAggregation(String what, Query query, String name,
      java.util.function.Function<co.elastic.clients.elasticsearch._types.aggregations.Aggregation.Builder,
          co.elastic.clients.util.ObjectBuilder<co.elastic.clients.elasticsearch._types.aggregations.Aggregation>> agg)
      throws StoreException {
    return client.call(what, c -> c.search(s -> s
        .index(indices.pattern(EsIndices.SPAN)).ignoreUnavailable(true).allowNoIndices(true)
        .size(0).query(query).aggregations(name, agg), Void.class));
  }
}
