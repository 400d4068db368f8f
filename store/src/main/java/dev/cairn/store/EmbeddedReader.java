package dev.cairn.store;

import static dev.cairn.store.Fields.*;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiBits;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PointValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.IndexOrDocValuesQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/** The embedded store's queries, each on one point-in-time searcher. */
final class EmbeddedReader implements SpanReader {
  /** Where point-in-time searchers come from: the writing store, or a read-only opening. */
  interface Searchers {
    IndexSearcher acquire() throws StoreException;

    void release(IndexSearcher s);
  }

  private final Searchers store;

  EmbeddedReader(EmbeddedSpanStore store) {
    this(new Searchers() {
      @Override
      public IndexSearcher acquire() throws StoreException {
        return store.acquire();
      }

      @Override
      public void release(IndexSearcher s) {
        store.release(s);
      }
    });
  }

  EmbeddedReader(Searchers searchers) {
    this.store = searchers;
  }

  private interface Read<T> {
    T on(IndexSearcher s) throws IOException, StoreException;
  }

  private <T> T read(String what, Read<T> r) throws StoreException {
    IndexSearcher s = store.acquire();
    try {
      return r.on(s);
    } catch (IOException | RuntimeException e) {
      throw new StoreException(what + " failed: " + e.getMessage(), e);
    } finally {
      store.release(s);
    }
  }

  @Override
  public Optional<Trace> trace(TraceId traceId) throws StoreException {
    return read("trace " + traceId.hex(), s -> {
      List<SpanRecord> spans = new ArrayList<>();
      List<LogRecord> logs = new ArrayList<>();
      for (BytesRef block : EmbeddedIndexer.partBlocks(s, traceId)) {
        EmbeddedCodec.decode(block, spans::add, logs::add);
      }
      if (spans.isEmpty() && logs.isEmpty()) {
        return Optional.empty();
      }
      BytesRef data = EmbeddedIndexer.storedData(s.getIndexReader(), summaryId(traceId));
      TraceSummary summary = data != null ? EmbeddedCodec.summary(data)
          : EmbeddedSummary.of(traceId, spans);
      return Optional.of(new Trace(summary, spans, logs));
    });
  }

  @Override
  public List<TraceSummary> findTraces(TraceQuery query) throws StoreException {
    return read("trace search", s -> {
      if (!query.operation().isEmpty() || !query.tags().isEmpty()) {
        return newestMatching(s, query);
      }
      BooleanQuery.Builder q = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(TYPE, TYPE_TRACE)), Occur.FILTER)
          .add(new TermQuery(new Term(TRACE_NO_SPANS, "true")), Occur.MUST_NOT);
      long max = query.maxDurationMicros() > 0 ? query.maxDurationMicros() : Long.MAX_VALUE;
      filter(q, range(TRACE_DURATION, query.minDurationMicros(), max));
      if (query.errorOnly()) {
        q.add(new TermQuery(new Term(TRACE_ERROR, "true")), Occur.FILTER);
      }
      if (!query.service().isEmpty()) {
        // "a span of the service" is "the service is among the trace's services": summaries only
        q.add(new TermQuery(new Term(TRACE_SERVICE, term(query.service()))), Occur.FILTER);
      }
      List<TraceSummary> out = new ArrayList<>();
      for (ScoreDoc d : newest(s, q.build(), query)) {
        out.add(summaryOf(s, d.doc));
      }
      return out;
    });
  }

  /** Trace IDs in the order of their hex form. */
  private static final Comparator<TraceId> HEX_ORDER = Comparator
      .<TraceId>comparingLong(t -> t.high() ^ Long.MIN_VALUE)
      .thenComparingLong(t -> t.low() ^ Long.MIN_VALUE);

  private static final Comparator<TraceSummary> NEWEST = Comparator
      .comparingLong(TraceSummary::startMicros).reversed()
      .thenComparing(TraceSummary::traceId, HEX_ORDER);

  /**
   * The newest traces with a part matching the span-level conditions and a summary matching the
   * trace-level ones. A trace starts at or before the earliest start of its matching parts, so
   * candidates are read newest bound first, each summary by its ID, until no bound left can beat
   * the limit-th trace found: the cost follows the limit, not the number of candidates.
   */
  private static List<TraceSummary> newestMatching(IndexSearcher s, TraceQuery query)
      throws IOException, StoreException {
    Map<TraceId, Long> bounds = matchingTraces(s, query);
    List<Map.Entry<TraceId, Long>> candidates = new ArrayList<>(bounds.entrySet());
    candidates.sort(Map.Entry.<TraceId, Long>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey(HEX_ORDER)));
    // a part holds each value once, so with two or more span conditions a part can match
    // without one span matching them all; and a tag is found by its hash: those traces are
    // checked on their spans
    boolean check = spanConditions(query) > 1 || !query.tags().isEmpty();
    List<TraceSummary> out = new ArrayList<>();
    for (Map.Entry<TraceId, Long> c : candidates) {
      if (out.size() == query.limit() && c.getValue() < out.get(out.size() - 1).startMicros()) {
        break;
      }
      BytesRef data = EmbeddedIndexer.storedData(s.getIndexReader(), summaryId(c.getKey()));
      if (data == null) {
        continue;
      }
      TraceSummary summary = EmbeddedCodec.summary(data);
      if (!summaryMatches(summary, query) || (check && !oneSpanMatches(s, c.getKey(), query))) {
        continue;
      }
      int at = Collections.binarySearch(out, summary, NEWEST);
      out.add(at < 0 ? -at - 1 : at, summary);
      if (out.size() > query.limit()) {
        out.remove(out.size() - 1);
      }
    }
    return out;
  }

  /** The trace-level conditions, on a summary (bounds inclusive). */
  private static boolean summaryMatches(TraceSummary t, TraceQuery query) {
    long max = query.maxDurationMicros() > 0 ? query.maxDurationMicros() : Long.MAX_VALUE;
    return t.spanCount() > 0
        && t.startMicros() >= query.startFromMicros() && t.startMicros() <= query.startToMicros()
        && t.durationMicros() >= query.minDurationMicros() && t.durationMicros() <= max
        && (!query.errorOnly() || t.error());
  }

  private static final Sort NEWEST_FIRST = new Sort(
      new SortField(TRACE_START, SortField.Type.LONG, true),
      new SortField(TRACE_HIGH, SortField.Type.LONG), new SortField(TRACE_LOW, SortField.Type.LONG));

  /**
   * The newest {@code limit} summaries matching {@code q} that started in the query's range. Sorting
   * every match costs in proportion to the store's size, so the search looks at the last minute
   * of starts first, then a window eight times wider, until it has enough or the whole range: the
   * newest traces are the last ones in.
   */
  private static ScoreDoc[] newest(IndexSearcher s, Query q, TraceQuery query) throws IOException {
    long lo = query.startFromMicros();
    long hi = Math.min(query.startToMicros(), latestStart(s));
    long width = MINUTE_MICROS;
    while (true) {
      long from = hi - width > lo && hi - width < hi ? hi - width : lo;
      BooleanQuery.Builder b = new BooleanQuery.Builder().add(q, Occur.FILTER);
      filter(b, range(TRACE_START, from, query.startToMicros()));
      TopDocs top = s.search(b.build(), query.limit(), NEWEST_FIRST);
      if (top.scoreDocs.length >= query.limit() || from == lo) {
        return top.scoreDocs;
      }
      width = width > Long.MAX_VALUE / 8 ? Long.MAX_VALUE : width * 8;
    }
  }

  /** The latest trace start in the index (deleted summaries included), 0 when there is none. */
  private static long latestStart(IndexSearcher s) throws IOException {
    long max = 0;
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      PointValues points = ctx.reader().getPointValues(TRACE_START);
      if (points != null && points.size() > 0) {
        max = Math.max(max, LongPoint.decodeDimension(points.getMaxPackedValue(), 0));
      }
    }
    return max;
  }

  private static TraceSummary summaryOf(IndexSearcher s, int doc) throws IOException {
    return EmbeddedCodec.summary(s.storedFields().document(doc, Set.of(DATA)).getBinaryValue(DATA));
  }

  /** Span-level conditions; service and operation together are one term. */
  private static int spanConditions(TraceQuery query) {
    int n = query.tags().size();
    if (!query.operation().isEmpty() || !query.service().isEmpty()) {
      n++;
    }
    return n;
  }

  private static boolean oneSpanMatches(IndexSearcher s, TraceId trace, TraceQuery query)
      throws IOException, StoreException {
    long latest = latestSpanStart(query);
    for (BytesRef block : EmbeddedIndexer.partBlocks(s, trace)) {
      for (SpanRecord span : EmbeddedCodec.spans(block)) {
        if (span.startMicros() >= query.startFromMicros() && span.startMicros() <= latest
            && matches(span, query)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Service, operation and every tag on this one span, compared as they are indexed. */
  private static boolean matches(SpanRecord span, TraceQuery query) {
    if (!query.service().isEmpty() && !term(span.service()).equals(term(query.service()))) {
      return false;
    }
    if (!query.operation().isEmpty() && !term(span.name()).equals(term(query.operation()))) {
      return false;
    }
    for (Map.Entry<String, String> tag : query.tags().entrySet()) {
      String wanted = tagText(tag.getKey(), tag.getValue());
      boolean found = false;
      for (Attribute a : span.attributes()) {
        if (a.value() instanceof List<?> list) {
          for (Object v : list) {
            found |= tagText(a.key(), String.valueOf(v)).equals(wanted);
          }
        } else {
          found |= tagText(a.key(), String.valueOf(a.value())).equals(wanted);
        }
        if (found) {
          break;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  /**
   * A span of a trace that started in [from, to] started at or after from, and, when the trace
   * lasts at most max, at or before to + max.
   */
  private static long latestSpanStart(TraceQuery query) {
    return query.maxDurationMicros() > 0
        ? saturatedAdd(query.startToMicros(), query.maxDurationMicros()) : Long.MAX_VALUE;
  }

  /**
   * The traces of the parts holding service, operation and tags (not necessarily on one span),
   * narrowed to parts with spans in the time the query allows, each with the earliest start of
   * its matching parts.
   */
  private static Map<TraceId, Long> matchingTraces(IndexSearcher s, TraceQuery query)
      throws IOException {
    BooleanQuery.Builder q = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TYPE, TYPE_PART)), Occur.FILTER);
    if (!query.service().isEmpty() && !query.operation().isEmpty()) {
      q.add(new PrefixQuery(new Term(SPAN_OPERATION,
          term(query.service()) + '\0' + term(query.operation()) + '\0')), Occur.FILTER);
    } else if (!query.service().isEmpty()) {
      q.add(new TermQuery(new Term(SPAN_SERVICE, term(query.service()))), Occur.FILTER);
    } else if (!query.operation().isEmpty()) {
      q.add(new TermQuery(new Term(SPAN_NAME, term(query.operation()))), Occur.FILTER);
    }
    for (Map.Entry<String, String> tag : query.tags().entrySet()) {
      q.add(new TermQuery(new Term(SPAN_TAG, tagTerm(tag.getKey(), tag.getValue()))),
          Occur.FILTER);
    }
    filter(q, range(PART_LAST, query.startFromMicros(), Long.MAX_VALUE));
    filter(q, range(PART_FIRST, 0, latestSpanStart(query)));
    return s.search(q.build(), new TraceIdCollector());
  }

  /**
   * A range on a long field indexed both as points and as doc values, or null when it excludes
   * nothing (times and durations are never negative). Lucene picks the points to lead a search,
   * or the doc values to check the few documents another condition found: a range over points
   * alone costs a walk over every document of the range in each segment, whatever else matches.
   */
  static Query range(String field, long from, long to) {
    if (from <= 0 && to == Long.MAX_VALUE) {
      return null;
    }
    return new IndexOrDocValuesQuery(LongPoint.newRangeQuery(field, from, to),
        NumericDocValuesField.newSlowRangeQuery(field, from, to));
  }

  private static void filter(BooleanQuery.Builder q, Query clause) {
    if (clause != null) {
      q.add(clause, Occur.FILTER);
    }
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /** Collects the trace IDs (hex) of the hits with the earliest {@link Fields#PART_FIRST} of each. */
  private static final class TraceIdCollector
      implements CollectorManager<TraceIdCollector.Leaf, Map<TraceId, Long>> {
    @Override
    public Leaf newCollector() {
      return new Leaf();
    }

    @Override
    public Map<TraceId, Long> reduce(Collection<Leaf> collectors) {
      Map<TraceId, Long> all = new HashMap<>();
      for (Leaf l : collectors) {
        l.first.forEach((k, v) -> all.merge(k, v, Math::min));
      }
      return all;
    }

    static final class Leaf extends SimpleCollector {
      final Map<TraceId, Long> first = new HashMap<>();
      private TraceIds ids;
      private NumericDocValues firsts;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        ids = new TraceIds(context.reader());
        firsts = context.reader().getNumericDocValues(PART_FIRST);
      }

      @Override
      public void collect(int doc) throws IOException {
        TraceId id = ids.of(doc);
        if (id != null && firsts != null && firsts.advanceExact(doc)) {
          first.merge(id, firsts.longValue(), Math::min);
        }
      }

      @Override
      public ScoreMode scoreMode() {
        return ScoreMode.COMPLETE_NO_SCORES;
      }
    }
  }

  @Override
  public List<String> services() throws StoreException {
    return read("services", s -> {
      List<String> out = new ArrayList<>();
      forLiveTerms(s.getIndexReader(), SPAN_SERVICE, "", t -> out.add(t));
      out.sort(Comparator.naturalOrder());
      return out;
    });
  }

  @Override
  public List<Operation> operations(String service) throws StoreException {
    String prefix = term(service) + '\0';
    return read("operations of " + service, s -> {
      List<Operation> out = new ArrayList<>();
      forLiveTerms(s.getIndexReader(), SPAN_OPERATION, prefix, t -> {
        int k = t.lastIndexOf('\0');
        out.add(new Operation(t.substring(prefix.length(), k),
            SpanKind.ofCode(Integer.parseInt(t.substring(k + 1)))));
      });
      out.sort(Comparator.comparing(Operation::name).thenComparing(Operation::kind));
      return out;
    });
  }

  private interface TermConsumer {
    void accept(String term);
  }

  /** Terms of {@code field} starting with {@code prefix} that at least one live document has. */
  private static void forLiveTerms(IndexReader reader, String field, String prefix, TermConsumer c)
      throws IOException {
    Terms terms = MultiTerms.getTerms(reader, field);
    if (terms == null) {
      return;
    }
    Bits live = MultiBits.getLiveDocs(reader);
    TermsEnum te = terms.iterator();
    BytesRef p = new BytesRef(prefix);
    if (te.seekCeil(p) == TermsEnum.SeekStatus.END) {
      return;
    }
    PostingsEnum pe = null;
    for (BytesRef t = te.term(); t != null; t = te.next()) {
      if (!startsWith(t, p)) {
        break;
      }
      pe = te.postings(pe, PostingsEnum.NONE);
      for (int d = pe.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = pe.nextDoc()) {
        if (live == null || live.get(d)) {
          c.accept(t.utf8ToString());
          break;
        }
      }
    }
  }

  private static boolean startsWith(BytesRef t, BytesRef prefix) {
    if (t.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (t.bytes[t.offset + i] != prefix.bytes[prefix.offset + i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whole minutes inside the window come from the per-minute counters; the cut minutes at its
   * edges from the call spans themselves, so the window is exact to the µs and a long window reads
   * one document per minute and pair, not one per call.
   */
  @Override
  public List<DependencyLink> dependencies(long endMicros, long lookbackMicros)
      throws StoreException {
    long from = endMicros - Math.max(0, lookbackMicros);
    long firstWhole = minuteOf(from + MINUTE_MICROS - 1);
    long wholeEnd = minuteOf(endMicros + 1); // exclusive
    return read("dependencies", s -> {
      Map<String, long[]> sums = new TreeMap<>(); // parent \0 child -> calls, errors
      // the cut minutes at the edges: calls of the parts with spans there, by their own start
      List<long[]> edges = new ArrayList<>(); // [from, to] inclusive
      if (firstWhole < wholeEnd) {
        Query minutes = new BooleanQuery.Builder()
            .add(new TermQuery(new Term(TYPE, TYPE_DEPENDENCY)), Occur.FILTER)
            .add(LongPoint.newRangeQuery(MINUTE, firstWhole, wholeEnd - 1), Occur.FILTER)
            .build();
        for (ScoreDoc d : all(s, minutes)) {
          EmbeddedCodec.Dependency dep = EmbeddedCodec.dependency(
              s.storedFields().document(d.doc, Set.of(DATA)).getBinaryValue(DATA));
          long[] sum = sums.computeIfAbsent(
              EmbeddedIndexer.dependencyPair(dep.parent(), dep.child()), k -> new long[2]);
          sum[0] += dep.calls();
          sum[1] += dep.errors();
        }
        if (from <= firstWhole - 1) {
          edges.add(new long[] {from, firstWhole - 1});
        }
        if (wholeEnd <= endMicros) {
          edges.add(new long[] {wholeEnd, endMicros});
        }
      } else {
        edges.add(new long[] {from, endMicros});
      }
      for (long[] edge : edges) {
        Query parts = new BooleanQuery.Builder()
            .add(new TermQuery(new Term(TYPE, TYPE_PART)), Occur.FILTER)
            .add(new TermQuery(new Term(SPAN_DEPENDENCY, "1")), Occur.FILTER)
            .add(range(PART_LAST, edge[0], Long.MAX_VALUE), Occur.FILTER)
            .add(range(PART_FIRST, 0, edge[1]), Occur.FILTER)
            .build();
        s.search(parts, new CallCounter(edge[0], edge[1])).forEach((k, v) -> {
          long[] sum = sums.computeIfAbsent(k, x -> new long[2]);
          sum[0] += v[0];
          sum[1] += v[1];
        });
      }
      List<DependencyLink> out = new ArrayList<>(sums.size());
      sums.forEach((k, v) -> {
        int z = k.indexOf('\0');
        out.add(new DependencyLink(k.substring(0, z), k.substring(z + 1), v[0], v[1]));
      });
      out.sort(Comparator.comparing(DependencyLink::parent).thenComparing(DependencyLink::child));
      return out;
    });
  }

  /** Counts the calls (and their errors) starting in [from, to] per parent \0 child pair. */
  private static final class CallCounter
      implements CollectorManager<CallCounter.Leaf, Map<String, long[]>> {
    private final long from;
    private final long to;

    CallCounter(long from, long to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public Leaf newCollector() {
      return new Leaf();
    }

    @Override
    public Map<String, long[]> reduce(Collection<Leaf> collectors) {
      Map<String, long[]> all = new TreeMap<>();
      for (Leaf l : collectors) {
        l.counts.forEach((k, v) -> {
          long[] sum = all.computeIfAbsent(k, x -> new long[2]);
          sum[0] += v[0];
          sum[1] += v[1];
        });
      }
      return all;
    }

    final class Leaf extends SimpleCollector {
      final Map<String, long[]> counts = new HashMap<>();
      private BinaryDocValues calls;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        calls = context.reader().getBinaryDocValues(PART_CALLS);
      }

      @Override
      public void collect(int doc) throws IOException {
        if (calls == null || !calls.advanceExact(doc)) {
          return;
        }
        for (EmbeddedCodec.Call c : EmbeddedCodec.calls(calls.binaryValue())) {
          if (c.startMicros() >= from && c.startMicros() <= to) {
            long[] sum = counts.computeIfAbsent(c.pair(), k -> new long[2]);
            sum[0]++;
            if (c.error()) {
              sum[1]++;
            }
          }
        }
      }

      @Override
      public ScoreMode scoreMode() {
        return ScoreMode.COMPLETE_NO_SCORES;
      }
    }
  }

  @Override
  public List<MinuteAggregate> aggregates(String service, String operation, long fromMicros,
      long toMicros) throws StoreException {
    if (toMicros <= fromMicros) {
      return List.of();
    }
    return read("aggregates of " + service, s -> {
      BooleanQuery.Builder q = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(TYPE, TYPE_AGGREGATE)), Occur.FILTER)
          .add(new TermQuery(new Term(COUNTER_SERVICE, term(service))), Occur.FILTER)
          // minutes overlapping [from, to)
          .add(LongPoint.newRangeQuery(MINUTE, minuteOf(fromMicros), toMicros - 1), Occur.FILTER);
      if (!operation.isEmpty()) {
        q.add(new TermQuery(new Term(COUNTER_OPERATION, term(operation))), Occur.FILTER);
      }
      List<MinuteAggregate> out = new ArrayList<>();
      for (ScoreDoc d : all(s, q.build())) {
        EmbeddedCodec.Aggregate a = EmbeddedCodec.aggregate(
            s.storedFields().document(d.doc, Set.of(DATA)).getBinaryValue(DATA));
        if (!a.service().equals(service) || (!operation.isEmpty() && !a.operation().equals(operation))) {
          continue; // a long name that only matched by its indexed prefix
        }
        LatencyHistogram h = a.latency();
        out.add(new MinuteAggregate(a.service(), a.operation(), a.minute(), h.count(), a.errors(),
            h.percentile(0.50), h.percentile(0.95), h.percentile(0.99), h.max()));
      }
      out.sort(Comparator.comparing(MinuteAggregate::operation)
          .thenComparingLong(MinuteAggregate::minuteMicros));
      return out;
    });
  }

  private static ScoreDoc[] all(IndexSearcher s, Query q) throws IOException {
    int n = s.count(q);
    if (n == 0) {
      return new ScoreDoc[0];
    }
    return s.search(q, n).scoreDocs;
  }
}
