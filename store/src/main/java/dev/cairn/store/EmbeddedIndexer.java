package dev.cairn.store;

import static dev.cairn.store.Fields.*;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.lucene.document.BinaryDocValuesField;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.BinaryDocValues;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.PostingsEnum;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.Terms;
import org.apache.lucene.index.TermsEnum;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.BytesRef;

/**
 * The embedded store's write path, on the writer thread only; lives as long as its IndexWriter.
 *
 * <p>Spans are stored as trace parts: the new spans (and log lines) of one trace in one write, one
 * Lucene document holding them as a block, indexed by the distinct values of its spans. Whether a
 * span is new is decided in memory for the traces written since the searcher was last refreshed
 * ({@link TraceState}: their span IDs and summary), and by the index for the others: a trace absent
 * from the index (the usual case, the puller writes whole new traces) costs one term lookup. So
 * nothing needs a refresh or a commit between writes; summaries and per-minute counters are kept
 * in memory while they may be newer than the searcher, and written as documents.
 */
final class EmbeddedIndexer {
  private final IndexWriter writer;
  private final EmbeddedCodec codec;
  private IndexSearcher searcher;
  private long seq;
  /** Traces touched since the searcher last covered them, oldest touch first. */
  private final LinkedHashMap<TraceId, TraceState> recent = new LinkedHashMap<>();
  /** Counter values by key; authoritative, since only this thread writes counters. */
  private final HashMap<CounterKey, Counter> counters = new HashMap<>();
  /** Every trace in the index or in {@link #recent}; null until the first group builds it. */
  private EmbeddedTraceFilter traces;

  EmbeddedIndexer(IndexWriter writer, EmbeddedCodec codec) {
    this.writer = writer;
    this.codec = codec;
  }

  /**
   * A filter of the traces the searcher holds, plus those in memory (written since), sized for
   * twice as many as there are now (at least 1M).
   */
  private void buildFilter() throws IOException {
    IndexReader reader = searcher.getIndexReader();
    long terms = 0;
    for (LeafReaderContext ctx : reader.leaves()) {
      Terms t = ctx.reader().terms(TRACE);
      terms += t == null ? 0 : Math.max(0, t.size());
    }
    EmbeddedTraceFilter f = new EmbeddedTraceFilter(Math.max(1 << 20, 2 * (terms + recent.size())));
    for (LeafReaderContext ctx : reader.leaves()) {
      Terms t = ctx.reader().terms(TRACE);
      if (t == null) {
        continue;
      }
      TermsEnum te = t.iterator();
      for (BytesRef term = te.next(); term != null; term = te.next()) {
        TraceId id = traceOf(term);
        if (id != null) {
          f.add(id);
        }
      }
    }
    for (TraceId t : recent.keySet()) {
      f.add(t);
    }
    traces = f;
  }

  /** What the writer knows of a trace: every stored span ID and log line, and its summary. */
  static final class TraceState {
    long seq;
    final LongSet spanIds = new LongSet();
    Set<LogRecord> logs = Set.of();
    EmbeddedSummary summary;
    boolean summaryStored;
  }

  private static final class Counter {
    Object value; // EmbeddedCodec.Dependency or EmbeddedCodec.Aggregate
    long seq;
  }

  /**
   * A dependency ({@code 'd'}: parent and child service) or aggregate ({@code 'a'}: service and
   * operation) minute. A key, not its document ID, is what each span looks up: the names are the
   * span's own strings, whose hashes are cached, so counting a span builds no string.
   */
  private record CounterKey(char type, long minute, String first, String second) {
    static CounterKey of(char type, long minute, String first, String second) {
      if (first.length() + second.length() < MAX_TERM_CHARS - 32) {
        return new CounterKey(type, minute, first, second);
      }
      // names this long share a counter when their cut IDs are equal: the key is the ID
      return new CounterKey(type, minute, id(type, minute, first, second), null);
    }

    private static String id(char type, long minute, String first, String second) {
      return term(type + Long.toString(minute) + '\0' + first + '\0' + second);
    }

    /** The counter document's {@link Fields#ID}. */
    String id() {
      return second == null ? first : id(type, minute, first, second);
    }
  }

  /** New spans and log lines of one trace from one write, and their encoded block. */
  static final class Part {
    final TraceId trace;
    final List<StoredSpan> spans = new ArrayList<>();
    final List<LogRecord> logs = new ArrayList<>();
    final LongSet spanIds = new LongSet();
    final Set<LogRecord> logSet = new HashSet<>();
    byte[] block;

    Part(TraceId trace) {
      this.trace = trace;
    }
  }

  /** A batch checked against what is stored and encoded; nothing of it is applied yet. */
  static final class Prepared {
    final List<Part> parts;
    final List<TraceNote> notes;
    final WriteResult result;

    Prepared(List<Part> parts, List<TraceNote> notes, WriteResult result) {
      this.parts = parts;
      this.notes = notes;
      this.result = result;
    }
  }

  /**
   * Starts a group of writes. {@code covered} is the last group the searcher is known to hold
   * (read before acquiring it): what it covers needs no memory any more.
   */
  void begin(IndexSearcher searcher, long groupSeq, long covered) {
    this.searcher = searcher;
    this.seq = groupSeq;
    for (Iterator<TraceState> it = recent.values().iterator(); it.hasNext(); ) {
      if (it.next().seq > covered) {
        break; // in order of last touch
      }
      it.remove();
    }
    if (counters.size() > 50_000) {
      counters.values().removeIf(c -> c.seq <= covered);
    }
    if (traces == null || traces.full()) {
      try {
        buildFilter();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Traces held in memory; the store refreshes its searcher when they become too many. */
  int tracked() {
    return recent.size();
  }

  /**
   * Sorts a batch into new and already stored spans and log lines and encodes the new ones; fails
   * (changing nothing) when one cannot be encoded, so a bad batch never leaves half of itself.
   */
  Prepared prepare(WriteBatch batch) throws IOException, StoreException {
    Map<TraceId, Part> parts = new LinkedHashMap<>();
    int stored = 0;
    int present = 0;
    int logs = 0;
    for (StoredSpan s : batch.spans()) {
      SpanRecord span = s.span();
      TraceId t = TraceId.of(span);
      TraceState st = state(t);
      Part p = parts.computeIfAbsent(t, Part::new);
      if (st.spanIds.contains(span.spanId()) || !p.spanIds.add(span.spanId())) {
        present++;
      } else {
        p.spans.add(s);
        stored++;
      }
    }
    for (LogRecord l : batch.logs()) {
      TraceId t = new TraceId(l.traceIdHigh(), l.traceIdLow());
      TraceState st = state(t);
      Part p = parts.computeIfAbsent(t, Part::new);
      if (!st.logs.contains(l) && p.logSet.add(l)) {
        p.logs.add(l);
        logs++;
      }
    }
    for (TraceNote n : batch.notes()) {
      state(n.traceId());
    }
    List<Part> encoded = new ArrayList<>(parts.size());
    for (Part p : parts.values()) {
      if (!p.spans.isEmpty() || !p.logs.isEmpty()) {
        encode(p, encoded);
      }
    }
    return new Prepared(encoded, batch.notes(), new WriteResult(stored, present, logs));
  }

  /** Encodes a part, cut into several past {@link EmbeddedCodec#PART_TARGET_BYTES}. */
  private void encode(Part whole, List<Part> out) throws StoreException {
    BlockEncoder enc = codec.encoder();
    enc.reset();
    Part chunk = new Part(whole.trace);
    for (StoredSpan s : whole.spans) {
      if (!enc.addSpan(s.span())) {
        throw new StoreException("span " + s.span().traceIdHex() + "/" + s.span().spanIdHex()
            + " cannot be encoded (a record is at most 1 MiB, docs/format.md): batch not stored");
      }
      chunk.spans.add(s);
      if (enc.isFull()) {
        chunk.block = EmbeddedCodec.copy(enc.finish());
        out.add(chunk);
        chunk = new Part(whole.trace);
      }
    }
    for (LogRecord l : whole.logs) {
      if (!enc.addLog(l)) {
        throw new StoreException("log line of trace " + l.traceIdHex()
            + " cannot be encoded (a record is at most 1 MiB): batch not stored");
      }
      chunk.logs.add(l);
      if (enc.isFull()) {
        chunk.block = EmbeddedCodec.copy(enc.finish());
        out.add(chunk);
        chunk = new Part(whole.trace);
      }
    }
    if (!enc.isEmpty()) {
      chunk.block = EmbeddedCodec.copy(enc.finish());
      out.add(chunk);
    }
  }

  /** Records a prepared batch as stored, so later batches see its spans as present. */
  void accept(Prepared p) {
    for (Part part : p.parts) {
      TraceState st = touch(part.trace);
      for (StoredSpan s : part.spans) {
        st.spanIds.add(s.span().spanId());
      }
      if (!part.logs.isEmpty()) {
        if (st.logs.isEmpty()) {
          st.logs = new HashSet<>();
        }
        st.logs.addAll(part.logs);
      }
    }
    for (TraceNote n : p.notes) {
      touch(n.traceId());
    }
  }

  private TraceState touch(TraceId t) {
    TraceState st = recent.remove(t); // re-inserted last: the map stays in order of last touch
    st.seq = seq;
    recent.put(t, st);
    return st;
  }

  /**
   * Adds the documents of accepted batches: their parts, the summaries of the traces they touched
   * and the per-minute counters of their new spans.
   */
  void index(List<Prepared> group) throws IOException, StoreException {
    Set<TraceId> touched = new LinkedHashSet<>();
    Set<CounterKey> changed = new LinkedHashSet<>();
    for (Prepared p : group) {
      for (Part part : p.parts) {
        writer.addDocument(partDocument(part));
        TraceState st = recent.get(part.trace);
        if (st.summary == null) {
          st.summary = new EmbeddedSummary(part.trace);
        }
        for (StoredSpan s : part.spans) {
          st.summary.add(s.span());
          count(s, changed);
        }
        touched.add(part.trace);
      }
      for (TraceNote n : p.notes) {
        TraceState st = recent.get(n.traceId());
        if (st.summary == null) {
          st.summary = new EmbeddedSummary(n.traceId());
        }
        st.summary.note(n);
        touched.add(n.traceId());
      }
    }
    for (TraceId t : touched) {
      TraceState st = recent.get(t);
      Document doc = summaryDocument(st.summary);
      if (st.summaryStored) {
        writer.updateDocument(new Term(ID, summaryId(t)), doc);
      } else {
        writer.addDocument(doc); // a new trace: no delete term for Lucene to resolve
        st.summaryStored = true;
      }
    }
    for (CounterKey key : changed) {
      String id = key.id();
      writer.updateDocument(new Term(ID, id), counterDocument(id, counters.get(key).value));
    }
  }

  /** The writer's knowledge of a trace, read from the index when it is not in memory. */
  private TraceState state(TraceId t) throws IOException, StoreException {
    TraceState st = recent.get(t);
    if (st != null) {
      return st;
    }
    st = new TraceState();
    st.seq = seq;
    if (!traces.mayContain(t)) {
      traces.add(t); // a trace new to the store: no lookup
    } else if (exists(searcher.getIndexReader(), TRACE, traceTerm(t))) {
      BytesRef summary = storedData(searcher.getIndexReader(), summaryId(t));
      if (summary != null) {
        st.summary = EmbeddedCodec.summaryState(summary);
        st.summaryStored = true;
      }
      LongSet ids = st.spanIds;
      Set<LogRecord> logs = new HashSet<>();
      for (BytesRef block : partBlocks(searcher, t)) {
        EmbeddedCodec.decode(block, span -> ids.add(span.spanId()), logs::add);
      }
      st.logs = logs.isEmpty() ? Set.of() : logs;
    }
    recent.put(t, st);
    return st;
  }

  /** The blocks of every part of a trace, from their doc values. */
  static List<BytesRef> partBlocks(IndexSearcher s, TraceId trace) throws IOException {
    List<BytesRef> out = new ArrayList<>();
    BytesRef term = traceTerm(trace);
    for (LeafReaderContext ctx : s.getIndexReader().leaves()) {
      Terms terms = ctx.reader().terms(TRACE);
      if (terms == null) {
        continue;
      }
      TermsEnum te = terms.iterator();
      if (!te.seekExact(term)) {
        continue;
      }
      Bits live = ctx.reader().getLiveDocs();
      BinaryDocValues blocks = ctx.reader().getBinaryDocValues(PART_BLOCK);
      PostingsEnum pe = te.postings(null, PostingsEnum.NONE);
      for (int d = pe.nextDoc(); d != DocIdSetIterator.NO_MORE_DOCS; d = pe.nextDoc()) {
        // the summary document has the trace term too, but no block
        if ((live == null || live.get(d)) && blocks != null && blocks.advanceExact(d)) {
          out.add(BytesRef.deepCopyOf(blocks.binaryValue()));
        }
      }
    }
    return out;
  }

  static boolean isCall(StoredSpan s) {
    return !s.parentService().isEmpty() && !s.parentService().equals(s.span().service());
  }

  static String dependencyPair(String parent, String child) {
    return cut(parent, 4000) + '\0' + cut(child, 4000);
  }

  private void count(StoredSpan s, Set<CounterKey> changed) throws IOException {
    SpanRecord span = s.span();
    long minute = minuteOf(span.startMicros());
    boolean error = span.status() == StatusCode.ERROR;
    if (isCall(s)) {
      CounterKey key = CounterKey.of('d', minute, s.parentService(), span.service());
      Counter c = counter(key);
      EmbeddedCodec.Dependency d = (EmbeddedCodec.Dependency) c.value;
      c.value = d == null
          ? new EmbeddedCodec.Dependency(s.parentService(), span.service(), 1, error ? 1 : 0)
          : new EmbeddedCodec.Dependency(d.parent(), d.child(), d.calls() + 1,
              d.errors() + (error ? 1 : 0));
      changed.add(key);
    }
    CounterKey key = CounterKey.of('a', minute, span.service(), span.name());
    Counter c = counter(key);
    EmbeddedCodec.Aggregate a = (EmbeddedCodec.Aggregate) c.value;
    if (a == null) {
      a = new EmbeddedCodec.Aggregate(span.service(), span.name(), minute, 0,
          new LatencyHistogram());
    }
    a.latency().record(span.durationMicros());
    c.value = error ? new EmbeddedCodec.Aggregate(a.service(), a.operation(), minute,
        a.errors() + 1, a.latency()) : a;
    changed.add(key);
  }

  /** A counter's current value: from memory, or else from the index (null value when new). */
  private Counter counter(CounterKey key) throws IOException {
    Counter c = counters.get(key);
    if (c == null) {
      c = new Counter();
      BytesRef old = storedData(searcher.getIndexReader(), new BytesRef(key.id()));
      if (old != null) {
        c.value = key.type() == 'd' ? EmbeddedCodec.dependency(old)
            : EmbeddedCodec.aggregate(old);
      }
      counters.put(key, c);
    }
    c.seq = seq;
    return c;
  }

  private static Document counterDocument(String key, Object value) {
    Document doc = new Document();
    doc.add(new StringField(ID, key, Field.Store.NO));
    if (value instanceof EmbeddedCodec.Dependency d) {
      long minute = Long.parseLong(key.substring(1, key.indexOf('\0')));
      doc.add(new StringField(TYPE, TYPE_DEPENDENCY, Field.Store.NO));
      doc.add(new LongPoint(MINUTE, minute));
      doc.add(new StoredField(DATA, EmbeddedCodec.dependency(d)));
    } else {
      EmbeddedCodec.Aggregate a = (EmbeddedCodec.Aggregate) value;
      doc.add(new StringField(TYPE, TYPE_AGGREGATE, Field.Store.NO));
      doc.add(new LongPoint(MINUTE, a.minute()));
      doc.add(new StringField(COUNTER_SERVICE, term(a.service()), Field.Store.NO));
      doc.add(new StringField(COUNTER_OPERATION, term(a.operation()), Field.Store.NO));
      doc.add(new StoredField(DATA, EmbeddedCodec.aggregate(a)));
    }
    return doc;
  }

  private static Document summaryDocument(EmbeddedSummary state) {
    TraceSummary s = state.toSummary();
    Document doc = new Document();
    doc.add(new StringField(ID, summaryId(s.traceId()), Field.Store.NO));
    doc.add(new StringField(TYPE, TYPE_TRACE, Field.Store.NO));
    addTraceId(doc, s.traceId());
    doc.add(new LongPoint(TRACE_START, s.startMicros()));
    doc.add(new NumericDocValuesField(TRACE_START, s.startMicros()));
    doc.add(new LongPoint(TRACE_DURATION, s.durationMicros()));
    doc.add(new NumericDocValuesField(TRACE_DURATION, s.durationMicros()));
    if (s.spanCount() == 0) {
      doc.add(new StringField(TRACE_NO_SPANS, "true", Field.Store.NO)); // a note alone
    }
    for (String svc : s.services()) {
      doc.add(new StringField(TRACE_SERVICE, term(svc), Field.Store.NO));
    }
    if (s.error()) {
      doc.add(new StringField(TRACE_ERROR, "true", Field.Store.NO));
    }
    doc.add(new StoredField(DATA, EmbeddedCodec.summary(state)));
    return doc;
  }

  /** An operation of a part: what its {@link Fields#SPAN_OPERATION} term is made of. */
  private record Op(String service, String name, SpanKind kind) {}

  /**
   * A part: its block, and each distinct service, name, operation and tag of its spans once, so a
   * search finds the part; whether one span has them all together is checked on the spans. Values
   * are told apart by the span's own strings (hashes cached) before any term is built, so a value
   * repeated on every span of the part costs one term.
   */
  private static Document partDocument(Part part) {
    Document doc = new Document();
    doc.add(new StringField(TYPE, TYPE_PART, Field.Store.NO));
    addTraceId(doc, part.trace);
    Set<String> services = new HashSet<>();
    Set<String> names = new HashSet<>();
    Set<Op> operations = new HashSet<>();
    long[] tags = new long[16];
    int tagCount = 0;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    List<EmbeddedCodec.Call> calls = new ArrayList<>();
    for (StoredSpan stored : part.spans) {
      SpanRecord s = stored.span();
      first = Math.min(first, s.startMicros());
      last = Math.max(last, s.startMicros());
      services.add(s.service());
      names.add(s.name());
      operations.add(new Op(s.service(), s.name(), s.kind()));
      for (Attribute a : s.attributes()) {
        int values = a.value() instanceof List<?> list ? list.size() : 1;
        if (tagCount + values > tags.length) {
          tags = Arrays.copyOf(tags, Math.max(2 * tags.length, tagCount + values));
        }
        if (a.value() instanceof List<?> list) {
          for (Object v : list) {
            tags[tagCount++] = tagHash(a.key(), v);
          }
        } else {
          tags[tagCount++] = tagHash(a.key(), a.value());
        }
      }
      if (isCall(stored)) {
        calls.add(new EmbeddedCodec.Call(s.startMicros(),
            dependencyPair(stored.parentService(), s.service()), s.status() == StatusCode.ERROR));
      }
    }
    // distinct objects can still make one term (two services cut to one): Lucene indexes a term
    // repeated in a document once
    for (String service : services) {
      doc.add(new StringField(SPAN_SERVICE, term(service), Field.Store.NO));
    }
    for (String name : names) {
      doc.add(new StringField(SPAN_NAME, term(name), Field.Store.NO));
    }
    for (Op op : operations) {
      doc.add(new StringField(SPAN_OPERATION,
          term(op.service()) + '\0' + term(op.name()) + '\0' + op.kind().ordinal(), Field.Store.NO));
    }
    Arrays.sort(tags, 0, tagCount);
    for (int i = 0; i < tagCount; i++) {
      if (i == 0 || tags[i] != tags[i - 1]) {
        doc.add(new StringField(SPAN_TAG, tagTerm(tags[i]), Field.Store.NO));
      }
    }
    for (LogRecord l : part.logs) {
      first = Math.min(first, l.timeMicros());
      last = Math.max(last, l.timeMicros());
    }
    doc.add(new LongPoint(PART_FIRST, first));
    doc.add(new NumericDocValuesField(PART_FIRST, first));
    doc.add(new LongPoint(PART_LAST, last));
    doc.add(new NumericDocValuesField(PART_LAST, last));
    if (!calls.isEmpty()) {
      // a part with calls: exact dependency counts for windows that cut a minute
      doc.add(new StringField(SPAN_DEPENDENCY, "1", Field.Store.NO));
      doc.add(new BinaryDocValuesField(PART_CALLS, new BytesRef(EmbeddedCodec.calls(calls))));
    }
    // doc values, not a stored field: the block is compressed already, and read by document
    doc.add(new BinaryDocValuesField(PART_BLOCK, new BytesRef(part.block)));
    return doc;
  }

  // ---- the write-ahead log record of a prepared batch

  /**
   * A prepared batch as a log record: its parts (block, then the parent service of each span) and
   * its notes. Replaying it is writing its new spans, log lines and notes again.
   */
  static byte[] walRecord(Prepared p) {
    int expected = 16;
    for (Part part : p.parts) {
      expected += part.block.length + 8 + 16 * part.spans.size();
    }
    BytesOutput out = new BytesOutput(expected);
    try {
      out.writeVInt(p.parts.size());
      for (Part part : p.parts) {
        out.writeVInt(part.block.length);
        out.writeBytes(part.block, part.block.length);
        out.writeVInt(part.spans.size());
        for (StoredSpan s : part.spans) {
          out.writeString(s.parentService());
        }
      }
      out.writeVInt(p.notes.size());
      for (TraceNote n : p.notes) {
        out.writeLong(n.traceId().high());
        out.writeLong(n.traceId().low());
        out.writeByte((byte) (n.complete() ? 1 : 0));
        out.writeVInt(n.warnings().size());
        for (String w : n.warnings()) {
          out.writeString(w);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArray();
  }

  /** The batch a log record holds. */
  static WriteBatch fromWal(byte[] record) throws IOException, StoreException {
    ByteArrayDataInput in = new ByteArrayDataInput(record);
    List<StoredSpan> spans = new ArrayList<>();
    List<LogRecord> logs = new ArrayList<>();
    int parts = in.readVInt();
    for (int i = 0; i < parts; i++) {
      byte[] block = new byte[in.readVInt()];
      in.readBytes(block, 0, block.length);
      List<SpanRecord> partSpans = new ArrayList<>();
      EmbeddedCodec.decode(new BytesRef(block), partSpans::add, logs::add);
      int n = in.readVInt();
      if (n != partSpans.size()) {
        throw new StoreException("write-ahead log record names " + n + " parent services for "
            + partSpans.size() + " spans");
      }
      for (SpanRecord s : partSpans) {
        spans.add(new StoredSpan(s, in.readString()));
      }
    }
    int notes = in.readVInt();
    List<TraceNote> noteList = new ArrayList<>(notes);
    for (int i = 0; i < notes; i++) {
      TraceId t = new TraceId(in.readLong(), in.readLong());
      boolean complete = in.readByte() == 1;
      int w = in.readVInt();
      List<String> warnings = new ArrayList<>(w);
      for (int j = 0; j < w; j++) {
        warnings.add(in.readString());
      }
      noteList.add(new TraceNote(t, complete, warnings));
    }
    return new WriteBatch(spans, logs, noteList);
  }

  // ---- lookups by term

  /** The DATA field of the live document with this ID, null when there is none. */
  static BytesRef storedData(IndexReader reader, BytesRef term) throws IOException {
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
}
