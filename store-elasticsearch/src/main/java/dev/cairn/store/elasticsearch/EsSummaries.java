package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.aggregations.Aggregate;
import co.elastic.clients.elasticsearch._types.aggregations.StringTermsBucket;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.JsonData;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.StoreException;
import dev.cairn.store.TraceNote;
import dev.cairn.store.TraceSummary;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trace summaries: one readable document per trace in the trace index of its start day, kept up to
 * date by {@link Delta}s of the spans each write stored for the first time ({@link EsUpserts}).
 */
final class EsSummaries {
  /** Traces per search request. */
  private static final int CHUNK = 500;

  /** A summary document as found, with what a conditional write of it needs. */
  record Stored(String index, long seqNo, long primaryTerm, TraceSummary summary) {}

  /**
   * What one write adds to a trace's summary: its spans stored for the first time (count, start,
   * end, services, error, the earliest root) and its latest note. Merging is commutative except
   * for the note, where the later one wins, as in the embedded store.
   */
  static final class Delta implements EsUpserts.Delta {
    private final EsIndices indices;
    private final String trace;
    private final List<String> probe = new ArrayList<>();
    private long minDay = Long.MAX_VALUE;
    private long maxDay = Long.MIN_VALUE;
    private int spans;
    private long start = Long.MAX_VALUE;
    private long end = Long.MIN_VALUE;
    private final java.util.TreeSet<String> services = new java.util.TreeSet<>();
    private boolean error;
    private SpanRecord root;
    private TraceNote note;

    Delta(EsIndices indices, String trace) {
      this.indices = indices;
      this.trace = trace;
    }

    /** A span of the batch, new or not: the summary is looked for around its day. */
    void near(long startMicros) {
      long day = Math.floorDiv(startMicros, DAY_MICROS);
      minDay = Math.min(minDay, day);
      maxDay = Math.max(maxDay, day);
      probe.clear();
    }

    /** A span stored for the first time. */
    void add(SpanRecord s, boolean isError) {
      near(s.startMicros());
      spans++;
      start = Math.min(start, s.startMicros());
      end = Math.max(end, s.startMicros() + s.durationMicros());
      services.add(s.service());
      error |= isError;
      if (s.isRoot() && (root == null || earlier(s.startMicros(), s.spanId(), root))) {
        root = s;
      }
    }

    void note(TraceNote n) {
      note = n;
    }

    /** Folds an older delta of the same trace into this one (this one's note wins). */
    void absorb(Delta older) {
      if (older.minDay != Long.MAX_VALUE) {
        minDay = Math.min(minDay, older.minDay);
        maxDay = Math.max(maxDay, older.maxDay);
        probe.clear();
      }
      spans += older.spans;
      start = Math.min(start, older.start);
      end = Math.max(end, older.end);
      services.addAll(older.services);
      error |= older.error;
      if (older.root != null && (root == null
          || earlier(older.root.startMicros(), older.root.spanId(), root))) {
        root = older.root;
      }
      if (note == null) {
        note = older.note;
      }
    }

    /** No span of this trace in the batch: where its summary is must be searched for. */
    boolean located() {
      return minDay != Long.MAX_VALUE || !probe.isEmpty();
    }

    void locatedIn(List<String> indexNames) {
      probe.clear();
      probe.addAll(indexNames);
    }

    String trace() {
      return trace;
    }

    @Override
    public String id() {
      return EsSummaries.id(trace);
    }

    /**
     * The days around the batch's spans of this trace: a summary lives in the index of its
     * trace's start day, which for a trace shorter than a day is the day before, of, or after
     * any of its spans.
     */
    @Override
    public List<String> probe() {
      if (probe.isEmpty() && minDay != Long.MAX_VALUE) {
        for (long d = minDay - 1; d <= maxDay + 1 && d - minDay < 8; d++) {
          probe.add(indices.daily(EsIndices.TRACE, d * DAY_MICROS));
        }
      }
      return probe;
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> existing) {
      if (existing == null && spans == 0) {
        return null; // a note for a trace without stored spans: nothing to summarise
      }
      TraceSummary old = existing == null ? null : fromDocument(trace, existing);
      if (spans == 0 && (note == null
          || (note.complete() == old.complete() && note.warnings().equals(old.warnings())))) {
        return null;
      }
      long s = start;
      long e = end;
      int count = spans;
      java.util.TreeSet<String> names = new java.util.TreeSet<>(services);
      boolean err = error;
      String rootService = root == null ? "" : root.service();
      String rootOperation = root == null ? "" : root.name();
      long rootStart = root == null ? Long.MAX_VALUE : root.startMicros();
      String rootSpan = root == null ? "" : root.spanIdHex();
      if (old != null) {
        s = Math.min(s, old.startMicros());
        e = Math.max(e, old.startMicros() + old.durationMicros());
        count += old.spanCount();
        names.addAll(old.services());
        err |= old.error();
        String oldRoot = (String) existing.getOrDefault("rootSpan", "");
        long oldRootStart = existing.get("rootStart") instanceof Number n ? n.longValue()
            : Long.MAX_VALUE;
        if (!oldRoot.isEmpty() && (root == null || oldRootStart < rootStart
            || (oldRootStart == rootStart && Long.compareUnsigned(
                Long.parseUnsignedLong(oldRoot, 16), root.spanId()) < 0))) {
          rootService = old.rootService();
          rootOperation = old.rootOperation();
          rootStart = oldRootStart;
          rootSpan = oldRoot;
        }
      }
      boolean complete = note != null ? note.complete() : old != null && old.complete();
      List<String> warnings = note != null ? note.warnings()
          : old != null ? old.warnings() : List.of();
      TraceSummary merged = new TraceSummary(TraceId.fromHex(trace), rootService, rootOperation,
          s, e - s, count, List.copyOf(names), err, complete, warnings);
      return toDocument(merged, rootSpan.isEmpty() ? 0 : rootStart, rootSpan);
    }

    @Override
    public String target(Map<String, Object> merged) {
      return indices.daily(EsIndices.TRACE, ((Number) merged.get("start")).longValue());
    }

    private static boolean earlier(long startMicros, long spanId, SpanRecord than) {
      return startMicros < than.startMicros() || (startMicros == than.startMicros()
          && Long.compareUnsigned(spanId, than.spanId()) < 0);
    }
  }

  private static final long DAY_MICROS = 86_400_000_000L;

  private EsSummaries() {}

  /**
   * A summary's {@code _id}: the trace ID's 16 bytes in base64url, kept by Elasticsearch as those
   * 16 bytes. Summaries are found by it (an {@code ids} query), so {@code traceId} needs no index.
   */
  static String id(String traceHex) {
    TraceId t = TraceId.fromHex(traceHex);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(
        ByteBuffer.allocate(16).putLong(t.high()).putLong(t.low()).array());
  }

  /**
   * The buckets of a top-level terms aggregation; none when no index matched the pattern (then
   * Elasticsearch answers without aggregations).
   */
  static List<StringTermsBucket> buckets(SearchResponse<?> r, String name) {
    Aggregate a = r.aggregations().get(name);
    return a == null ? List.of() : a.sterms().buckets().array();
  }

  /** The stored binary {@code data} of a hit (asked for with {@code stored_fields}). */
  static String data(Hit<?> hit) throws StoreException {
    JsonData d = hit.fields().get("data");
    if (d == null) {
      throw new StoreException("stored document " + hit.index() + "/" + hit.id() + " has no data");
    }
    return d.to(String[].class)[0];
  }

  /** Every stored summary document of these traces (normally one each). */
  static Map<String, List<Stored>> find(EsClient client, EsIndices indices,
      Collection<String> traces) throws StoreException {
    Map<String, List<Stored>> out = new LinkedHashMap<>();
    List<String> all = List.copyOf(traces);
    for (int from = 0; from < all.size(); from += CHUNK) {
      List<String> ids = all.subList(from, Math.min(all.size(), from + CHUNK)).stream()
          .map(EsSummaries::id).toList();
      SearchResponse<Map> r = client.call("reading trace summaries", c -> c.search(s -> s
          .index(indices.pattern(EsIndices.TRACE)).ignoreUnavailable(true).allowNoIndices(true)
          .size(ids.size() * 2 + 10)
          .seqNoPrimaryTerm(true)
          .query(q -> q.ids(i -> i.values(ids))),
          Map.class));
      for (Hit<Map> h : r.hits().hits()) {
        TraceSummary s = fromDocument(traceOf(h.id()), h.source());
        out.computeIfAbsent(s.traceId().hex(), k -> new ArrayList<>())
            .add(new Stored(h.index(), h.seqNo(), h.primaryTerm(), s));
      }
    }
    return out;
  }

  /**
   * The summary's document; {@code rootStart} and {@code rootSpan} (not indexed) let a later
   * write decide whether a new root comes before the stored one.
   */
  static Map<String, Object> toDocument(TraceSummary s, long rootStart, String rootSpan) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("traceId", s.traceId().hex());
    doc.put("rootService", s.rootService());
    doc.put("rootOperation", s.rootOperation());
    doc.put("start", s.startMicros());
    doc.put("duration", s.durationMicros());
    doc.put("spanCount", s.spanCount());
    doc.put("services", s.services());
    doc.put("error", s.error());
    doc.put("complete", s.complete());
    doc.put("warnings", s.warnings());
    doc.put("rootStart", rootStart);
    doc.put("rootSpan", rootSpan);
    return doc;
  }

  /** The trace ID (hex) of a summary's or a trace part's {@code _id}: its first 16 bytes. */
  static String traceOf(String id) {
    ByteBuffer b = ByteBuffer.wrap(Base64.getUrlDecoder().decode(id));
    return new TraceId(b.getLong(), b.getLong()).hex();
  }

  /**
   * The summary of a document. Its {@code traceId} is not kept in {@code _source} (the
   * {@code _id} holds it), so it is given.
   */
  @SuppressWarnings("unchecked")
  static TraceSummary fromDocument(String traceHex, Map<?, ?> doc) {
    return new TraceSummary(TraceId.fromHex(traceHex),
        (String) doc.get("rootService"), (String) doc.get("rootOperation"),
        ((Number) doc.get("start")).longValue(), ((Number) doc.get("duration")).longValue(),
        ((Number) doc.get("spanCount")).intValue(), (List<String>) doc.get("services"),
        (Boolean) doc.get("error"), (Boolean) doc.get("complete"),
        (List<String>) doc.get("warnings"));
  }
}
