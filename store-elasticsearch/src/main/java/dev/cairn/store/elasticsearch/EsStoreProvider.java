package dev.cairn.store.elasticsearch;

import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanStoreProvider;
import dev.cairn.store.StoreException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code store.type: elasticsearch}: the settings {@code store.elasticsearch.*} of the puller's and
 * the UI's configuration (docs/puller-config.md) turned into an {@link EsSpanStore}. Registered
 * for {@link java.util.ServiceLoader}.
 *
 * <pre>{@code
 * SpanStores.open("elasticsearch", Map.of("urls", "http://es1:9200,http://es2:9200"));
 * }</pre>
 */
public final class EsStoreProvider implements SpanStoreProvider {
  private static final Set<String> SETTINGS = Set.of("urls", "username", "password",
      "indexPrefix", "shards", "replicas", "retentionDays", "bulkMaxSpans");

  @Override
  public String type() {
    return "elasticsearch";
  }

  @Override
  public Set<String> settings() {
    return SETTINGS;
  }

  @Override
  public void validate(Map<String, String> settings) {
    builder(settings);
  }

  @Override
  public SpanStore open(Map<String, String> settings) throws StoreException {
    return builder(settings).build();
  }

  /** A builder from settings; checks every value as {@code build()} would, without connecting. */
  private static EsSpanStore.Builder builder(Map<String, String> s) {
    for (String key : s.keySet()) {
      if (!SETTINGS.contains(key)) {
        throw new IllegalArgumentException(key + ": not a setting of the Elasticsearch store; "
            + "known: " + new java.util.TreeSet<>(SETTINGS));
      }
    }
    String urls = s.getOrDefault("urls", "").trim();
    if (urls.isEmpty()) {
      throw new IllegalArgumentException("urls: required, e.g. http://127.0.0.1:9200 (several"
          + " separated by commas)");
    }
    List<URI> list = new ArrayList<>();
    for (String u : urls.split(",")) {
      URI uri;
      try {
        uri = URI.create(u.trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("urls: \"" + u.trim() + "\" is not a URL");
      }
      if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          || uri.getHost() == null) {
        throw new IllegalArgumentException("urls: \"" + u.trim() + "\" is not an"
            + " http(s)://host[:port] URL");
      }
      list.add(uri);
    }
    EsSpanStore.Builder b = EsSpanStore.builder(list)
        .credentials(s.getOrDefault("username", ""), s.getOrDefault("password", ""))
        .indexPrefix(s.getOrDefault("indexPrefix", "cairn"))
        .shards(integer(s, "shards", 1, 1, 1024))
        .replicas(integer(s, "replicas", 1, 0, 16))
        .retention(Duration.ofDays(integer(s, "retentionDays", 0, 0, 36_500)))
        .bulkMaxDocuments(integer(s, "bulkMaxSpans", 1000, 1, 100_000));
    if (s.getOrDefault("username", "").isEmpty() != s.getOrDefault("password", "").isEmpty()) {
      throw new IllegalArgumentException("password: username and password go together");
    }
    try {
      EsIndices.checkPrefix(s.getOrDefault("indexPrefix", "cairn"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("indexPrefix: " + e.getMessage());
    }
    return b;
  }

  private static int integer(Map<String, String> s, String key, int dflt, int min, int max) {
    String v = s.getOrDefault(key, "").trim();
    if (v.isEmpty()) {
      return dflt;
    }
    int n;
    try {
      n = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + ": \"" + v + "\" is not a whole number");
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(key + ": " + n + " is not in [" + min + ", " + max + "]");
    }
    return n;
  }
}
