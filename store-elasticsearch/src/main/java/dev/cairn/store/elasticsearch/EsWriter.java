package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.TraceNote;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Writes a batch in two steps (docs/store-elasticsearch.md, "Writes"):
 *
 * <ol>
 *   <li>Spans and log lines as bulk {@code create} operations, at most {@code bulkMaxDocuments} a
 *       request: 201 is stored, 409 (the ID exists) is already present, so the first version of a
 *       span wins and a re-pulled batch duplicates nothing. Any other refusal fails the write
 *       (nothing is dropped silently); writing the batch again is safe.
 *   <li>The summary of every touched trace, recomputed from all its stored spans and written with
 *       optimistic concurrency ({@code if_seq_no} or {@code create}); a conflict with another
 *       writer recomputes that trace. Reading the summary, then refreshing span indices, then
 *       aggregating, guarantees the last summary written counts every span stored before it.
 * </ol>
 *
 * Thread-safe: calls from several threads or processes interleave safely.
 */
final class EsWriter implements SpanWriter {
  /** Conflicting rounds on one trace before giving up: only a storm of writers gets near it. */
  private static final int MAX_SUMMARY_ROUNDS = 50;

  private final EsSpanStore store;
  private final EsClient client;
  private final EsIndices indices;
  private final int bulkMaxDocuments;
  final LongAdder rejectedDocuments = new LongAdder();
  final LongAdder summaryConflicts = new LongAdder();

  EsWriter(EsSpanStore store, EsClient client, EsIndices indices, int bulkMaxDocuments) {
    this.store = store;
    this.client = client;
    this.indices = indices;
    this.bulkMaxDocuments = bulkMaxDocuments;
  }

  @Override
  public WriteResult write(WriteBatch batch) throws StoreException {
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
    Set<String> touched = new LinkedHashSet<>();
    for (StoredSpan s : batch.spans()) {
      SpanRecord span = s.span();
      touched.add(span.traceIdHex());
      String id = EsSpanDocuments.spanId(span);
      if (!seen.add(id)) {
        present++; // repeated inside the batch
        continue;
      }
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
    if (!refused.isEmpty()) {
      rejectedDocuments.add(refused.size());
      throw new StoreException("Elasticsearch refused " + refused.size() + " of " + ops.size()
          + " documents, so the batch is not stored (writing it again is safe); first: "
          + refused.get(0));
    }

    Map<String, TraceNote> notes = new LinkedHashMap<>();
    for (TraceNote n : batch.notes()) {
      notes.put(n.traceId().hex(), n); // the latest note of the batch wins
      touched.add(n.traceId().hex());
    }
    if (touched.isEmpty()) {
      // only log lines: make them visible before returning
      client.call("refresh", c -> c.indices().refresh(r -> r
          .index(indices.pattern(EsIndices.LOG)).ignoreUnavailable(true).allowNoIndices(true)));
    } else {
      updateSummaries(touched, notes);
    }
    return new WriteResult(stored, present, logs);
  }

  private void updateSummaries(Set<String> touched, Map<String, TraceNote> notes)
      throws StoreException {
    Set<String> pending = touched;
    for (int round = 0; round < MAX_SUMMARY_ROUNDS; round++) {
      // 1. the summaries as they are now (refreshed, so a conflicting writer's is seen next round)
      refresh(EsIndices.TRACE);
      Map<String, List<EsSummaries.Stored>> existing =
          EsSummaries.find(client, indices, pending);
      // 2. every span whose summary write came before what we just read is now searchable
      refresh(EsIndices.SPAN, EsIndices.LOG);
      Map<String, EsSummaries.Facts> facts = EsSummaries.compute(client, indices, pending);

      List<BulkOperation> ops = new ArrayList<>();
      List<String> opTrace = new ArrayList<>();
      for (String trace : pending) {
        EsSummaries.Facts f = facts.get(trace);
        if (f == null) {
          continue; // a note for a trace without stored spans: nothing to summarise
        }
        List<EsSummaries.Stored> olds = existing.getOrDefault(trace, List.of());
        String target = indices.daily(EsIndices.TRACE, f.start());
        EsSummaries.Stored same = null;
        for (EsSummaries.Stored o : olds) {
          if (o.index().equals(target)) {
            same = o;
          }
        }
        TraceSummary previous = same != null ? same.summary()
            : olds.isEmpty() ? null : olds.get(0).summary();
        TraceSummary s = EsSummaries.merge(trace, f, notes.get(trace), previous);
        if (same != null && olds.size() == 1 && same.summary().equals(s)) {
          continue; // already says this
        }
        Map<String, Object> doc = EsSummaries.toDocument(s);
        EsSummaries.Stored cond = same;
        ops.add(BulkOperation.of(o -> cond == null
            ? o.create(c -> c.index(target).id(trace).document(doc))
            : o.index(c -> c.index(target).id(trace).ifSeqNo(cond.seqNo())
                .ifPrimaryTerm(cond.primaryTerm()).document(doc))));
        opTrace.add(trace);
        // the trace's start moved to another day: its summary moves with it
        for (EsSummaries.Stored o : olds) {
          if (!o.index().equals(target)) {
            ops.add(BulkOperation.of(x -> x.delete(d -> d.index(o.index()).id(trace)
                .ifSeqNo(o.seqNo()).ifPrimaryTerm(o.primaryTerm()))));
            opTrace.add(trace);
          }
        }
      }
      if (ops.isEmpty()) {
        return;
      }
      List<BulkResponseItem> items = client.bulk("trace summaries", ops, Refresh.True);
      Set<String> conflicts = new LinkedHashSet<>();
      for (int k = 0; k < items.size(); k++) {
        BulkResponseItem item = items.get(k);
        int status = item.status();
        if (status == 409) {
          conflicts.add(opTrace.get(k));
        } else if (status >= 300 && status != 404) {
          throw new StoreException("Elasticsearch refused the summary of trace " + opTrace.get(k)
              + ": " + status + " " + EsClient.describe(item.error())
              + " (its spans are stored; writing the batch again completes it)");
        }
      }
      if (conflicts.isEmpty()) {
        return;
      }
      summaryConflicts.add(conflicts.size());
      pending = conflicts;
    }
    throw new StoreException("the summaries of " + pending.size() + " traces kept changing under"
        + " other writers for " + MAX_SUMMARY_ROUNDS + " rounds; writing the batch again is safe");
  }

  private void refresh(String... kinds) throws StoreException {
    List<String> patterns = new ArrayList<>();
    for (String k : kinds) {
      patterns.add(indices.pattern(k));
    }
    client.call("refresh", c -> c.indices().refresh(r -> r
        .index(patterns).ignoreUnavailable(true).allowNoIndices(true)));
  }
}
