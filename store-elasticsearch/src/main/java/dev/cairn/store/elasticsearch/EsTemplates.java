package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch._types.mapping.TypeMapping;
import co.elastic.clients.json.JsonData;
import dev.cairn.store.StoreException;
import java.io.StringReader;

/**
 * The index templates of Cairn's three kinds of daily index, with explicit mappings
 * (docs/store-elasticsearch.md). {@code dynamic: false} everywhere: a field this version does not
 * know is kept out of the mapping instead of growing it, so attribute keys never become fields
 * (no mapping explosion, no type conflicts between services).
 */
final class EsTemplates {
  /** Bumped when a mapping changes in a way older readers cannot read. */
  static final int LAYOUT = 1;

  /**
   * Spans. Attributes are {@code tag} keywords "key=value" (values as text), so one field holds
   * every key and a long, a string and a boolean under one key never conflict. The span itself
   * is the stored binary {@code data}; {@code _source} is off because nothing reads it.
   */
  static final String SPAN_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "_source": {"enabled": false},
        "properties": {
          "traceId":       {"type": "keyword"},
          "service":       {"type": "keyword"},
          "name":          {"type": "keyword"},
          "kind":          {"type": "keyword", "index": false},
          "start":         {"type": "long"},
          "duration":      {"type": "long", "index": false},
          "end":           {"type": "long", "index": false},
          "error":         {"type": "boolean", "doc_values": false},
          "root":          {"type": "boolean", "doc_values": false},
          "parentService": {"type": "keyword", "index": false},
          "tag":           {"type": "keyword", "doc_values": false},
          "data":          {"type": "binary", "store": true}
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

  /** Trace summaries: one readable document per trace, what whole-trace search filters on. */
  static final String TRACE_MAPPING = """
      {
        "dynamic": false,
        "_meta": {"cairn.layout": %d},
        "properties": {
          "traceId":       {"type": "keyword"},
          "rootService":   {"type": "keyword", "ignore_above": 8000},
          "rootOperation": {"type": "keyword", "ignore_above": 8000},
          "start":         {"type": "long"},
          "duration":      {"type": "long"},
          "spanCount":     {"type": "integer"},
          "services":      {"type": "keyword", "ignore_above": 8000},
          "error":         {"type": "boolean"},
          "complete":      {"type": "boolean"},
          "warnings":      {"type": "keyword", "index": false, "doc_values": false}
        }
      }
      """.formatted(LAYOUT);

  static String mapping(String kind) {
    return switch (kind) {
      case EsIndices.SPAN -> SPAN_MAPPING;
      case EsIndices.LOG -> LOG_MAPPING;
      case EsIndices.TRACE -> TRACE_MAPPING;
      default -> throw new IllegalArgumentException(kind);
    };
  }

  /**
   * Puts the three templates (create or replace; they apply to indices created afterwards).
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
                  .settings(s -> s
                      .numberOfShards(Integer.toString(shards))
                      .numberOfReplicas(Integer.toString(replicas))
                      .codec("best_compression"))
                  .mappings(TypeMapping.of(m -> m.withJson(
                      new StringReader(mapping(kind))))))), retryMillis);
    }
  }

  private EsTemplates() {}
}
