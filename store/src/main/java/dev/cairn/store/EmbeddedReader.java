package dev.cairn.store;

import static dev.cairn.store.Fields.*;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.MultiBits;
import org.apache.lucene.index.MultiTerms;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.CollectorManager;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/** The embedded store's queries, each on one point-in-time searcher. */
final class EmbeddedReader implements SpanReader {
  private static final Comparator<SpanRecord> SPAN_ORDER = Comparator
      .comparingLong(SpanRecord::startMicros)
      .thenComparing(SpanRecord::spanId, Long::compareUnsigned);
  private static final Comparator<LogRecord> LOG_ORDER = Comparator
      .comparingLong(LogRecord::timeMicros)
      .thenComparing(LogRecord::spanId, Long::compareUnsigned);

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
    String hex = traceId.hex();
    return read("trace " + hex, s -> {
      Query q = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(TRACE, hex)), Occur.FILTER)
          .add(new TermQuery(new Term(TYPE, TYPE_TRACE)), Occur.MUST_NOT)
          .build();
      List<SpanRecord> spans = new ArrayList<>();
      List<LogRecord> logs = new ArrayList<>();
      for (ScoreDoc d : all(s, q)) {
        Object o = EmbeddedCodec.decode(s.storedFields().document(d.doc, Set.of(DATA))
            .getBinaryValue(DATA));
        if (o instanceof SpanRecord span) {
          spans.add(span);
        } else {
          logs.add((LogRecord) o);
        }
      }
      if (spans.isEmpty() && logs.isEmpty()) {
        return Optional.empty();
      }
      spans.sort(SPAN_ORDER);
      logs.sort(LOG_ORDER);
      BytesRef data = EmbeddedIndexer.storedData(s.getIndexReader(), "t" + hex);
      TraceSummary summary = data != null ? EmbeddedCodec.summary(data)
          : EmbeddedIndexer.summarize(traceId, spans, false, List.of());
      return Optional.of(new Trace(summary, spans, logs));
    });
  }

  @Override
  public List<TraceSummary> findTraces(TraceQuery query) throws StoreException {
    return read("trace search", s -> {
      BooleanQuery.Builder q = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(TYPE, TYPE_TRACE)), Occur.FILTER)
          .add(LongPoint.newRangeQuery(TRACE_SPANS, 1, Long.MAX_VALUE), Occur.FILTER)
          .add(LongPoint.newRangeQuery(TRACE_START, query.startFromMicros(), query.startToMicros()),
              Occur.FILTER);
      if (query.minDurationMicros() > 0 || query.maxDurationMicros() > 0) {
        long max = query.maxDurationMicros() > 0 ? query.maxDurationMicros() : Long.MAX_VALUE;
        q.add(LongPoint.newRangeQuery(TRACE_DURATION, query.minDurationMicros(), max), Occur.FILTER);
      }
      if (query.errorOnly()) {
        q.add(new TermQuery(new Term(TRACE_ERROR, "true")), Occur.FILTER);
      }
      boolean spanLevel = !query.operation().isEmpty() || !query.tags().isEmpty();
      if (!spanLevel && !query.service().isEmpty()) {
        // "a span of the service" is "the service is among the trace's services": summaries only
        q.add(new TermQuery(new Term(TRACE_SERVICE, term(query.service()))), Occur.FILTER);
      }
      if (spanLevel) {
        Set<BytesRef> traces = matchingTraces(s, query);
        if (traces.isEmpty()) {
          return List.of();
        }
        q.add(new TermInSetQuery(TRACE, traces), Occur.FILTER);
      }
      Sort newestFirst = new Sort(new SortField(TRACE_START, SortField.Type.LONG, true),
          new SortField(TRACE_DV, SortField.Type.STRING));
      TopDocs top = s.search(q.build(), query.limit(), newestFirst);
      List<TraceSummary> out = new ArrayList<>(top.scoreDocs.length);
      for (ScoreDoc d : top.scoreDocs) {
        out.add(EmbeddedCodec.summary(s.storedFields().document(d.doc, Set.of(DATA))
            .getBinaryValue(DATA)));
      }
      return out;
    });
  }

  /**
   * Trace IDs of the spans matching service, operation and tags together. A span of a trace that
   * started in [from, to] started at or after from, and, when the trace lasts at most max, at or
   * before to + max: both narrow the span search.
   */
  private static Set<BytesRef> matchingTraces(IndexSearcher s, TraceQuery query) throws IOException {
    BooleanQuery.Builder q = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TYPE, TYPE_SPAN)), Occur.FILTER);
    if (!query.service().isEmpty()) {
      q.add(new TermQuery(new Term(SPAN_SERVICE, term(query.service()))), Occur.FILTER);
    }
    if (!query.operation().isEmpty()) {
      q.add(new TermQuery(new Term(SPAN_NAME, term(query.operation()))), Occur.FILTER);
    }
    for (Map.Entry<String, String> tag : query.tags().entrySet()) {
      q.add(new TermQuery(new Term(SPAN_TAG, EmbeddedIndexer.tagTerm(tag.getKey(), tag.getValue()))),
          Occur.FILTER);
    }
    long latest = query.maxDurationMicros() > 0
        ? saturatedAdd(query.startToMicros(), query.maxDurationMicros()) : Long.MAX_VALUE;
    q.add(LongPoint.newRangeQuery(SPAN_START, query.startFromMicros(), latest), Occur.FILTER);
    return s.search(q.build(), new TraceIdCollector());
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /** Collects the distinct trace IDs (hex) of the hits from the {@link Fields#TRACE_DV} doc values. */
  private static final class TraceIdCollector
      implements CollectorManager<TraceIdCollector.Leaf, Set<BytesRef>> {
    @Override
    public Leaf newCollector() {
      return new Leaf();
    }

    @Override
    public Set<BytesRef> reduce(Collection<Leaf> collectors) {
      Set<BytesRef> all = new HashSet<>();
      for (Leaf l : collectors) {
        all.addAll(l.ids);
      }
      return all;
    }

    static final class Leaf extends SimpleCollector {
      final Set<BytesRef> ids = new HashSet<>();
      private SortedDocValues values;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        values = context.reader().getSortedDocValues(TRACE_DV);
      }

      @Override
      public void collect(int doc) throws IOException {
        if (values != null && values.advanceExact(doc)) {
          ids.add(BytesRef.deepCopyOf(values.lookupOrd(values.ordValue())));
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
      BooleanQuery.Builder edges = new BooleanQuery.Builder()
          .add(new TermQuery(new Term(TYPE, TYPE_SPAN)), Occur.FILTER)
          .add(new TermQuery(new Term(SPAN_DEPENDENCY, "1")), Occur.FILTER);
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
        edges.add(new BooleanQuery.Builder()
            .add(LongPoint.newRangeQuery(SPAN_START, from, firstWhole - 1), Occur.SHOULD)
            .add(LongPoint.newRangeQuery(SPAN_START, wholeEnd, endMicros), Occur.SHOULD)
            .build(), Occur.FILTER);
      } else {
        edges.add(LongPoint.newRangeQuery(SPAN_START, from, endMicros), Occur.FILTER);
      }
      Map<String, long[]> spans = s.search(edges.build(), new CallCounter());
      spans.forEach((k, v) -> {
        long[] sum = sums.computeIfAbsent(k, x -> new long[2]);
        sum[0] += v[0];
        sum[1] += v[1];
      });
      List<DependencyLink> out = new ArrayList<>(sums.size());
      sums.forEach((k, v) -> {
        int z = k.indexOf('\0');
        out.add(new DependencyLink(k.substring(0, z), k.substring(z + 1), v[0], v[1]));
      });
      out.sort(Comparator.comparing(DependencyLink::parent).thenComparing(DependencyLink::child));
      return out;
    });
  }

  /** Counts call spans (and their errors) per parent \0 child pair from doc values. */
  private static final class CallCounter
      implements CollectorManager<CallCounter.Leaf, Map<String, long[]>> {
    @Override
    public Leaf newCollector() {
      return new Leaf();
    }

    @Override
    public Map<String, long[]> reduce(Collection<Leaf> collectors) throws IOException {
      Map<String, long[]> all = new TreeMap<>();
      for (Leaf l : collectors) {
        l.flush();
        l.counts.forEach((k, v) -> {
          long[] sum = all.computeIfAbsent(k, x -> new long[2]);
          sum[0] += v[0];
          sum[1] += v[1];
        });
      }
      return all;
    }

    static final class Leaf extends SimpleCollector {
      final Map<String, long[]> counts = new TreeMap<>();
      // per segment by ordinal; names are looked up once per pair and segment
      private final Map<Integer, long[]> byOrd = new HashMap<>();
      private SortedDocValues pairs;
      private NumericDocValues errors;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        flush();
        pairs = context.reader().getSortedDocValues(SPAN_DEPENDENCY_PAIR);
        errors = context.reader().getNumericDocValues(SPAN_DEPENDENCY_ERROR);
      }

      @Override
      public void collect(int doc) throws IOException {
        if (pairs == null || !pairs.advanceExact(doc)) {
          return;
        }
        long[] c = byOrd.computeIfAbsent(pairs.ordValue(), k -> new long[2]);
        c[0]++;
        if (errors != null && errors.advanceExact(doc) && errors.longValue() == 1) {
          c[1]++;
        }
      }

      void flush() throws IOException {
        for (Map.Entry<Integer, long[]> e : byOrd.entrySet()) {
          long[] sum = counts.computeIfAbsent(pairs.lookupOrd(e.getKey()).utf8ToString(),
              k -> new long[2]);
          sum[0] += e.getValue()[0];
          sum[1] += e.getValue()[1];
        }
        byOrd.clear();
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
