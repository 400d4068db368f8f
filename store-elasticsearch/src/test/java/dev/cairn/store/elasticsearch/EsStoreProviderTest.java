package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.store.SpanStores;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EsStoreProviderTest {
  @Test
  void serviceLoader_findsTheElasticsearchStore() {
    assertTrue(SpanStores.provider("elasticsearch").isPresent());
    assertTrue(SpanStores.settings("elasticsearch").contains("bulkMaxSpans"));
  }

  @Test
  void validate_badSettings_nameTheSetting() {
    assertStartsWith("urls: required", Map.of());
    assertStartsWith("urls: \"ftp://x\" is not", Map.of("urls", "ftp://x"));
    assertStartsWith("replicas: \"one\" is not a whole number",
        Map.of("urls", "http://127.0.0.1:9200", "replicas", "one"));
    assertStartsWith("shards: 0 is not in", Map.of("urls", "http://h:9200", "shards", "0"));
    assertStartsWith("indexPrefix: ", Map.of("urls", "http://h:9200", "indexPrefix", "Cairn"));
    assertStartsWith("password: ", Map.of("urls", "http://h:9200", "username", "cairn"));
    assertStartsWith("shard: not a setting", Map.of("urls", "http://h:9200", "shard", "1"));
    SpanStores.validate("elasticsearch", Map.of("urls", "http://a:9200, https://b",
        "retentionDays", "7", "bulkMaxSpans", "500"));
  }

  private static void assertStartsWith(String start, Map<String, String> settings) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SpanStores.validate("elasticsearch", settings));
    assertTrue(e.getMessage().startsWith(start), e.getMessage());
  }
}
