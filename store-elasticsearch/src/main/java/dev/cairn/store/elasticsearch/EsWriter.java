package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.MgetResponse;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.get.GetResult;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import co.elastic.clients.elasticsearch.core.search.Hit;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Writes a batch (docs/store-elasticsearch.md, "Writes"), without refreshing any index:
 *
 * <ol>
 *   <li>An intent document ({@link EsIntents}) naming the batch's traces and notes, created
 *       before anything else, so that a crash at any later step leaves what is needed to count
 *       the write exactly once.
 *   <li>The batch's spans, by trace, as trace parts: a writer reads the trace's stored parts
 *       (realtime gets by ID: part 0 around the spans' days, then the next numbers where part 0
 *       is), leaves out the spans they hold, and creates the rest as the next part number with
 *       bulk {@code create}. Part numbers are taken in order and a {@code create} of a number
 *       another writer took first fails with 409, so that writer reads the new part and tries the
 *       next number: a span is stored in one part only, whichever writers and batch cuts bring
 *       it, and the first version of a span wins. Log lines are one document each, created by ID
 *       (409: already present). Any other refusal fails the write (nothing is dropped silently);
 *       writing the batch again is safe.
 *   <li>The intent sealed with the parts this write created (each part names the intent).
 *   <li>From the spans this write stored only, deltas of their traces' summaries, of the
 *       per-minute aggregates and of the dependency links, merged into those documents with
 *       optimistic concurrency ({@link EsUpserts}): concurrent writers each add their own spans
 *       once, and a document that names the intent already is left alone.
 * </ol>
 *
 * A store's first write finishes the intents other writers left, and each write those of this
 * store's failed writes: their parts are counted from the stored parts, exactly once.
 *
 * Thread-safe: calls from several threads or processes interleave safely.
 */
final class EsWriter implements SpanWriter {
  private static final Logger LOG = LogManager.getLogger(EsWriter.class);
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
  private final EsIntents intents = new EsIntents();
  /** Intents of this store's failed writes, finished before its next write: ID → index. */
  private final Map<String, String> unfinished = new ConcurrentHashMap<>();
  /** Intents counted, deleted with the next intent's creation or at close: {index, ID}. */
  private final ConcurrentLinkedQueue<String[]> finished = new ConcurrentLinkedQueue<>();
  /** The intents that other, crashed, writers left were finished (before this store's writes). */
  private volatile boolean recovered;
  private final Object recovering = new Object();
  /**
   * For tests: called after each step of a write; it throws to stop the write there, as a process
   * killed there, or waits to let another store act meanwhile.
   */
  volatile Consumer<Step> afterStep;

  /** Steps of a write, after which a test may stop it. */
  enum Step { INTENT, PARTS, SEALED, HALF_APPLIED, APPLIED }

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

    recover();
    String intent = null;
    String intentIndex = null;
    long[] version = null;
    if (!traces.isEmpty() || !batch.notes().isEmpty()) {
      List<EsIntents.Trace> days = new ArrayList<>();
      for (TraceWrite t : traces.values()) {
        days.add(new EsIntents.Trace(t.hex, t.minDay, t.maxDay));
      }
      intent = intents.newId();
      intentIndex = indices.daily(EsIndices.INTENT, System.currentTimeMillis() * 1000);
      version = createIntent(intentIndex, intent,
          EsIntents.open(days, batch.notes(), System.currentTimeMillis()));
    }
    List<String> refused = new ArrayList<>();
    WriteResult result;
    boolean counted = false;
    try {
      step(Step.INTENT);
      result = storeAndCount(traces.values(), repeated, batch, logOps, logWhat, refused,
          intentIndex, intent, version);
      counted = true;
    } finally {
      if (intent != null && !counted) {
        unfinished.put(intent, intentIndex); // the next write counts it
      }
    }
    if (!refused.isEmpty()) {
      rejectedDocuments.add(refused.size());
      throw new StoreException("Elasticsearch refused " + refused.size() + " documents, so the"
          + " batch is not stored (writing it again is safe); first: " + refused.get(0));
    }
    return result;
  }

  /**
   * Stores the parts and log lines, then counts what this write created under its intent (null:
   * a batch of log lines only, nothing to count).
   */
  private WriteResult storeAndCount(Collection<TraceWrite> traces, List<StoredSpan> repeated,
      WriteBatch batch, List<BulkOperation> logOps, List<String> logWhat, List<String> refused,
      String intentIndex, String intent, long[] version) throws StoreException {
    storeParts(traces, refused, intent);
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
    step(Step.PARTS);

    // Only spans this write stored count: a span pulled again changes nothing.
    Map<String, EsUpserts.Delta> deltas = new LinkedHashMap<>();
    List<String> createdParts = new ArrayList<>();
    int stored = 0;
    int notStored = 0;
    for (TraceWrite t : traces) {
      EsSummaries.Delta d = summary(deltas, t.hex);
      Set<Long> created = new HashSet<>();
      for (StoredSpan s : t.created) {
        countNew(deltas, d, s);
        created.add(s.span().spanId());
      }
      createdParts.addAll(t.createdParts);
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
    if (intent != null) {
      // also when some documents were refused: the others are stored
      count(intentIndex, intent, version, createdParts, deltas);
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
    /** Parts this write created, "index/id" each. */
    final List<String> createdParts = new ArrayList<>();
    /** While finishing an intent: its ID, and the stored parts naming it ("index/id"). */
    String intent;
    final List<String> partsOfIntent = new ArrayList<>();
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

    void read(GetResult<Void> g) throws StoreException {
      parts++;
      for (SpanRecord s : EsCodec.spans(data(g), g.index() + "/" + g.id())) {
        stored.add(s.spanId());
      }
      JsonData w = g.fields().get("w");
      if (intent != null && w != null && intent.equals(w.to(String[].class)[0])) {
        partsOfIntent.add(g.index() + "/" + g.id());
      }
    }
  }

  private static final long DAY_MICROS = 86_400_000_000L;

  /** A part about to be created. */
  private record PartOp(TraceWrite trace, String index, String id, List<StoredSpan> spans,
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
  private void storeParts(Collection<TraceWrite> all, List<String> refused, String intent)
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
        ops.add(nextPart(t, intent));
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
      t.createdParts.add(p.index + "/" + p.id);
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

  /**
   * The trace's spans no stored part holds, as its next part (the first 1 MiB of them), naming
   * the write's intent.
   */
  private PartOp nextPart(TraceWrite t, String intent) throws StoreException {
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
    if (intent != null) {
      doc.put("w", intent);
    }
    return new PartOp(t, index, id, List.copyOf(spans),
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
      MgetResponse<Void> r = client.mget("reading trace parts", where, List.of("data", "w"),
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
            t.read(g);
          }
        } else if (!Boolean.TRUE.equals(missing.get(t))) {
          if (g.found()) {
            t.read(g);
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
   * Counts what this write created, under its intent: seals the intent with the parts created
   * (a conditional write over the version this writer created), then merges the deltas into
   * their documents. When another store took the intent over first (it found it open, as a
   * crashed writer leaves it), that store counts the parts it listed and this writer only the
   * others. On a failure the intent is left for the next write ({@link #recover}).
   */
  private void count(String index, String intent, long[] version, List<String> createdParts,
      Map<String, EsUpserts.Delta> deltas) throws StoreException {
    Map<String, Object> sealed = EsIntents.withParts(Map.of(), EsIntents.SEALED, createdParts,
        System.currentTimeMillis());
    BulkResponseItem item = client.bulk("sealing a write's intent", List.of(BulkOperation.of(
        o -> o.update(u -> u.index(index).id(intent).ifSeqNo(version[0])
            .ifPrimaryTerm(version[1]).action(x -> x.doc(sealed))))), Refresh.False).get(0);
    if (item.status() == 409) {
      EsUpserts.Found now = readIntent(index, intent);
      if (now == null || !EsIntents.state(now.source()).equals(EsIntents.SEALED)
          || !EsIntents.parts(now.source()).equals(createdParts)) {
        countRemainder(index, intent, createdParts); // another store took it over
        return;
      }
      // sealed by this very request, retried after its answer was lost
    } else if (item.status() >= 300) {
      throw new StoreException("Elasticsearch refused to seal intent " + index + "/" + intent
          + ": " + item.status() + " " + EsClient.describe(item.error())
          + " (the spans are stored; the next write counts them)");
    }
    step(Step.SEALED);
    locate(deltas);
    if (afterStep != null) { // a test stops the write with half of its documents updated
      Map<String, EsUpserts.Delta> half = new LinkedHashMap<>();
      deltas.entrySet().stream().limit((deltas.size() + 1) / 2)
          .forEach(e -> half.put(e.getKey(), e.getValue()));
      EsUpserts.apply(client, half, intent, summaryConflicts);
      step(Step.HALF_APPLIED);
    }
    EsUpserts.apply(client, deltas, intent, summaryConflicts);
    step(Step.APPLIED);
    finished.add(new String[] {index, intent});
  }

  /**
   * The parts this writer created that the store which took its intent over did not list: their
   * own intent, sealed at once, and counted.
   */
  private void countRemainder(String index, String intent, List<String> createdParts)
      throws StoreException {
    EsUpserts.Found taken = readIntent(index, intent);
    if (taken == null) {
      LOG.warn("intent {} was taken over and is gone; parts of it created after that: {}", intent,
          createdParts);
      return;
    }
    Set<String> rest = new LinkedHashSet<>(createdParts);
    rest.removeAll(EsIntents.parts(taken.source()));
    if (rest.isEmpty()) {
      return;
    }
    String id = intents.newId();
    String restIndex = indices.daily(EsIndices.INTENT, System.currentTimeMillis() * 1000);
    // with the write's traces and notes: a note applied before the trace had a summary did nothing
    createIntent(restIndex, id, EsIntents.withParts(taken.source(), EsIntents.SEALED,
        List.copyOf(rest), System.currentTimeMillis()));
    boolean counted = false;
    try {
      finish(restIndex, id, true);
      counted = true;
    } finally {
      if (!counted) {
        unfinished.put(id, restIndex);
      }
    }
  }

  /**
   * Creates a write's intent, with the deletes of intents counted since the last one in the same
   * request; the intent's version, for sealing it conditionally.
   */
  private long[] createIntent(String index, String id, Map<String, Object> doc)
      throws StoreException {
    List<BulkOperation> ops = new ArrayList<>();
    ops.add(BulkOperation.of(o -> o.create(c -> c.index(index).id(id).document(doc))));
    List<String[]> deletes = new ArrayList<>();
    for (String[] d; deletes.size() < bulkMaxDocuments && (d = finished.poll()) != null; ) {
      String[] done = d;
      deletes.add(done);
      ops.add(BulkOperation.of(o -> o.delete(x -> x.index(done[0]).id(done[1]))));
    }
    List<BulkResponseItem> items = client.bulk("a write's intent", ops, Refresh.False);
    BulkResponseItem created = items.get(0);
    if (created.status() != 201) {
      finished.addAll(deletes);
      throw new StoreException("Elasticsearch refused a write's intent " + index + "/" + id + ": "
          + created.status() + " " + EsClient.describe(created.error())
          + " (nothing of the batch is stored)");
    }
    return new long[] {created.seqNo(), created.primaryTerm()};
  }

  /**
   * Before a write: the first write of this store finishes the intents other writers left (a
   * process killed in the middle of a write), then every write finishes those of this store's
   * own failed writes.
   */
  private void recover() throws StoreException {
    if (!recovered) {
      synchronized (recovering) {
        if (!recovered) {
          for (String[] intent : leftoverIntents()) {
            finish(intent[0], intent[1], false);
          }
          recovered = true;
        }
      }
    }
    for (Map.Entry<String, String> e : List.copyOf(unfinished.entrySet())) {
      if (unfinished.remove(e.getKey(), e.getValue())) {
        boolean ok = false;
        try {
          finish(e.getValue(), e.getKey(), true);
          ok = true;
        } finally {
          if (!ok) {
            unfinished.put(e.getKey(), e.getValue());
          }
        }
      }
    }
  }

  /** Every intent in Elasticsearch (after a refresh): {index, ID} each. */
  private List<String[]> leftoverIntents() throws StoreException {
    String pattern = indices.pattern(EsIndices.INTENT);
    client.call("refresh", c -> c.indices().refresh(r -> r.index(pattern)
        .ignoreUnavailable(true).allowNoIndices(true)));
    SearchResponse<Void> r = client.call("reading intents", c -> c.search(s -> s
        .index(pattern).ignoreUnavailable(true).allowNoIndices(true)
        .size(MAX_LEFTOVER_INTENTS).source(x -> x.fetch(false))
        .sort(o -> o.field(f -> f.field("_doc"))), Void.class));
    List<String[]> out = new ArrayList<>();
    for (Hit<Void> h : r.hits().hits()) {
      out.add(new String[] {h.index(), h.id()});
    }
    return out;
  }

  /** Intents finished at a store's first write; more wait for the next store. */
  private static final int MAX_LEFTOVER_INTENTS = 10_000;

  /**
   * Counts an intent's parts exactly once, whoever else counts them too, and removes it (or, taken
   * over from a writer that may be alive, marks it done). An open intent's parts are the stored
   * parts of its traces naming it; they are listed in the intent by a conditional write first, so
   * its writer, if alive, learns which it must not count. {@code mine}: the intent is this
   * store's, of a failed write, so nobody else is still writing under it.
   */
  private void finish(String index, String id, boolean mine) throws StoreException {
    for (int attempt = 0; attempt < MAX_ROUNDS; attempt++) {
      EsUpserts.Found f = readIntent(index, id);
      if (f == null) {
        return; // finished by another store
      }
      Map<String, Object> intent = f.source();
      String state = EsIntents.state(intent);
      long now = System.currentTimeMillis();
      if (state.equals(EsIntents.DONE)) {
        if (mine) {
          countRemainder(index, id, partsOf(intent, id));
        }
        if (now - EsIntents.at(intent) > EsIntents.KEEP_DONE_MILLIS || mine) {
          deleteIntent(index, id);
        }
        return;
      }
      List<String> parts;
      boolean keep;
      if (state.equals(EsIntents.OPEN)) {
        parts = partsOf(intent, id);
        String next = mine ? EsIntents.SEALED : EsIntents.TAKEN;
        Map<String, Object> listed = EsIntents.withParts(intent, next, parts, now);
        BulkResponseItem item = client.bulk("taking an intent over", List.of(BulkOperation.of(
            o -> o.index(x -> x.index(index).id(id).ifSeqNo(f.seqNo())
                .ifPrimaryTerm(f.primaryTerm()).document(listed)))), Refresh.False).get(0);
        if (item.status() == 409) {
          continue; // its writer sealed it meanwhile
        }
        if (item.status() >= 300) {
          throw new StoreException("Elasticsearch refused intent " + index + "/" + id + ": "
              + item.status() + " " + EsClient.describe(item.error()));
        }
        keep = !mine;
      } else {
        if (mine && state.equals(EsIntents.TAKEN)) {
          countRemainder(index, id, partsOf(intent, id));
        }
        parts = EsIntents.parts(intent);
        keep = state.equals(EsIntents.TAKEN) && !mine;
      }
      Map<String, EsUpserts.Delta> deltas = deltasOf(parts, intent);
      locate(deltas);
      EsUpserts.apply(client, deltas, id, summaryConflicts);
      if (keep) {
        Map<String, Object> done = EsIntents.withParts(intent, EsIntents.DONE, parts, now);
        client.bulk("an intent counted", List.of(BulkOperation.of(
            o -> o.index(x -> x.index(index).id(id).document(done)))), Refresh.False);
      } else {
        deleteIntent(index, id);
      }
      return;
    }
    throw new StoreException("intent " + index + "/" + id + " kept changing under other writers"
        + " for " + MAX_ROUNDS + " rounds; the next write tries again");
  }

  private void deleteIntent(String index, String id) throws StoreException {
    client.bulk("deleting an intent", List.of(BulkOperation.of(
        o -> o.delete(x -> x.index(index).id(id)))), Refresh.False);
  }

  /** An intent by a realtime get, or null when there is none. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private EsUpserts.Found readIntent(String index, String id) throws StoreException {
    MgetResponse<Map> r = client.mget("reading an intent", List.<String[]>of(
        new String[] {index, id}), List.of(), Map.class);
    MultiGetResponseItem<Map> item = r.docs().get(0);
    if (item.isFailure()) {
      if ("index_not_found_exception".equals(item.failure().error().type())) {
        return null;
      }
      throw new StoreException("Elasticsearch could not read intent " + index + "/" + id + ": "
          + EsClient.describe(item.failure().error()));
    }
    GetResult<Map> g = item.result();
    return g.found() ? new EsUpserts.Found(g.index(), g.seqNo(), g.primaryTerm(),
        (Map<String, Object>) g.source()) : null;
  }

  /** The stored parts of the intent's traces that name it, "index/id" each. */
  private List<String> partsOf(Map<String, Object> intent, String id) throws StoreException {
    List<TraceWrite> traces = new ArrayList<>();
    for (EsIntents.Trace t : EsIntents.traces(intent)) {
      TraceWrite w = new TraceWrite(t.hex());
      w.minDay = t.fromDay();
      w.maxDay = t.toDay();
      w.intent = id;
      traces.add(w);
    }
    readParts(traces);
    List<String> out = new ArrayList<>();
    for (TraceWrite t : traces) {
      out.addAll(t.partsOfIntent);
    }
    return out;
  }

  /**
   * What an intent's parts add, computed from the stored parts as their writer computed it from
   * the spans it created, with the days of the write's traces and its notes.
   */
  private Map<String, EsUpserts.Delta> deltasOf(List<String> parts, Map<String, Object> intent)
      throws StoreException {
    Map<String, EsUpserts.Delta> deltas = new LinkedHashMap<>();
    for (int from = 0; from < parts.size(); from += bulkMaxDocuments) {
      List<String[]> where = new ArrayList<>();
      for (String p : parts.subList(from, Math.min(parts.size(), from + bulkMaxDocuments))) {
        where.add(p.split("/", 2));
      }
      MgetResponse<Void> r = client.mget("reading an intent's parts", where, List.of("data"),
          Void.class);
      for (MultiGetResponseItem<Void> item : r.docs()) {
        if (item.isFailure() || !item.result().found()) {
          continue; // deleted since (retention): nothing to count
        }
        GetResult<Void> g = item.result();
        EsCodec.Part part = EsCodec.part(data(g), g.index() + "/" + g.id());
        Map<Long, String> callers = new HashMap<>();
        for (EsCodec.Call c : part.calls()) {
          callers.put(c.child().spanId(), c.parentService());
        }
        String hex = EsSummaries.traceOf(g.id());
        EsSummaries.Delta summary = summary(deltas, hex);
        for (SpanRecord s : part.spans()) {
          countNew(deltas, summary, new StoredSpan(s, callers.getOrDefault(s.spanId(), "")));
        }
      }
    }
    for (EsIntents.Trace t : EsIntents.traces(intent)) {
      EsSummaries.Delta d = summary(deltas, t.hex());
      d.near(t.fromDay() * DAY_MICROS);
      d.near(t.toDay() * DAY_MICROS);
    }
    for (TraceNote n : EsIntents.notes(intent)) {
      summary(deltas, n.traceId().hex()).note(n);
    }
    return deltas;
  }

  /** Intents of this store's writes not counted yet (their writes failed). */
  int pending() {
    return unfinished.size();
  }

  /** At close: deletes the intents counted since the last write. */
  void close() {
    List<String[]> deletes = new ArrayList<>();
    for (String[] d; (d = finished.poll()) != null; ) {
      deletes.add(d);
    }
    if (deletes.isEmpty()) {
      return;
    }
    try {
      List<BulkOperation> ops = new ArrayList<>();
      for (String[] d : deletes) {
        ops.add(BulkOperation.of(o -> o.delete(x -> x.index(d[0]).id(d[1]))));
      }
      client.bulk("deleting intents", ops, Refresh.False);
    } catch (StoreException | RuntimeException e) {
      LOG.debug("deleting counted intents at close: {}", e.toString());
    }
  }

  private void step(Step step) {
    Consumer<Step> test = afterStep;
    if (test != null) {
      test.accept(step);
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
