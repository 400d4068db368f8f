package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.MgetResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.get.GetResult;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import co.elastic.clients.json.JsonData;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.TraceNote;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes a batch (docs/store-elasticsearch.md, "Writes"), without refreshing any index:
 *
 * <ol>
 *   <li>The batch's spans, by trace, as trace parts: a writer reads the trace's stored parts
 *       (realtime gets by ID: part 0 around the spans' days, then the next numbers where part 0
 *       is), leaves out the spans they hold, and creates the rest as the next part number with
 *       bulk {@code create}. Part numbers are taken in order and a {@code create} of a number
 *       another writer took first fails with 409, so that writer reads the new part and tries the
 *       next number: a span is stored in one part only, whichever writers and batch cuts bring
 *       it, and the first version of a span wins. Log lines are one document each, created by ID
 *       (409: already present). Any other refusal fails the write (nothing is dropped silently);
 *       writing the batch again is safe.
 *   <li>From the spans this write stored only, deltas of their traces' summaries, of the
 *       per-minute aggregates and of the dependency links, merged into those documents with
 *       optimistic concurrency ({@link EsUpserts}): concurrent writers each add their own spans
 *       once.
 * </ol>
 *
 * Thread-safe: calls from several threads or processes interleave safely.
 */
final class EsWriter implements SpanWriter {
  /** Rounds of reading and creating parts: only a storm of writers on one trace gets near. */
  private static final int MAX_ROUNDS = 50;
  /** Part numbers read at once, past part 0, for a trace known to have parts. */
  private static final int READ_AHEAD = 4;
  /** Part numbers are 2 bytes of the document ID. */
  private static final int MAX_PARTS = 65_535;

  private final EsSpanStore store;
  private final EsClient client;
  private final EsIndices indices;
  private final int bulkMaxDocuments;
  private final boolean compressParts;
  final LongAdder rejectedDocuments = new LongAdder();
  final LongAdder summaryConflicts = new LongAdder();
  /** Deltas a failed write left for the next one to apply. */
  final LongAdder pendingDeltas = new LongAdder();
  private Map<String, EsUpserts.Delta> pending;

  EsWriter(EsSpanStore store, EsClient client, EsIndices indices, int bulkMaxDocuments,
      boolean compressParts) {
    this.store = store;
    this.client = client;
    this.indices = indices;
    this.bulkMaxDocuments = bulkMaxDocuments;
    this.compressParts = compressParts;
  }

  @Override
  public WriteResult write(WriteBatch batch) throws StoreException {
    try {
      return store(batch);
    } finally {
      store.wrote(); // even a failed write may have stored documents: reads refresh first
    }
  }

  private WriteResult store(WriteBatch batch) throws StoreException {
    store.checkOpen();
    if (batch.spans().isEmpty() && batch.logs().isEmpty() && batch.notes().isEmpty()) {
      return new WriteResult(0, 0, 0);
    }
    store.ensureTemplates();

    // Encode everything first: a batch that cannot be encoded fails before any request.
    Map<String, TraceWrite> traces = new LinkedHashMap<>();
    List<StoredSpan> repeated = new ArrayList<>();
    for (StoredSpan s : batch.spans()) {
      TraceWrite t = traces.computeIfAbsent(s.span().traceIdHex(), TraceWrite::new);
      if (!t.add(s)) {
        repeated.add(s); // repeated inside the batch: already present
      }
    }
    for (TraceWrite t : traces.values()) {
      t.whole = chunk(t.spans, null);
    }
    List<BulkOperation> logOps = new ArrayList<>();
    List<String> logWhat = new ArrayList<>();
    Set<String> seenLogs = new HashSet<>();
    for (LogRecord l : batch.logs()) {
      String id = EsSpanDocuments.logId(l);
      if (!seenLogs.add(id)) {
        continue;
      }
      String data = EsCodec.encode(l);
      if (data == null) {
        throw new StoreException("log line of trace " + l.traceIdHex()
            + " cannot be encoded (a record is at most 1 MiB): batch not stored");
      }
      String index = indices.daily(EsIndices.LOG, l.timeMicros());
      Map<String, Object> doc = EsSpanDocuments.log(l, data);
      logOps.add(BulkOperation.of(o -> o.create(c -> c.index(index).id(id).document(doc))));
      logWhat.add("log line " + id);
    }

    List<String> refused = new ArrayList<>();
    storeParts(traces.values(), refused);
    int logs = 0;
    for (int from = 0; from < logOps.size(); from += bulkMaxDocuments) {
      int to = Math.min(logOps.size(), from + bulkMaxDocuments);
      List<BulkResponseItem> items = client.bulk("log lines", logOps.subList(from, to),
          Refresh.False);
      for (int k = 0; k < items.size(); k++) {
        int status = items.get(k).status();
        if (status == 201) {
          logs++;
        } else if (status != 409) {
          refused.add(logWhat.get(from + k) + ": " + status + " "
              + EsClient.describe(items.get(k).error()));
        }
      }
    }

    // Only spans this write stored count: a span pulled again changes nothing.
    Map<String, EsUpserts.Delta> deltas = new LinkedHashMap<>();
    int stored = 0;
    int notStored = 0;
    for (TraceWrite t : traces.values()) {
      EsSummaries.Delta d = summary(deltas, t.hex);
      Set<Long> created = new HashSet<>();
      for (StoredSpan s : t.created) {
        countNew(deltas, d, s);
        created.add(s.span().spanId());
      }
      stored += created.size();
      for (StoredSpan s : t.spans) {
        if (!created.contains(s.span().spanId())) {
          d.near(s.span().startMicros());
        }
      }
      if (t.failed) {
        notStored += t.remaining().size();
      }
    }
    for (StoredSpan s : repeated) {
      summary(deltas, s.span().traceIdHex()).near(s.span().startMicros());
    }
    for (TraceNote n : batch.notes()) {
      summary(deltas, n.traceId().hex()).note(n); // the latest note of the batch wins
    }
    applyDeltas(deltas); // also when some documents were refused: the others are stored
    if (!refused.isEmpty()) {
      rejectedDocuments.add(refused.size());
      throw new StoreException("Elasticsearch refused " + refused.size() + " documents, so the"
          + " batch is not stored (writing it again is safe); first: " + refused.get(0));
    }
    return new WriteResult(stored, batch.spans().size() - stored - notStored, logs);
  }

  /** The spans of one trace in one batch, and what this write learnt of its stored parts. */
  private static final class TraceWrite {
    final String hex;
    /** The batch's spans of this trace, each once, in batch order. */
    final List<StoredSpan> spans = new ArrayList<>();
    private final Set<Long> ids = new HashSet<>();
    long minDay = Long.MAX_VALUE;
    long maxDay = Long.MIN_VALUE;
    /** All of {@link #spans} as one part, or null when they need several. */
    String whole;
    /** The index holding the trace's parts; null while none is known. */
    String index;
    /** Part 0 was looked for. */
    boolean probed;
    /** Parts known: numbers 0 to parts − 1. */
    int parts;
    /** Every stored part was read: the next number is {@link #parts}. */
    boolean complete;
    /** Span IDs in the stored parts. */
    final Set<Long> stored = new HashSet<>();
    /** Spans this write stored. */
    final List<StoredSpan> created = new ArrayList<>();
    boolean failed;

    TraceWrite(String hex) {
      this.hex = hex;
    }

    boolean add(StoredSpan s) {
      if (!ids.add(s.span().spanId())) {
        return false;
      }
      spans.add(s);
      long day = Math.floorDiv(s.span().startMicros(), DAY_MICROS);
      minDay = Math.min(minDay, day);
      maxDay = Math.max(maxDay, day);
      return true;
    }

    List<StoredSpan> remaining() {
      List<StoredSpan> out = new ArrayList<>();
      for (StoredSpan s : spans) {
        if (!stored.contains(s.span().spanId())) {
          out.add(s);
        }
      }
      return out;
    }

    boolean done() {
      return failed || (complete && remaining().isEmpty());
    }

    void read(List<SpanRecord> part) {
      parts++;
      for (SpanRecord s : part) {
        stored.add(s.spanId());
      }
    }
  }

  private static final long DAY_MICROS = 86_400_000_000L;

  /** A part about to be created. */
  private record PartOp(TraceWrite trace, String index, List<StoredSpan> spans,
      BulkOperation op) {
    String what() {
      SpanRecord first = spans.get(0).span();
      return "span " + first.traceIdHex() + "/" + first.spanIdHex()
          + (spans.size() > 1 ? " (and " + (spans.size() - 1) + " more spans of its trace)" : "");
    }
  }

  /**
   * Stores every trace's spans that no stored part holds, in rounds: read the parts not read yet,
   * create each trace's next part, and again for the traces whose part number another writer took
   * (or whose spans need more than one part).
   */
  private void storeParts(Collection<TraceWrite> all, List<String> refused)
      throws StoreException {
    List<TraceWrite> open = new ArrayList<>(all);
    for (int round = 0; !open.isEmpty(); round++) {
      if (round == MAX_ROUNDS) {
        for (TraceWrite t : open) {
          t.failed = true;
        }
        refused.add("trace " + open.get(0).hex + ": its parts kept changing under other writers"
            + " for " + MAX_ROUNDS + " rounds");
        return;
      }
      readParts(open);
      List<PartOp> ops = new ArrayList<>();
      for (TraceWrite t : open) {
        if (t.done()) {
          continue;
        }
        if (t.parts >= MAX_PARTS) {
          t.failed = true;
          refused.add("trace " + t.hex + ": it has " + MAX_PARTS + " parts, the most a trace may"
              + " have");
          continue;
        }
        ops.add(nextPart(t));
      }
      int from = 0;
      while (from < ops.size()) {
        int to = from;
        int spans = 0;
        while (to < ops.size() && (to == from || spans + ops.get(to).spans.size()
            <= bulkMaxDocuments)) {
          spans += ops.get(to).spans.size();
          to++;
        }
        List<PartOp> sent = ops.subList(from, to);
        List<BulkResponseItem> items = client.bulk("trace parts",
            sent.stream().map(PartOp::op).toList(), Refresh.False);
        for (int k = 0; k < items.size(); k++) {
          answered(sent.get(k), items.get(k), refused);
        }
        from = to;
      }
      open.removeIf(TraceWrite::done);
    }
  }

  private void answered(PartOp p, BulkResponseItem item, List<String> refused) {
    TraceWrite t = p.trace;
    if (item.status() == 201) {
      t.index = p.index;
      t.parts++;
      for (StoredSpan s : p.spans) {
        t.stored.add(s.span().spanId());
      }
      t.created.addAll(p.spans);
    } else if (item.status() == 409) {
      // another writer took this number first: read its part, then try the next number
      t.complete = false;
      if (t.index == null) {
        t.probed = false;
      }
    } else {
      t.failed = true;
      refused.add(p.what() + ": " + item.status() + " " + EsClient.describe(item.error()));
    }
  }

  /** The trace's spans no stored part holds, as its next part (the first 1 MiB of them). */
  private PartOp nextPart(TraceWrite t) throws StoreException {
    List<StoredSpan> rest = t.remaining();
    List<StoredSpan> spans = new ArrayList<>();
    String data = rest.size() == t.spans.size() && t.whole != null ? t.whole : null;
    if (data != null) {
      spans = rest;
    } else {
      data = chunk(rest, spans);
    }
    long first = Long.MAX_VALUE;
    for (StoredSpan s : spans) {
      first = Math.min(first, s.span().startMicros());
    }
    // a trace's parts share the index of its first part: retention deletes the trace whole
    String index = t.index != null ? t.index : indices.daily(EsIndices.SPAN, first);
    String id = EsSpanDocuments.partId(t.hex, t.parts);
    Map<String, Object> doc = EsSpanDocuments.part(spans, data);
    return new PartOp(t, index, List.copyOf(spans),
        BulkOperation.of(o -> o.create(c -> c.index(index).id(id).document(doc))));
  }

  /**
   * Encodes spans from the start of the list until the part is full. With {@code into}, the
   * spans encoded are added to it; without, every span is checked and the part is returned only
   * when all of them fit in one (else null).
   */
  private String chunk(List<StoredSpan> spans, List<StoredSpan> into) throws StoreException {
    BlockEncoder e = EsCodec.encoder();
    boolean several = false;
    for (int i = 0; i < spans.size(); i++) {
      SpanRecord span = spans.get(i).span();
      if (!e.addSpan(span)) {
        throw new StoreException("span " + span.traceIdHex() + "/" + span.spanIdHex()
            + " cannot be encoded (a record is at most 1 MiB, docs/format.md): batch not stored");
      }
      if (into != null) {
        into.add(spans.get(i));
      }
      if (e.isFull() && i < spans.size() - 1) {
        if (into != null) {
          return EsCodec.finish(e, into, compressParts);
        }
        e.reset(); // keep checking that every span can be encoded
        several = true;
      }
    }
    return several ? null : EsCodec.finish(e, into != null ? into : spans, compressParts);
  }

  /**
   * Reads the stored parts of the traces not read yet: part 0 in the indices of the days around
   * their spans, then, where it is, the following numbers until one is missing. A get by ID is
   * realtime: it sees a part created a moment ago without a refresh.
   */
  private void readParts(List<TraceWrite> open) throws StoreException {
    while (true) {
      List<TraceWrite> who = new ArrayList<>();
      List<String[]> where = new ArrayList<>();
      for (TraceWrite t : open) {
        if (t.complete || t.failed) {
          continue;
        }
        if (!t.probed) {
          for (long d = t.minDay - 1; d <= t.maxDay + 1 && d - t.minDay < 8; d++) {
            who.add(t);
            where.add(new String[] {indices.daily(EsIndices.SPAN, d * DAY_MICROS),
                EsSpanDocuments.partId(t.hex, 0)});
          }
        } else {
          for (int n = t.parts; n < t.parts + READ_AHEAD && n < MAX_PARTS; n++) {
            who.add(t);
            where.add(new String[] {t.index, EsSpanDocuments.partId(t.hex, n)});
          }
        }
      }
      if (where.isEmpty()) {
        return;
      }
      MgetResponse<Void> r = client.mget("reading trace parts", where, List.of("data"),
          Void.class);
      List<MultiGetResponseItem<Void>> docs = r.docs();
      Map<TraceWrite, Boolean> missing = new IdentityHashMap<>();
      for (int i = 0; i < docs.size(); i++) {
        TraceWrite t = who.get(i);
        MultiGetResponseItem<Void> item = docs.get(i);
        if (item.isFailure()) {
          if (!"index_not_found_exception".equals(item.failure().error().type())) {
            throw new StoreException("Elasticsearch could not read " + where.get(i)[0] + "/"
                + where.get(i)[1] + ": " + EsClient.describe(item.failure().error()));
          }
          missing.put(t, true); // no index of that day yet
          continue;
        }
        GetResult<Void> g = item.result();
        if (!t.probed) {
          if (g.found() && t.index == null) {
            t.index = g.index();
            t.read(EsCodec.spans(data(g), g.index() + "/" + g.id()));
          }
        } else if (!Boolean.TRUE.equals(missing.get(t))) {
          if (g.found()) {
            t.read(EsCodec.spans(data(g), g.index() + "/" + g.id()));
          } else {
            missing.put(t, true); // the numbers after a missing one are not taken either
          }
        }
      }
      for (TraceWrite t : new LinkedHashSet<>(who)) {
        if (!t.probed) {
          t.probed = true;
          t.complete = t.index == null;
        } else if (Boolean.TRUE.equals(missing.get(t))) {
          t.complete = true;
        }
      }
    }
  }

  private static String data(GetResult<Void> g) throws StoreException {
    JsonData d = g.fields() == null ? null : g.fields().get("data");
    if (d == null) {
      throw new StoreException("stored part " + g.index() + "/" + g.id() + " has no data");
    }
    return d.to(String[].class)[0];
  }

  private EsSummaries.Delta summary(Map<String, EsUpserts.Delta> deltas, String trace) {
    return (EsSummaries.Delta) deltas.computeIfAbsent("t\0" + trace,
        k -> new EsSummaries.Delta(indices, trace));
  }

  private void countNew(Map<String, EsUpserts.Delta> deltas, EsSummaries.Delta summary,
      StoredSpan stored) {
    SpanRecord s = stored.span();
    boolean error = s.status() == StatusCode.ERROR;
    summary.add(s, error);
    long minute = Math.floorDiv(s.startMicros(), EsRollups.MINUTE) * EsRollups.MINUTE;
    String service = EsSpanDocuments.term(s.service());
    String name = EsSpanDocuments.term(s.name());
    ((EsRollups.Aggregate) deltas.computeIfAbsent(
        EsRollups.Aggregate.key(service, name, minute),
        k -> new EsRollups.Aggregate(indices, service, name, minute)))
        .add(s.durationMicros(), error);
    if (EsSpanDocuments.isCall(stored)) {
      String parent = EsSpanDocuments.term(stored.parentService());
      ((EsRollups.Dependency) deltas.computeIfAbsent(
          EsRollups.Dependency.key(parent, service, minute),
          k -> new EsRollups.Dependency(indices, parent, service, minute))).add(error);
    }
  }

  /**
   * Merges the deltas (and those an earlier failed write left) into their documents. What is
   * not written when this fails is kept for the next write: the spans it counts are stored, so
   * writing the batch again finds them present (409) and would not count them again.
   */
  private void applyDeltas(Map<String, EsUpserts.Delta> deltas) throws StoreException {
    synchronized (this) {
      if (pending != null) {
        for (Map.Entry<String, EsUpserts.Delta> e : pending.entrySet()) {
          EsUpserts.Delta older = e.getValue();
          EsUpserts.Delta newer = deltas.putIfAbsent(e.getKey(), older);
          if (newer != null) {
            absorb(newer, older);
          }
        }
        pending = null;
      }
    }
    try {
      locate(deltas);
      EsUpserts.apply(client, deltas, summaryConflicts);
    } catch (StoreException | RuntimeException e) {
      synchronized (this) {
        if (pending != null) { // another write failed meanwhile
          for (Map.Entry<String, EsUpserts.Delta> p : pending.entrySet()) {
            EsUpserts.Delta mine = deltas.putIfAbsent(p.getKey(), p.getValue());
            if (mine != null) {
              absorb(mine, p.getValue());
            }
          }
        }
        pending = deltas;
        pendingDeltas.reset();
        pendingDeltas.add(pending.size());
      }
      throw e;
    }
    synchronized (this) {
      pendingDeltas.reset();
      if (pending != null) {
        pendingDeltas.add(pending.size());
      }
    }
  }

  private static void absorb(EsUpserts.Delta newer, EsUpserts.Delta older) {
    if (newer instanceof EsSummaries.Delta n) {
      n.absorb((EsSummaries.Delta) older);
    } else if (newer instanceof EsRollups.Aggregate n) {
      n.absorb((EsRollups.Aggregate) older);
    } else {
      ((EsRollups.Dependency) newer).absorb((EsRollups.Dependency) older);
    }
  }

  /**
   * A note for a trace with no span in the batch: its summary's day is unknown, so it is searched
   * for (after a refresh of the trace indices: rare, notes come with spans).
   */
  private void locate(Map<String, EsUpserts.Delta> deltas) throws StoreException {
    List<String> unknown = new ArrayList<>();
    for (EsUpserts.Delta d : deltas.values()) {
      if (d instanceof EsSummaries.Delta s && !s.located()) {
        unknown.add(s.trace());
      }
    }
    if (unknown.isEmpty()) {
      return;
    }
    client.call("refresh", c -> c.indices().refresh(r -> r.index(indices.pattern(EsIndices.TRACE))
        .ignoreUnavailable(true).allowNoIndices(true)));
    Map<String, List<EsSummaries.Stored>> found = EsSummaries.find(client, indices, unknown);
    for (String trace : unknown) {
      List<String> where = new ArrayList<>();
      for (EsSummaries.Stored s : found.getOrDefault(trace, List.of())) {
        where.add(s.index());
      }
      EsSummaries.Delta d = (EsSummaries.Delta) deltas.get("t\0" + trace);
      if (where.isEmpty()) {
        deltas.remove("t\0" + trace); // no summary: no stored span to note
      } else {
        d.locatedIn(where);
      }
    }
  }
}
