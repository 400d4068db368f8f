package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;
import co.elastic.clients.elasticsearch.indices.GetMappingResponse;
import co.elastic.clients.elasticsearch.indices.SegmentSortOrder;
import co.elastic.clients.elasticsearch.indices.get_mapping.IndexMappingRecord;
import co.elastic.clients.json.JsonData;
import dev.cairn.store.StoreException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The index templates of Cairn's kinds of daily index, with explicit mappings
 * (docs/store-elasticsearch.md). {@code dynamic: false} everywhere: a field this version does not
 * know is kept out of the mapping instead of growing it, so attribute keys never become fields
 * (no mapping explosion, no type conflicts between services).
 */
final class EsTemplates {
  /**
   * Bumped when a mapping changes in a way older readers cannot read. 1: one document per span;
   * 2: one document per trace part.
   */
  static final int LAYOUT = 2;

  /**
   * Trace parts: what one write adds to one trace, its spans as one block in the stored binary
   * {@code data}, with each distinct value a search looks for indexed once per part. The trace
   * is in the {@code _id} (trace ID and part number), so parts need no trace ID field. Attributes
   * are {@code tag} keywords "key=value" (values as text), so one field holds every key and a
   * long, a string and a boolean under one key never conflict. {@code _source} is off: nothing
   * reads it.
   */
  static final String SPAN_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "_source": {"enabled": false},
        "properties": {
          "service": {"type": "keyword"},
          "name":    {"type": "keyword", "doc_values": false},
          "op":      {"type": "keyword", "index": false},
          "start":   {"type": "long"},
          "last":    {"type": "long"},
          "call":    {"type": "boolean", "doc_values": false},
          "tag":     {"type": "keyword", "doc_values": false},
          "data":    {"type": "binary", "store": true},
          "w":       {"type": "keyword", "index": false, "doc_values": false, "store": true}
        }
      }
      """.formatted(LAYOUT);

  /** Log lines written inside spans: found by trace only. */
  static final String LOG_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "_source": {"enabled": false},
        "properties": {
          "traceId": {"type": "keyword", "doc_values": false},
          "data":    {"type": "binary", "store": true}
        }
      }
      """.formatted(LAYOUT);

  /**
   * Trace summaries: one readable document per trace, what whole-trace search filters on. Found
   * by {@code _id} (the trace ID's bytes): {@code traceId} only sorts (doc values) and is left
   * out of {@code _source}.
   */
  static final String TRACE_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "_source": {"excludes": ["traceId"]},
        "properties": {
          "traceId":       {"type": "keyword", "index": false},
          "rootService":   {"type": "keyword", "ignore_above": 8000},
          "rootOperation": {"type": "keyword", "ignore_above": 8000},
          "start":         {"type": "long"},
          "duration":      {"type": "long"},
          "spanCount":     {"type": "integer"},
          "services":      {"type": "keyword", "ignore_above": 8000},
          "error":         {"type": "boolean"},
          "complete":      {"type": "boolean"},
          "warnings":      {"type": "keyword", "index": false, "doc_values": false},
          "rootStart":     {"type": "long", "index": false, "doc_values": false},
          "rootSpan":      {"type": "keyword", "index": false, "doc_values": false},
          "w":             {"type": "keyword", "index": false, "doc_values": false}
        }
      }
      """.formatted(LAYOUT);

  /**
   * Per (service, operation, minute): counts, maximum and the latency histogram (bucket lower
   * bounds and their counts, read from {@code _source}; not indexed).
   */
  static final String AGG_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "properties": {
          "service":   {"type": "keyword", "doc_values": false},
          "operation": {"type": "keyword", "doc_values": false},
          "minute":    {"type": "long", "doc_values": false},
          "count":     {"type": "long", "index": false, "doc_values": false},
          "errors":    {"type": "long", "index": false, "doc_values": false},
          "max":       {"type": "long", "index": false, "doc_values": false},
          "latency":   {"type": "object", "enabled": false},
          "w":         {"type": "keyword", "index": false, "doc_values": false}
        }
      }
      """.formatted(LAYOUT);

  /** Per (parent service, child service, minute): calls and errors, summed by aggregations. */
  static final String DEP_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "properties": {
          "parent": {"type": "keyword"},
          "child":  {"type": "keyword"},
          "minute": {"type": "long", "doc_values": false},
          "calls":  {"type": "long", "index": false},
          "errors": {"type": "long", "index": false},
          "w":      {"type": "keyword", "index": false, "doc_values": false}
        }
      }
      """.formatted(LAYOUT);

  /**
   * A write's intent (docs/store-elasticsearch.md, "Writes"): read from {@code _source} by ID or
   * by a search of every intent; nothing in it is searched for.
   */
  static final String INTENT_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "properties": {
          "state": {"type": "keyword", "index": false, "doc_values": false}
        }
      }
      """.formatted(LAYOUT);

  /**
   * How stale another process's reads may be (a UI beside a puller): set explicitly, so a shard
   * without searches does not go search-idle and skip its refreshes. The writing store itself
   * refreshes before reading what it wrote (EsSpanStore#readable).
   */
  static final String REFRESH_INTERVAL = "1s";

  static String mapping(String kind) {
    return switch (kind) {
      case EsIndices.SPAN -> SPAN_MAPPING;
      case EsIndices.LOG -> LOG_MAPPING;
      case EsIndices.TRACE -> TRACE_MAPPING;
      case EsIndices.AGG -> AGG_MAPPING;
      case EsIndices.DEP -> DEP_MAPPING;
      case EsIndices.INTENT -> INTENT_MAPPING;
      default -> throw new IllegalArgumentException(kind);
    };
  }

  /**
   * Puts the templates (create or replace; they apply to indices created afterwards).
   * Priority 200: above Elasticsearch's built-in templates (100), so a prefix such as "logs" does
   * not collide with them.
   */
  static void put(EsClient client, EsIndices indices, int shards, int replicas, long retryMillis)
      throws StoreException {
    for (String kind : EsIndices.KINDS) {
      client.call("put index template " + indices.templateName(kind), c ->
          c.indices().putIndexTemplate(b -> b
              .name(indices.templateName(kind))
              .indexPatterns(indices.pattern(kind))
              .priority(200L)
              .meta("cairn.layout", JsonData.of(LAYOUT))
              .template(t -> t
                  .settings(s -> {
                    s.numberOfShards(Integer.toString(shards))
                        .numberOfReplicas(Integer.toString(replicas))
                        .codec("best_compression")
                        .refreshInterval(r -> r.time(REFRESH_INTERVAL));
                    if (kind.equals(EsIndices.SPAN)) {
                      // latest first: what span-level searches read, a page at a time
                      s.sort(o -> o.field("last").order(SegmentSortOrder.Desc));
                    }
                    return s;
                  })
                  .mappings(TypeMapping.of(m -> m.withJson(
                      new StringReader(mapping(kind))))))), retryMillis);
    }
  }

  /**
   * Refuses span indices of this prefix that an older Cairn wrote in another layout (their
   * {@code _meta.cairn.layout}): this version would write trace parts next to single spans and
   * read neither right. An index without the marker (made by hand) is left to Elasticsearch,
   * which refuses the documents that do not fit its mapping.
   *
   * @return why this store must not write here; empty when it may
   * @throws StoreException when Elasticsearch does not answer
   */
  static Optional<String> olderLayout(EsClient client, EsIndices indices, long retryMillis)
      throws StoreException {
    GetMappingResponse r = client.call("reading the mappings of " + indices.pattern(EsIndices.SPAN),
        c -> c.indices().getMapping(g -> g.index(indices.pattern(EsIndices.SPAN))
            .ignoreUnavailable(true).allowNoIndices(true)), retryMillis);
    List<String> older = new ArrayList<>();
    int found = LAYOUT;
    for (Map.Entry<String, IndexMappingRecord> e : r.result().entrySet()) {
      Map<String, JsonData> meta = e.getValue().mappings().meta();
      JsonData layout = meta == null ? null : meta.get("cairn.layout");
      if (layout != null && layout.to(Integer.class) != LAYOUT) {
        older.add(e.getKey());
        found = layout.to(Integer.class);
      }
    }
    if (older.isEmpty()) {
      return Optional.empty();
    }
    older.sort(null);
    return Optional.of("Elasticsearch indices " + older + " hold Cairn's layout " + found
          + (found == 1 ? " (one document per span, an older Cairn)" : "")
          + "; this Cairn writes layout " + LAYOUT + " (one document per trace part) and does"
          + " not write or read next to them: delete those indices (docs/store-elasticsearch.md,"
          + " \"Layout\"), or give this Cairn another indexPrefix until retention removes them");
  }

  private EsTemplates() {}
}
