package dev.cairn.store;

import static dev.cairn.store.Fields.*;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * Applies a group of write batches to the index writer, on the store's writer thread only. New
 * documents are added as the batches are read; summaries and counters are computed over the whole
 * group (from the index as last committed plus the group's new spans) and written once at the end.
 * The caller commits. Any exception leaves the writer with uncommitted changes the caller must roll
 * back.
 */
final class EmbeddedIndexer {
  private final IndexWriter writer;
  private final IndexSearcher searcher;
  private final EmbeddedCodec codec;
  private final MessageDigest sha256;

  private final Set<String> newIds = new HashSet<>();
  private final Map<String, Boolean> traceInIndex = new HashMap<>();
  private final Map<TraceId, List<SpanRecord>> newSpans = new LinkedHashMap<>();
  private final Map<TraceId, TraceNote> notes = new LinkedHashMap<>();
  private final Map<String, EmbeddedCodec.Dependency> dependencies = new HashMap<>();
  private final Map<String, EmbeddedCodec.Aggregate> aggregates = new HashMap<>();

  EmbeddedIndexer(IndexWriter writer, IndexSearcher searcher, EmbeddedCodec codec) {
    this.writer = writer;
    this.searcher = searcher;
    this.codec = codec;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** A batch's documents, encoded before anything of it reaches the writer. */
  static final class Prepared {
    final WriteBatch batch;
    final List<byte[]> spanBytes = new ArrayList<>();
    final List<byte[]> logBytes = new ArrayList<>();

    Prepared(WriteBatch batch) {
      this.batch = batch;
    }
  }

  /**
   * Encodes a batch; fails (touching nothing) when a span or log line cannot be encoded, so one bad
   * batch never leaves half of itself in the writer.
   */
  Prepared prepare(WriteBatch batch) throws StoreException {
    Prepared p = new Prepared(batch);
    for (StoredSpan s : batch.spans()) {
      byte[] b = codec.encode(s.span());
      if (b == null) {
        throw new StoreException("span " + s.span().traceIdHex() + "/" + s.span().spanIdHex()
            + " cannot be encoded (a record is at most 1 MiB, docs/format.md): batch not stored");
      }
      p.spanBytes.add(b);
    }
    for (LogRecord l : batch.logs()) {
      byte[] b = codec.encode(l);
      if (b == null) {
        throw new StoreException("log line of trace " + l.traceIdHex()
            + " cannot be encoded (a record is at most 1 MiB): batch not stored");
      }
      p.logBytes.add(b);
    }
    return p;
  }

  /** Adds the new spans and log lines of a prepared batch. */
  WriteResult add(Prepared p) throws IOException {
    int stored = 0;
    int present = 0;
    int logs = 0;
    List<StoredSpan> spans = p.batch.spans();
    for (int i = 0; i < spans.size(); i++) {
      StoredSpan s = spans.get(i);
      SpanRecord span = s.span();
      String id = "s" + span.traceIdHex() + span.spanIdHex();
      if (!newIds.add(id)
          || (inIndex(span.traceIdHex()) && exists(searcher.getIndexReader(), ID, new BytesRef(id)))) {
        present++;
        continue;
      }
      writer.addDocument(spanDocument(id, s, p.spanBytes.get(i)));
      newSpans.computeIfAbsent(TraceId.of(span), t -> new ArrayList<>()).add(span);
      count(s);
      stored++;
    }
    List<LogRecord> logList = p.batch.logs();
    for (int i = 0; i < logList.size(); i++) {
      LogRecord l = logList.get(i);
      String id = logId(l);
      if (!newIds.add(id) || exists(searcher.getIndexReader(), ID, new BytesRef(id))) {
        continue;
      }
      writer.addDocument(logDocument(id, l, p.logBytes.get(i)));
      logs++;
    }
    for (TraceNote n : p.batch.notes()) {
      notes.remove(n.traceId()); // keep the latest note last
      notes.put(n.traceId(), n);
    }
    return new WriteResult(stored, present, logs);
  }

  /**
   * Whether the index holds anything of the trace: when not (the common case, a puller writes whole
   * new traces), its spans need no lookup one by one and its summary starts from nothing.
   */
  private boolean inIndex(String traceHex) throws IOException {
    Boolean known = traceInIndex.get(traceHex);
    if (known == null) {
      known = exists(searcher.getIndexReader(), TRACE, new BytesRef(traceHex));
      traceInIndex.put(traceHex, known);
    }
    return known;
  }

  /** Writes the summaries of the touched traces and the changed counters. */
  void finish() throws IOException, StoreException {
    Set<TraceId> touched = new HashSet<>(newSpans.keySet());
    touched.addAll(notes.keySet());
    for (TraceId t : touched) {
      updateSummary(t);
    }
    for (Map.Entry<String, EmbeddedCodec.Dependency> e : dependencies.entrySet()) {
      EmbeddedCodec.Dependency d = e.getValue();
      BytesRef old = storedData(e.getKey());
      if (old != null) {
        EmbeddedCodec.Dependency o = EmbeddedCodec.dependency(old);
        d = new EmbeddedCodec.Dependency(d.parent(), d.child(), d.calls() + o.calls(),
            d.errors() + o.errors());
      }
      long minute = Long.parseLong(e.getKey().substring(1, e.getKey().indexOf('\0')));
      Document doc = new Document();
      doc.add(new StringField(ID, e.getKey(), Field.Store.NO));
      doc.add(new StringField(TYPE, TYPE_DEPENDENCY, Field.Store.NO));
      doc.add(new LongPoint(MINUTE, minute));
      doc.add(new StoredField(DATA, EmbeddedCodec.dependency(d)));
      writer.updateDocument(new Term(ID, e.getKey()), doc);
    }
    for (Map.Entry<String, EmbeddedCodec.Aggregate> e : aggregates.entrySet()) {
      EmbeddedCodec.Aggregate a = e.getValue();
      BytesRef old = storedData(e.getKey());
      if (old != null) {
        EmbeddedCodec.Aggregate o = EmbeddedCodec.aggregate(old);
        a.latency().merge(o.latency());
        a = new EmbeddedCodec.Aggregate(a.service(), a.operation(), a.minute(),
            a.errors() + o.errors(), a.latency());
      }
      Document doc = new Document();
      doc.add(new StringField(ID, e.getKey(), Field.Store.NO));
      doc.add(new StringField(TYPE, TYPE_AGGREGATE, Field.Store.NO));
      doc.add(new LongPoint(MINUTE, a.minute()));
      doc.add(new StringField(COUNTER_SERVICE, term(a.service()), Field.Store.NO));
      doc.add(new StringField(COUNTER_OPERATION, term(a.operation()), Field.Store.NO));
      doc.add(new StoredField(DATA, EmbeddedCodec.aggregate(a)));
      writer.updateDocument(new Term(ID, e.getKey()), doc);
    }
  }

  static boolean isCall(StoredSpan s) {
    return !s.parentService().isEmpty() && !s.parentService().equals(s.span().service());
  }

  static String dependencyPair(String parent, String child) {
    return cut(parent, 4000) + '\0' + cut(child, 4000);
  }

  private void count(StoredSpan s) {
    SpanRecord span = s.span();
    long minute = minuteOf(span.startMicros());
    boolean error = span.status() == StatusCode.ERROR;
    if (isCall(s)) {
      String key = term("d" + minute + '\0' + s.parentService() + '\0' + span.service());
      dependencies.merge(key,
          new EmbeddedCodec.Dependency(s.parentService(), span.service(), 1, error ? 1 : 0),
          (a, b) -> new EmbeddedCodec.Dependency(a.parent(), a.child(), a.calls() + b.calls(),
              a.errors() + b.errors()));
    }
    String key = term("a" + minute + '\0' + span.service() + '\0' + span.name());
    EmbeddedCodec.Aggregate a = aggregates.computeIfAbsent(key, k -> new EmbeddedCodec.Aggregate(
        span.service(), span.name(), minute, 0, new LatencyHistogram()));
    a.latency().record(span.durationMicros());
    if (error) {
      aggregates.put(key, new EmbeddedCodec.Aggregate(a.service(), a.operation(), minute,
          a.errors() + 1, a.latency()));
    }
  }

  private void updateSummary(TraceId traceId) throws IOException, StoreException {
    String hex = traceId.hex();
    boolean inIndex = inIndex(hex);
    List<SpanRecord> spans = new ArrayList<>(inIndex ? storedSpans(hex) : List.of());
    spans.addAll(newSpans.getOrDefault(traceId, List.of()));
    BytesRef oldData = inIndex ? storedData("t" + hex) : null;
    TraceSummary old = oldData == null ? null : EmbeddedCodec.summary(oldData);
    TraceNote note = notes.get(traceId);
    boolean complete = note != null ? note.complete() : old != null && old.complete();
    List<String> warnings = note != null ? note.warnings() : old != null ? old.warnings() : List.of();
    TraceSummary s = summarize(traceId, spans, complete, warnings);

    Document doc = new Document();
    String id = "t" + hex;
    doc.add(new StringField(ID, id, Field.Store.NO));
    doc.add(new StringField(TYPE, TYPE_TRACE, Field.Store.NO));
    doc.add(new StringField(TRACE, hex, Field.Store.NO));
    doc.add(new SortedDocValuesField(TRACE_DV, new BytesRef(hex)));
    doc.add(new LongPoint(TRACE_START, s.startMicros()));
    doc.add(new NumericDocValuesField(TRACE_START, s.startMicros()));
    doc.add(new LongPoint(TRACE_DURATION, s.durationMicros()));
    doc.add(new LongPoint(TRACE_SPANS, s.spanCount()));
    for (String svc : s.services()) {
      doc.add(new StringField(TRACE_SERVICE, term(svc), Field.Store.NO));
    }
    doc.add(new StringField(TRACE_ERROR, Boolean.toString(s.error()), Field.Store.NO));
    doc.add(new StringField(TRACE_COMPLETE, Boolean.toString(s.complete()), Field.Store.NO));
    doc.add(new StoredField(DATA, EmbeddedCodec.summary(s)));
    writer.updateDocument(new Term(ID, id), doc);
  }

  /**
   * The summary of a trace from all its spans. The root is the span without a parent (the earliest
   * one, should there be several); start and duration span every span.
   */
  static TraceSummary summarize(TraceId traceId, List<SpanRecord> spans, boolean complete,
      List<String> warnings) {
    long start = Long.MAX_VALUE;
    long end = Long.MIN_VALUE;
    boolean error = false;
    SpanRecord root = null;
    Set<String> services = new TreeSet<>();
    for (SpanRecord s : spans) {
      start = Math.min(start, s.startMicros());
      end = Math.max(end, s.startMicros() + s.durationMicros());
      error |= s.status() == StatusCode.ERROR;
      services.add(s.service());
      if (s.isRoot() && (root == null || ROOT_ORDER.compare(s, root) < 0)) {
        root = s;
      }
    }
    if (spans.isEmpty()) {
      start = 0;
      end = 0;
    }
    return new TraceSummary(traceId, root == null ? "" : root.service(),
        root == null ? "" : root.name(), start, end - start, spans.size(), List.copyOf(services),
        error, complete, warnings);
  }

  private static final Comparator<SpanRecord> ROOT_ORDER = Comparator
      .comparingLong(SpanRecord::startMicros)
      .thenComparing(SpanRecord::spanId, Long::compareUnsigned);

  private List<SpanRecord> storedSpans(String hex) throws IOException, StoreException {
    BooleanQuery q = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TRACE, hex)), Occur.FILTER)
        .add(new TermQuery(new Term(TYPE, TYPE_SPAN)), Occur.FILTER)
        .build();
    int n = searcher.count(q);
    if (n == 0) {
      return List.of();
    }
    TopDocs top = searcher.search(q, n);
    List<SpanRecord> out = new ArrayList<>(n);
    for (ScoreDoc d : top.scoreDocs) {
      Document doc = searcher.storedFields().document(d.doc, Set.of(DATA));
      out.add((SpanRecord) EmbeddedCodec.decode(doc.getBinaryValue(DATA)));
    }
    return out;
  }

  private BytesRef storedData(String id) throws IOException {
    return storedData(searcher.getIndexReader(), id);
  }

  /** The DATA field of the live document with this ID, null when there is none. */
  static BytesRef storedData(IndexReader reader, String id) throws IOException {
    BytesRef term = new BytesRef(id);
    for (LeafReaderContext ctx : reader.leaves()) {
      int doc = liveDoc(ctx, ID, term);
      if (doc != DocIdSetIterator.NO_MORE_DOCS) {
        Document d = ctx.reader().storedFields().document(doc, Set.of(DATA));
        return BytesRef.deepCopyOf(d.getBinaryValue(DATA));
      }
    }
    return null;
  }

  static boolean exists(IndexReader reader, String field, BytesRef term) throws IOException {
    for (LeafReaderContext ctx : reader.leaves()) {
      if (liveDoc(ctx, field, term) != DocIdSetIterator.NO_MORE_DOCS) {
        return true;
      }
    }
    return false;
  }

  private static int liveDoc(LeafReaderContext ctx, String field, BytesRef term) throws IOException {
    Terms terms = ctx.reader().terms(field);
    if (terms == null) {
      return DocIdSetIterator.NO_MORE_DOCS;
    }
    TermsEnum te = terms.iterator();
    if (!te.seekExact(term)) {
      return DocIdSetIterator.NO_MORE_DOCS;
    }
    Bits live = ctx.reader().getLiveDocs();
    PostingsEnum pe = te.postings(null, PostingsEnum.NONE);
    for (int d = pe.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = pe.nextDoc()) {
      if (live == null || live.get(d)) {
        return d;
      }
    }
    return DocIdSetIterator.NO_MORE_DOCS;
  }

  private static Document spanDocument(String id, StoredSpan stored, byte[] bytes) {
    SpanRecord s = stored.span();
    String hex = s.traceIdHex();
    Document doc = new Document();
    doc.add(new StringField(ID, id, Field.Store.NO));
    doc.add(new StringField(TYPE, TYPE_SPAN, Field.Store.NO));
    doc.add(new StringField(TRACE, hex, Field.Store.NO));
    doc.add(new SortedDocValuesField(TRACE_DV, new BytesRef(hex)));
    doc.add(new StringField(SPAN_SERVICE, term(s.service()), Field.Store.NO));
    doc.add(new StringField(SPAN_NAME, term(s.name()), Field.Store.NO));
    doc.add(new StringField(SPAN_OPERATION,
        term(s.service()) + '\0' + term(s.name()) + '\0' + s.kind().ordinal(), Field.Store.NO));
    doc.add(new StringField(SPAN_KIND, s.kind().name(), Field.Store.NO));
    doc.add(new LongPoint(SPAN_START, s.startMicros()));
    doc.add(new LongPoint(SPAN_DURATION, s.durationMicros()));
    doc.add(new StringField(SPAN_STATUS, s.status().name(), Field.Store.NO));
    doc.add(new StringField(SPAN_ERROR, Boolean.toString(s.status() == StatusCode.ERROR),
        Field.Store.NO));
    if (isCall(stored)) {
      // a call to this service: exact dependency counts for windows that cut a minute
      doc.add(new StringField(SPAN_DEPENDENCY, "1", Field.Store.NO));
      doc.add(new SortedDocValuesField(SPAN_DEPENDENCY_PAIR,
          new BytesRef(dependencyPair(stored.parentService(), s.service()))));
      doc.add(new NumericDocValuesField(SPAN_DEPENDENCY_ERROR,
          s.status() == StatusCode.ERROR ? 1 : 0));
    }
    for (Attribute a : s.attributes()) {
      if (a.value() instanceof List<?> list) {
        for (Object v : list) {
          tag(doc, a.key(), v, a.businessKey());
        }
      } else {
        tag(doc, a.key(), a.value(), a.businessKey());
      }
    }
    doc.add(new StoredField(DATA, bytes));
    return doc;
  }

  private static void tag(Document doc, String key, Object value, boolean businessKey) {
    String t = tagTerm(key, String.valueOf(value));
    doc.add(new StringField(SPAN_TAG, t, Field.Store.NO));
    if (businessKey) {
      doc.add(new StringField(SPAN_BUSINESS_KEY, t, Field.Store.NO));
    }
  }

  static String tagTerm(String key, String value) {
    return term(key + '=' + value);
  }

  private static Document logDocument(String id, LogRecord l, byte[] bytes) {
    String hex = l.traceIdHex();
    Document doc = new Document();
    doc.add(new StringField(ID, id, Field.Store.NO));
    doc.add(new StringField(TYPE, TYPE_LOG, Field.Store.NO));
    doc.add(new StringField(TRACE, hex, Field.Store.NO));
    doc.add(new LongPoint(LOG_TIME, l.timeMicros()));
    doc.add(new StoredField(DATA, bytes));
    return doc;
  }

  /** trace, span, time and a hash of the line's text: the same line pulled twice is one line. */
  private String logId(LogRecord l) {
    sha256.reset();
    for (String s : new String[] {l.level(), l.logger(), l.thread(), l.message(), l.thrown()}) {
      sha256.update(s.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
    }
    byte[] h = sha256.digest();
    long hash = 0;
    for (int i = 0; i < 8; i++) {
      hash = (hash << 8) | (h[i] & 0xFF);
    }
    return "l" + l.traceIdHex() + Ids.spanIdHex(l.spanId()) + Long.toHexString(l.timeMicros())
        + '.' + Ids.spanIdHex(hash);
  }
}
