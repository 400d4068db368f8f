package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.MgetResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.get.GetResult;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import dev.cairn.store.StoreException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Read-merge-write of small documents (trace summaries, per-minute aggregates, dependency links)
 * with optimistic concurrency, so any number of writers — threads or puller processes — merge
 * their deltas into one document each without losing one.
 *
 * <p>Each round reads every pending document with one realtime multi-get (a get by ID sees the
 * latest write without a refresh), merges each delta into what it read, and writes the results in
 * one bulk: {@code index} with {@code if_seq_no}/{@code if_primary_term} over a document read,
 * {@code create} where there was none. A 409 means another writer changed (or created) the
 * document first: that delta goes to the next round against the newer version.
 */
final class EsUpserts {
  /** Conflicting rounds before giving up: only a storm of writers on one document gets near. */
  private static final int MAX_ROUNDS = 50;
  /**
   * Intents a document remembers having applied ({@code w}, the latest last): a replay of an
   * intent skips the documents naming it, so a delta counts once even when its write crashed
   * after applying it, or its answer was lost.
   */
  static final int REMEMBERED_INTENTS = 16;

  /** A change to one document. */
  interface Delta {
    /** The document's {@code _id}. */
    String id();

    /** The indices where the document may be now (normally one). */
    List<String> probe();

    /**
     * The document with this delta merged into {@code existing} (null when there is none);
     * null when there is nothing to write.
     */
    Map<String, Object> apply(Map<String, Object> existing);

    /** The index the merged document belongs in. */
    String target(Map<String, Object> merged);
  }

  /** A document as read, with what a conditional write over it needs. */
  record Found(String index, long seqNo, long primaryTerm, Map<String, Object> source) {}

  private EsUpserts() {}

  /**
   * Applies every delta of the write's {@code intent}, each document once: one already naming
   * the intent is left as it is. On return each one is written; on a failure, {@code deltas}
   * keeps the ones not known to be written (keyed as given).
   */
  static void apply(EsClient client, Map<String, Delta> deltas, String intent, LongAdder conflicts)
      throws StoreException {
    for (int round = 0; round < MAX_ROUNDS && !deltas.isEmpty(); round++) {
      Map<String, List<Found>> found = read(client, deltas);
      List<BulkOperation> ops = new ArrayList<>();
      List<String> opKey = new ArrayList<>();
      for (Iterator<Map.Entry<String, Delta>> it = deltas.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Delta> e = it.next();
        Delta d = e.getValue();
        List<Found> olds = found.getOrDefault(e.getKey(), List.of());
        Found old = olds.isEmpty() ? null : olds.get(0);
        if (old != null && applied(old.source()).contains(intent)) {
          it.remove(); // applied before: by a write that crashed after it, or a lost answer
          continue;
        }
        Map<String, Object> doc = d.apply(old == null ? null : old.source());
        if (doc == null) {
          it.remove(); // nothing to change
          continue;
        }
        List<String> stamps = new ArrayList<>(old == null ? List.of() : applied(old.source()));
        stamps.add(intent);
        doc.put("w", stamps.subList(Math.max(0, stamps.size() - REMEMBERED_INTENTS),
            stamps.size()));
        String target = d.target(doc);
        Found same = null;
        for (Found o : olds) {
          if (o.index().equals(target)) {
            same = o;
          }
        }
        Found cond = same;
        ops.add(BulkOperation.of(o -> cond == null
            ? o.create(c -> c.index(target).id(d.id()).document(doc))
            : o.index(c -> c.index(target).id(d.id()).ifSeqNo(cond.seqNo())
                .ifPrimaryTerm(cond.primaryTerm()).document(doc))));
        opKey.add(e.getKey());
        // the document moved to another index (a trace's start moved to another day)
        for (Found o : olds) {
          if (!o.index().equals(target)) {
            ops.add(BulkOperation.of(x -> x.delete(r -> r.index(o.index()).id(d.id())
                .ifSeqNo(o.seqNo()).ifPrimaryTerm(o.primaryTerm()))));
            opKey.add(e.getKey());
          }
        }
      }
      if (ops.isEmpty()) {
        return;
      }
      List<BulkResponseItem> items = client.bulk("summaries and aggregates", ops, Refresh.False);
      Map<String, Boolean> conflicted = new LinkedHashMap<>();
      StoreException refused = null;
      for (int k = 0; k < items.size(); k++) {
        BulkResponseItem item = items.get(k);
        int status = item.status();
        if (status == 409) {
          conflicted.put(opKey.get(k), true);
        } else if (status >= 300 && !(status == 404 && item.operationType().jsonValue()
            .equals("delete"))) {
          conflicted.put(opKey.get(k), true); // kept for a later write, as a conflict is
          if (refused == null) {
            refused = new StoreException("Elasticsearch refused " + item.index() + "/"
                + item.id() + ": " + status + " " + EsClient.describe(item.error())
                + " (the spans are stored; the next write applies it again)");
          }
        }
      }
      deltas.keySet().retainAll(conflicted.keySet());
      if (refused != null) {
        throw refused;
      }
      conflicts.add(deltas.size());
    }
    if (!deltas.isEmpty()) {
      throw new StoreException(deltas.size() + " summaries or aggregates kept changing under other"
          + " writers for " + MAX_ROUNDS + " rounds; the next write applies them again");
    }
  }

  /** The intents a document names as applied. */
  @SuppressWarnings("unchecked")
  private static List<String> applied(Map<String, Object> source) {
    Object w = source.get("w");
    return w instanceof List<?> l ? (List<String>) l : List.of();
  }

  /** Every probed location of every delta, by one realtime multi-get. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Map<String, List<Found>> read(EsClient client, Map<String, Delta> deltas)
      throws StoreException {
    List<String> keys = new ArrayList<>();
    List<String[]> where = new ArrayList<>();
    for (Map.Entry<String, Delta> e : deltas.entrySet()) {
      for (String index : e.getValue().probe()) {
        keys.add(e.getKey());
        where.add(new String[] {index, e.getValue().id()});
      }
    }
    Map<String, List<Found>> out = new LinkedHashMap<>();
    if (where.isEmpty()) {
      return out;
    }
    MgetResponse<Map> r = client.mget("reading summaries and aggregates", where, List.of(),
        Map.class);
    List<MultiGetResponseItem<Map>> docs = r.docs();
    for (int i = 0; i < docs.size(); i++) {
      MultiGetResponseItem<Map> item = docs.get(i);
      if (item.isFailure()) {
        String type = item.failure().error().type();
        if ("index_not_found_exception".equals(type)) {
          continue; // no document of that day yet
        }
        throw new StoreException("Elasticsearch could not read " + where.get(i)[0] + "/"
            + where.get(i)[1] + ": " + EsClient.describe(item.failure().error()));
      }
      GetResult<Map> g = item.result();
      if (g.found()) {
        out.computeIfAbsent(keys.get(i), k -> new ArrayList<>()).add(new Found(g.index(),
            g.seqNo(), g.primaryTerm(), (Map<String, Object>) g.source()));
      }
    }
    return out;
  }
}
