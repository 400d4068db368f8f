package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes a batch (docs/store-elasticsearch.md, "Writes"), without refreshing any index:
 *
 * <ol>
 *   <li>Spans and log lines as bulk {@code create} operations, at most {@code bulkMaxDocuments} a
 *       request: 201 is stored, 409 (the ID exists) is already present, so the first version of a
 *       span wins and a re-pulled batch duplicates nothing. Any other refusal fails the write
 *       (nothing is dropped silently); writing the batch again is safe.
 *   <li>From the spans answered 201 only, deltas of their traces' summaries, of the per-minute
 *       aggregates and of the dependency links, merged into those documents with optimistic
 *       concurrency ({@link EsUpserts}): concurrent writers each add their own spans once.
 * </ol>
 *
 * Thread-safe: calls from several threads or processes interleave safely.
 */
final class EsWriter implements SpanWriter {
  private final EsSpanStore store;
  private final EsClient client;
  private final EsIndices indices;
  private final int bulkMaxDocuments;
  final LongAdder rejectedDocuments = new LongAdder();
  final LongAdder summaryConflicts = new LongAdder();
  /** Deltas a failed write left for the next one to apply. */
  final LongAdder pendingDeltas = new LongAdder();
  private Map<String, EsUpserts.Delta> pending;

  EsWriter(EsSpanStore store, EsClient client, EsIndices indices, int bulkMaxDocuments) {
    this.store = store;
    this.client = client;
    this.indices = indices;
    this.bulkMaxDocuments = bulkMaxDocuments;
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
    List<BulkOperation> ops = new ArrayList<>();
    List<String> what = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    int present = 0;
    List<StoredSpan> spanOf = new ArrayList<>();
    List<StoredSpan> repeated = new ArrayList<>();
    for (StoredSpan s : batch.spans()) {
      SpanRecord span = s.span();
      String id = EsSpanDocuments.spanId(span);
      if (!seen.add(id)) {
        present++; // repeated inside the batch
        repeated.add(s);
        continue;
      }
      spanOf.add(s);
      String data = EsCodec.encode(span);
      if (data == null) {
        throw new StoreException("span " + span.traceIdHex() + "/" + span.spanIdHex()
            + " cannot be encoded (a record is at most 1 MiB, docs/format.md): batch not stored");
      }
      String index = indices.daily(EsIndices.SPAN, span.startMicros());
      Map<String, Object> doc = EsSpanDocuments.span(s, data);
      ops.add(BulkOperation.of(o -> o.create(c -> c.index(index).id(id).document(doc))));
      what.add("span " + span.traceIdHex() + "/" + span.spanIdHex());
    }
    int spanOps = ops.size();
    boolean[] isNew = new boolean[spanOps];
    for (LogRecord l : batch.logs()) {
      String id = EsSpanDocuments.logId(l);
      if (!seen.add(id)) {
        continue;
      }
      String data = EsCodec.encode(l);
      if (data == null) {
        throw new StoreException("log line of trace " + l.traceIdHex()
            + " cannot be encoded (a record is at most 1 MiB): batch not stored");
      }
      String index = indices.daily(EsIndices.LOG, l.timeMicros());
      Map<String, Object> doc = EsSpanDocuments.log(l, data);
      ops.add(BulkOperation.of(o -> o.create(c -> c.index(index).id(id).document(doc))));
      what.add("log line " + id);
    }

    int stored = 0;
    int logs = 0;
    List<String> refused = new ArrayList<>();
    for (int from = 0; from < ops.size(); from += bulkMaxDocuments) {
      int to = Math.min(ops.size(), from + bulkMaxDocuments);
      List<BulkResponseItem> items =
          client.bulk("spans and log lines", ops.subList(from, to), Refresh.False);
      for (int k = 0; k < items.size(); k++) {
        BulkResponseItem item = items.get(k);
        boolean span = from + k < spanOps;
        if (item.status() == 201) {
          if (span) {
            isNew[from + k] = true;
            stored++;
          } else {
            logs++;
          }
        } else if (item.status() == 409) {
          if (span) {
            present++;
          }
        } else {
          refused.add(what.get(from + k) + ": " + item.status() + " "
              + EsClient.describe(item.error()));
        }
      }
    }
    // Only spans stored for the first time count: a span pulled again changes nothing.
    Map<String, EsUpserts.Delta> deltas = new LinkedHashMap<>();
    for (int k = 0; k < spanOps; k++) {
      StoredSpan s = spanOf.get(k);
      EsSummaries.Delta d = summary(deltas, s.span().traceIdHex());
      if (isNew[k]) {
        countNew(deltas, d, s);
      } else {
        d.near(s.span().startMicros());
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
      throw new StoreException("Elasticsearch refused " + refused.size() + " of " + ops.size()
          + " documents, so the batch is not stored (writing it again is safe); first: "
          + refused.get(0));
    }

    return new WriteResult(stored, present, logs);
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
