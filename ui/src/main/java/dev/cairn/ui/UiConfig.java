package dev.cairn.ui;

import dev.cairn.core.internal.ConfigSources;
import dev.cairn.core.internal.ConfigValues;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration of {@code cairn ui}: {@code ui.yaml}, then the environment
 * ({@code CAIRN_UI_<KEY>}), then system properties ({@code -Dcairn.ui.<key>}), then
 * {@code --set key=value}, each overriding the one before. Every key is in docs/ui-config.md.
 *
 * <pre>{@code
 * UiConfig c = UiConfig.load(Path.of("ui.yaml"), List.of("http=0.0.0.0:16686"));
 * try (UiServer ui = UiServer.start(c)) { ... }
 * }</pre>
 */
public final class UiConfig {
  /** Prefix of environment variables: {@code store.path} is {@code CAIRN_UI_STORE_PATH}. */
  public static final String ENV_PREFIX = "CAIRN_UI_";
  /** Prefix of system properties: {@code store.path} is {@code -Dcairn.ui.store.path}. */
  public static final String PROPERTY_PREFIX = "cairn.ui.";

  static final List<String> KEYS = List.of("http", "store.type", "store.path",
      "store.elasticsearch.urls", "store.elasticsearch.username", "store.elasticsearch.password",
      "store.elasticsearch.indexPrefix", "store.elasticsearch.shards",
      "store.elasticsearch.replicas", "store.elasticsearch.retentionDays",
      "store.elasticsearch.bulkMaxSpans", "puller.health",
      "limits.results", "limits.range", "query.threads", "query.queue");
  private static final String ES = "store.elasticsearch.";

  private final InetSocketAddress http;
  private final String storeType;
  private final Path storePath;
  private final Map<String, String> storeSettings = new LinkedHashMap<>();
  private final URI pullerHealth;
  private final int maxResults;
  private final Duration maxRange;
  private final int queryThreads;
  private final int queryQueue;

  private UiConfig(Map<String, Value> values) {
    Typed t = new Typed(values);
    http = t.address("http", "127.0.0.1:16686");
    storeType = t.text("store.type").orElse("embedded");
    if (storeType.equals("embedded")) {
      storePath = t.path("store.path")
          .orElseThrow(() -> new ConfigException("store.path", "", "required: the puller's store directory, e.g."
              + " store.path: /var/lib/cairn/store in ui.yaml, " + envName("store.path") + "=… or --store <dir>"));
    } else if (storeType.equals("elasticsearch")) {
      storePath = null;
      for (String key : KEYS) {
        if (key.startsWith(ES)) {
          t.text(key).ifPresent(v -> storeSettings.put(key.substring(ES.length()), v));
        }
      }
      try {
        dev.cairn.store.SpanStores.validate(storeType, storeSettings);
      } catch (IllegalArgumentException e) {
        // the provider names its setting first ("urls: ..."); without the module: store.type
        String m = e.getMessage();
        int colon = m.indexOf(": ");
        String setting = colon > 0 ? m.substring(0, colon) : "";
        throw storeSettings.containsKey(setting) || setting.equals("urls")
            ? t.bad(ES + setting, m.substring(colon + 2)) : t.bad("store.type", m);
      }
    } else {
      throw t.bad("store.type", "\"" + storeType + "\" is not a store type: embedded or elasticsearch");
    }
    pullerHealth = t.text("puller.health").map(s -> t.url("puller.health", s)).orElse(null);
    maxResults = (int) t.integer("limits.results", 1_000, 1, dev.cairn.store.TraceQuery.MAX_LIMIT);
    maxRange = t.duration("limits.range", Duration.ofDays(31), Duration.ofMinutes(1), Duration.ofDays(3660));
    queryThreads = (int) t.integer("query.threads", 4, 1, 256);
    queryQueue = (int) t.integer("query.queue", 64, 0, 100_000);
  }

  /**
   * Loads from {@code file} (null: none), this process's environment and system properties, and
   * {@code sets}.
   *
   * @throws ConfigException naming the key and where it was set
   */
  public static UiConfig load(Path file, List<String> sets) {
    Map<String, String> props = new LinkedHashMap<>();
    System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
    return load(file, sets, System.getenv(), props);
  }

  /** {@link #load(Path, List)} with the environment and system properties given. */
  public static UiConfig load(Path file, List<String> sets, Map<String, String> env, Map<String, String> props) {
    ConfigSources sources = new ConfigSources(KEYS, ENV_PREFIX, PROPERTY_PREFIX, ConfigException::new);
    if (file != null) {
      sources.readFile(file);
    }
    sources.readEnv(env);
    sources.readProperties(props);
    sources.readSets(sets);
    Map<String, Value> values = new LinkedHashMap<>();
    sources.values().forEach((key, raw) -> values.put(key, new Value(((String) raw.value()).strip(),
        raw.source().description(), raw.source().baseDir())));
    return new UiConfig(values);
  }

  /** The environment variable of {@code key}: dots become underscores, upper case. */
  public static String envName(String key) {
    return ConfigSources.envName(ENV_PREFIX, key);
  }

  /** Where the query server listens (default 127.0.0.1:16686). */
  public InetSocketAddress http() {
    return http;
  }

  public String storeType() {
    return storeType;
  }

  /** The embedded store's directory, opened read-only; null with another store type. */
  public Path storePath() {
    return storePath;
  }

  /**
   * The settings of a store other than the embedded one, keys without the
   * {@code store.<type>.} prefix, as {@link dev.cairn.store.SpanStores#open} takes them.
   */
  public Map<String, String> storeSettings() {
    return Map.copyOf(storeSettings);
  }

  /** A puller's {@code /health} URL, polled for the status page; empty when not configured. */
  public Optional<URI> pullerHealth() {
    return Optional.ofNullable(pullerHealth);
  }

  public int maxResults() {
    return maxResults;
  }

  public Duration maxRange() {
    return maxRange;
  }

  public int queryThreads() {
    return queryThreads;
  }

  public int queryQueue() {
    return queryQueue;
  }

  /** The effective configuration, one entry per key. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("http", ConfigValues.formatAddress(http));
    m.put("store.type", storeType);
    if (storePath != null) {
      m.put("store.path", storePath.toString());
    }
    storeSettings.forEach((k, v) -> m.put(ES + k, k.equals("password") ? "********" : v));
    m.put("puller.health", pullerHealth == null ? "" : pullerHealth.toString());
    m.put("limits.results", Integer.toString(maxResults));
    m.put("limits.range", ConfigValues.formatDuration(maxRange));
    m.put("query.threads", Integer.toString(queryThreads));
    m.put("query.queue", Integer.toString(queryQueue));
    return m;
  }

  @Override
  public String toString() {
    return "UiConfig" + describe();
  }

  /** A value as written, where, and the directory its relative paths resolve against. */
  private record Value(String text, String source, Path baseDir) {}

  /** Typed reads of the merged values, each failure naming the key and its source. */
  private record Typed(Map<String, Value> values) {
    Optional<String> text(String key) {
      return Optional.ofNullable(values.get(key)).map(Value::text);
    }

    /** A path; a relative one resolves against the YAML file's directory (the working directory for other sources). */
    Optional<Path> path(String key) {
      Value v = values.get(key);
      if (v == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(v.baseDir().resolve(v.text()).toAbsolutePath().normalize());
      } catch (InvalidPathException e) {
        throw bad(key, "\"" + v.text() + "\" is not a path");
      }
    }

    ConfigException bad(String key, String problem) {
      Value v = values.get(key);
      return new ConfigException(key, v == null ? "" : v.source(), problem);
    }

    long integer(String key, long dflt, long min, long max) {
      Optional<String> s = text(key);
      if (s.isEmpty()) {
        return dflt;
      }
      long n;
      try {
        n = Long.parseLong(s.get());
      } catch (NumberFormatException e) {
        throw bad(key, "\"" + s.get() + "\" is not a whole number");
      }
      if (n < min || n > max) {
        throw bad(key, n + " is not in " + min + ".." + max);
      }
      return n;
    }

    Duration duration(String key, Duration dflt, Duration min, Duration max) {
      Optional<String> s = text(key);
      if (s.isEmpty()) {
        return dflt;
      }
      Duration d;
      try {
        d = ConfigValues.duration(s.get());
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        throw bad(key, s.get() + " is not between " + ConfigValues.formatDuration(min) + " and "
            + ConfigValues.formatDuration(max));
      }
      return d;
    }

    InetSocketAddress address(String key, String dflt) {
      String s = text(key).orElse(dflt);
      try {
        return ConfigValues.hostPort(s);
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
    }

    URI url(String key, String s) {
      try {
        URI u = new URI(s);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw bad(key, "\"" + s + "\" is not an http(s) URL like http://127.0.0.1:7392/health");
        }
        return u;
      } catch (URISyntaxException e) {
        throw bad(key, "\"" + s + "\" is not a URL: " + e.getReason());
      }
    }
  }

  /** A configuration that cannot be run; the message names the key and where it was set. */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String key;

    ConfigException(String key, String source, String problem) {
      super(key + (source.isEmpty() ? "" : " (" + source + ")") + ": " + problem);
      this.key = key;
    }

    /** The key at fault, or {@code --config} / {@code --set} for the sources themselves. */
    public String key() {
      return key;
    }
  }
}
