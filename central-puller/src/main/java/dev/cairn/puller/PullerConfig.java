package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import dev.cairn.core.internal.ConfigSources;
import dev.cairn.core.internal.ConfigSources.Raw;
import dev.cairn.core.internal.ConfigSources.Source;
import dev.cairn.core.internal.ConfigValues;
import dev.cairn.store.SpanStores;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The puller daemon's configuration: the one place that reads {@code puller.yaml}, then the
 * environment ({@code CAIRN_PULLER_<KEY>}), then system properties ({@code -Dcairn.puller.<key>}),
 * then {@code --set key=value} flags, each overriding the one before. Every key, its syntax and
 * its default are in docs/puller-config.md.
 *
 * <pre>{@code
 * PullerConfig config = PullerConfig.load(Path.of("puller.yaml"), List.of("pull.concurrency=4"));
 * try (Puller puller = Puller.start(config)) { ... }
 * }</pre>
 *
 * <p>Loading fails fast: an unknown key, a bad value or a missing required key throws {@link
 * ConfigException} naming the key and where it was set. {@link #reload()} reads the same sources
 * again; the puller uses it to pick up a changed host list without a restart.
 *
 * <p>The shared secret is never part of {@link #toString()}, {@link #describe()} or any message.
 */
public final class PullerConfig {
  /** Prefix of environment variables: {@code store.path} is {@code CAIRN_PULLER_STORE_PATH}. */
  public static final String ENV_PREFIX = "CAIRN_PULLER_";
  /** Prefix of system properties: {@code store.path} is {@code -Dcairn.puller.store.path}. */
  public static final String PROPERTY_PREFIX = "cairn.puller.";

  static final String DEFAULT_HTTP = "127.0.0.1:7392";
  static final int MIN_SECRET_BYTES = 16;
  static final int MAX_SECRET_BYTES = 4096;

  /** Every key, in the order of docs/puller-config.md. */
  static final List<String> KEYS = List.of(
      "hosts", "auth.secret", "auth.secretFile", "tls.ca",
      "store.type", "store.path",
      "store.elasticsearch.urls", "store.elasticsearch.username", "store.elasticsearch.password",
      "store.elasticsearch.indexPrefix", "store.elasticsearch.shards",
      "store.elasticsearch.replicas", "store.elasticsearch.retentionDays",
      "store.elasticsearch.bulkMaxSpans",
      "state",
      "pull.maxBytes", "pull.maxWaitMillis", "pull.concurrency", "pull.bytesPerSecond",
      "backoff.initialMillis", "backoff.maxMillis",
      "assembly.quietMillis", "assembly.maxWaitMillis", "assembly.gapFetchMillis",
      "assembly.maxHeldRecords",
      "http");

  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");

  /**
   * One shipper to pull from.
   *
   * @param name the name cursors and metrics are kept under (unique in the list)
   * @param host the shipper's host name or address
   * @param port the shipper's pull port
   */
  public record Host(String name, String host, int port) {
    public Host {
      requireNonNull(name, "name");
      requireNonNull(host, "host");
    }

    /** {@code host:port}, brackets around IPv6. */
    public String address() {
      return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
      return name + "@" + address();
    }
  }

  private final Path file;
  private final List<String> sets;
  private final Map<String, String> env;
  private final Map<String, String> props;

  private final List<Host> hosts;
  private final byte[] authSecret;
  private final String authSecretOrigin;
  private final Path tlsCa;
  private final String storeType;
  private final Path storePath;
  private final Map<String, String> storeSettings;
  private final Path state;
  private final int pullMaxBytes;
  private final int pullMaxWaitMillis;
  private final int pullConcurrency;
  private final long pullBytesPerSecond;
  private final long backoffInitialMillis;
  private final long backoffMaxMillis;
  private final long assemblyQuietMillis;
  private final long assemblyMaxWaitMillis;
  private final long assemblyGapFetchMillis;
  private final int assemblyMaxHeldRecords;
  private final InetSocketAddress http;

  private PullerConfig(Loader l, Path file, List<String> sets, Map<String, String> env, Map<String, String> props) {
    this.file = file;
    this.sets = List.copyOf(sets);
    this.env = Map.copyOf(env);
    this.props = Map.copyOf(props);
    hosts = List.copyOf(l.hosts);
    authSecret = l.authSecret;
    authSecretOrigin = l.authSecretOrigin;
    tlsCa = l.tlsCa;
    storeType = l.storeType;
    storePath = l.storePath;
    storeSettings = Map.copyOf(l.storeSettings);
    state = l.state;
    pullMaxBytes = l.pullMaxBytes;
    pullMaxWaitMillis = l.pullMaxWaitMillis;
    pullConcurrency = l.pullConcurrency;
    pullBytesPerSecond = l.pullBytesPerSecond;
    backoffInitialMillis = l.backoffInitialMillis;
    backoffMaxMillis = l.backoffMaxMillis;
    assemblyQuietMillis = l.assemblyQuietMillis;
    assemblyMaxWaitMillis = l.assemblyMaxWaitMillis;
    assemblyGapFetchMillis = l.assemblyGapFetchMillis;
    assemblyMaxHeldRecords = l.assemblyMaxHeldRecords;
    http = l.http;
  }

  /**
   * Loads the configuration from {@code file} (null: none), this process's environment and system
   * properties, and {@code sets} ({@code key=value} from {@code --set}), later sources overriding
   * earlier ones.
   *
   * @throws ConfigException naming the key and its source when anything is wrong
   */
  public static PullerConfig load(Path file, List<String> sets) {
    Map<String, String> props = new LinkedHashMap<>();
    System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
    return load(file, sets, System.getenv(), props);
  }

  /** {@link #load(Path, List)} with the environment and system properties given explicitly. */
  public static PullerConfig load(Path file, List<String> sets, Map<String, String> env,
      Map<String, String> systemProperties) {
    Loader l = new Loader();
    if (file != null) {
      l.readFile(file);
    }
    l.readEnv(env);
    l.readProperties(systemProperties);
    l.readSets(sets);
    l.build();
    return new PullerConfig(l, file, sets, env, systemProperties);
  }

  /** Reads the same sources again (the file as it is now). */
  public PullerConfig reload() {
    return load(file, sets, env, props);
  }

  /** The configuration file, if one was given. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  /** The environment variable that sets {@code key}: dots become underscores, upper case. */
  public static String envName(String key) {
    return ConfigSources.envName(ENV_PREFIX, key);
  }

  /** The shippers to pull from, in the order given. */
  public List<Host> hosts() {
    return hosts;
  }

  /** The shared secret; a copy. Never log it. */
  byte[] authSecret() {
    return authSecret.clone();
  }

  /** PEM file of the CA that signed the shippers' certificates; empty: plain TCP. */
  public Optional<Path> tlsCa() {
    return Optional.ofNullable(tlsCa);
  }

  public String storeType() {
    return storeType;
  }

  /** The embedded store's directory; null with another store type. */
  public Path storePath() {
    return storePath;
  }

  /**
   * The settings of a store other than the embedded one, by setting name without the
   * {@code store.<type>.} prefix (for {@link dev.cairn.store.SpanStores#open}).
   */
  public Map<String, String> storeSettings() {
    return storeSettings;
  }

  /** Directory of the cursor file. */
  public Path state() {
    return state;
  }

  public int pullMaxBytes() {
    return pullMaxBytes;
  }

  public int pullMaxWaitMillis() {
    return pullMaxWaitMillis;
  }

  /** Hosts pulled at the same time (the Quartz thread pool). */
  public int pullConcurrency() {
    return pullConcurrency;
  }

  /** Block bytes per second across all hosts; 0 = unlimited. */
  public long pullBytesPerSecond() {
    return pullBytesPerSecond;
  }

  public long backoffInitialMillis() {
    return backoffInitialMillis;
  }

  public long backoffMaxMillis() {
    return backoffMaxMillis;
  }

  public long assemblyQuietMillis() {
    return assemblyQuietMillis;
  }

  public long assemblyMaxWaitMillis() {
    return assemblyMaxWaitMillis;
  }

  public long assemblyGapFetchMillis() {
    return assemblyGapFetchMillis;
  }

  public int assemblyMaxHeldRecords() {
    return assemblyMaxHeldRecords;
  }

  /** Where {@code /metrics} and {@code /health} are served. */
  public InetSocketAddress http() {
    return http;
  }

  /** The effective configuration, one {@code key = value} per entry, the secret replaced by where it came from. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("hosts", hosts.toString());
    m.put("auth", authSecretOrigin);
    m.put("tls.ca", tlsCa == null ? "off" : tlsCa.toString());
    m.put("store.type", storeType);
    if (storePath != null) {
      m.put("store.path", storePath.toString());
    }
    storeSettings.forEach((k, v) -> m.put("store." + storeType + "." + k,
        k.equals("password") ? "(set)" : v));
    m.put("state", state.toString());
    m.put("pull.maxBytes", Integer.toString(pullMaxBytes));
    m.put("pull.maxWaitMillis", Integer.toString(pullMaxWaitMillis));
    m.put("pull.concurrency", Integer.toString(pullConcurrency));
    m.put("pull.bytesPerSecond", pullBytesPerSecond == 0 ? "unlimited" : Long.toString(pullBytesPerSecond));
    m.put("backoff.initialMillis", Long.toString(backoffInitialMillis));
    m.put("backoff.maxMillis", Long.toString(backoffMaxMillis));
    m.put("assembly.quietMillis", Long.toString(assemblyQuietMillis));
    m.put("assembly.maxWaitMillis", Long.toString(assemblyMaxWaitMillis));
    m.put("assembly.gapFetchMillis", Long.toString(assemblyGapFetchMillis));
    m.put("assembly.maxHeldRecords", Integer.toString(assemblyMaxHeldRecords));
    m.put("http", http.getHostString() + ":" + http.getPort());
    return m;
  }

  /** The settings that need a restart to change: everything but {@code hosts}. */
  Map<String, String> restartOnly() {
    Map<String, String> m = describe();
    m.remove("hosts");
    return m;
  }

  @Override
  public String toString() {
    return "PullerConfig" + describe();
  }

  /**
   * A configuration that cannot be run: the message names the key and where it was set, e.g.
   * {@code pull.concurrency (environment variable CAIRN_PULLER_PULL_CONCURRENCY): "x" is not a whole number}.
   */
  public static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final String source;

    ConfigException(String key, String source, String problem) {
      super(key + (source.isEmpty() ? "" : " (" + source + ")") + ": " + problem);
      this.key = key;
      this.source = source;
    }

    /** The key at fault ({@code store.path}), or {@code --config} / {@code --set} for the sources themselves. */
    public String key() {
      return key;
    }

    /** Where the bad value came from. */
    public String source() {
      return source;
    }
  }

  /** Reads the sources in order, then turns raw text into typed values. */
  private static final class Loader {
    /** Reads the sources; {@code hosts} may be a YAML list. */
    private final ConfigSources sources = new ConfigSources(KEYS, ENV_PREFIX, PROPERTY_PREFIX, ConfigException::new)
        .listKey("hosts", Loader::hostItems);
    private final Map<String, Raw> raw = sources.values();

    List<Host> hosts;
    byte[] authSecret;
    String authSecretOrigin;
    Path tlsCa;
    String storeType;
    Path storePath;
    final Map<String, String> storeSettings = new LinkedHashMap<>();
    Path state;
    int pullMaxBytes;
    int pullMaxWaitMillis;
    int pullConcurrency;
    long pullBytesPerSecond;
    long backoffInitialMillis;
    long backoffMaxMillis;
    long assemblyQuietMillis;
    long assemblyMaxWaitMillis;
    long assemblyGapFetchMillis;
    int assemblyMaxHeldRecords;
    InetSocketAddress http;

    void readFile(Path file) {
      sources.readFile(file);
    }

    /** YAML list items: {@code name@host:port} or {@code {name: a, address: host:port}}. */
    private static List<String> hostItems(String key, List<?> list, Source source, ConfigSources.Problem problem) {
      List<String> items = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        Object item = list.get(i);
        String at = key + "[" + i + "]";
        if (item instanceof String s) {
          items.add(s);
        } else if (item instanceof Map<?, ?> m) {
          for (Object k : m.keySet()) {
            if (!"name".equals(k) && !"address".equals(k)) {
              throw new ConfigException(at + "." + k, source.description(), "unknown key; a host has name and address");
            }
          }
          if (!(m.get("name") instanceof String name) || name.isBlank()) {
            throw new ConfigException(at + ".name", source.description(), "required (a host is {name, address})");
          }
          if (!(m.get("address") instanceof String address) || address.isBlank()) {
            throw new ConfigException(at + ".address", source.description(), "required (host:port)");
          }
          items.add(name.strip() + "@" + address.strip());
        } else {
          throw new ConfigException(at, source.description(), "must be name@host:port or {name, address}");
        }
      }
      return items;
    }

    void readEnv(Map<String, String> env) {
      sources.readEnv(env);
    }

    void readProperties(Map<String, String> props) {
      sources.readProperties(props);
    }

    void readSets(List<String> sets) {
      sources.readSets(sets);
    }

    void build() {
      hosts();
      secret();
      tlsCa = string("tls.ca").map(s -> pem("tls.ca")).orElse(null);
      storeType = string("store.type").orElse("embedded");
      if (storeType.equals("embedded")) {
        storePath = path("store.path").orElseThrow(() -> missing("store.path", "/var/lib/cairn/store"));
        state = path("state").orElseGet(() -> storePath.resolveSibling(storePath.getFileName() + "-puller-state"));
      } else if (storeType.equals("elasticsearch")) {
        for (String key : KEYS) {
          if (key.startsWith("store.elasticsearch.")) {
            string(key).ifPresent(v -> storeSettings.put(key.substring("store.elasticsearch.".length()), v));
          }
        }
        try {
          SpanStores.validate(storeType, storeSettings);
        } catch (IllegalArgumentException e) {
          String m = e.getMessage();
          int colon = m.indexOf(": ");
          String setting = colon > 0 ? m.substring(0, colon) : "";
          throw SpanStores.settings(storeType).contains(setting)
              ? bad("store.elasticsearch." + setting, m.substring(colon + 2))
              : bad("store.type", m);
        }
        state = path("state").orElseThrow(() -> missing("state", "/var/lib/cairn/puller-state"));
      } else {
        throw bad("store.type", "\"" + storeType + "\" is not a store type: embedded or elasticsearch");
      }
      if (storePath != null && (state.equals(storePath) || state.startsWith(storePath))) {
        throw bad("state", state + " is inside store.path " + storePath + "; keep cursors apart from the store");
      }
      pullMaxBytes = (int) size("pull.maxBytes", 8 << 20, 64 << 10, 256 << 20);
      pullMaxWaitMillis = (int) integer("pull.maxWaitMillis", 5_000, 0, 600_000);
      pullConcurrency = (int) integer("pull.concurrency", 8, 1, 1024);
      pullBytesPerSecond = size("pull.bytesPerSecond", 0, 0, Long.MAX_VALUE);
      if (pullBytesPerSecond != 0 && pullBytesPerSecond < 64 << 10) {
        throw bad("pull.bytesPerSecond", pullBytesPerSecond + " is below 64KB per second (0 = unlimited)");
      }
      backoffInitialMillis = integer("backoff.initialMillis", 500, 10, 3_600_000);
      backoffMaxMillis = integer("backoff.maxMillis", 30_000, 10, 3_600_000);
      if (backoffMaxMillis < backoffInitialMillis) {
        throw bad("backoff.maxMillis", backoffMaxMillis + " is below backoff.initialMillis " + backoffInitialMillis);
      }
      assemblyQuietMillis = integer("assembly.quietMillis", 1_000, 0, 3_600_000);
      assemblyMaxWaitMillis = integer("assembly.maxWaitMillis", 30_000, 0, 86_400_000);
      assemblyGapFetchMillis = integer("assembly.gapFetchMillis", 10_000, 0, 3_600_000);
      assemblyMaxHeldRecords = (int) integer("assembly.maxHeldRecords", 1_000_000, 1_000, 100_000_000);
      http = address("http", DEFAULT_HTTP);
    }

    private void hosts() {
      Raw r = raw.get("hosts");
      List<String> items = new ArrayList<>();
      if (r != null) {
        if (r.value() instanceof List<?> l) {
          l.forEach(o -> items.add((String) o));
        } else {
          for (String s : ((String) r.value()).split(",")) {
            if (!s.isBlank()) {
              items.add(s.strip());
            }
          }
        }
      }
      hosts = new ArrayList<>();
      Set<String> names = new HashSet<>();
      for (String item : items) {
        int at = item.indexOf('@');
        if (at <= 0) {
          throw bad("hosts", "\"" + item + "\" is not name@host:port");
        }
        String name = item.substring(0, at).strip();
        if (!HOST_NAME.matcher(name).matches()) {
          throw bad("hosts", "\"" + name + "\" is not a host name (letters, digits, '.', '_', '-')");
        }
        if (!names.add(name)) {
          throw bad("hosts", "the name \"" + name + "\" is given twice");
        }
        String address = item.substring(at + 1).strip();
        String host;
        String port;
        if (address.startsWith("[") && address.contains("]:")) {
          host = address.substring(1, address.indexOf(']'));
          port = address.substring(address.indexOf("]:") + 2);
        } else {
          int colon = address.lastIndexOf(':');
          if (colon <= 0 || address.indexOf(':') != colon) {
            throw bad("hosts", "\"" + item + "\": \"" + address + "\" is not host:port");
          }
          host = address.substring(0, colon);
          port = address.substring(colon + 1);
        }
        int p;
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          throw bad("hosts", "\"" + item + "\": \"" + port + "\" is not a port");
        }
        if (p < 1 || p > 65_535) {
          throw bad("hosts", "\"" + item + "\": port " + p + " is not in 1..65535");
        }
        // Not resolved here: a host that does not resolve yet is retried with back-off like one that is down.
        hosts.add(new Host(name, host, p));
      }
    }

    private void secret() {
      Raw inline = raw.get("auth.secret");
      Raw file = raw.get("auth.secretFile");
      if (inline == null && file == null) {
        throw new ConfigException("auth.secret", "not set", "shippers authenticate pullers with a shared secret: "
            + "set auth.secretFile (a file holding it, preferred) or auth.secret");
      }
      if (inline != null && file != null) {
        throw bad("auth.secretFile", "auth.secret is set too (" + inline.source().description() + "); set only one of them");
      }
      String key = inline != null ? "auth.secret" : "auth.secretFile";
      if (inline != null) {
        authSecret = ((String) inline.value()).strip().getBytes(UTF_8);
        authSecretOrigin = "shared secret from auth.secret (" + inline.source().description() + ")";
      } else {
        Path p = path("auth.secretFile").orElseThrow();
        byte[] bytes;
        try {
          bytes = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
          throw bad(key, p + " does not exist");
        } catch (IOException e) {
          throw bad(key, "cannot read " + p + ": " + e);
        }
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r' || bytes[end - 1] == ' '
            || bytes[end - 1] == '\t')) {
          end--;
        }
        authSecret = Arrays.copyOf(bytes, end);
        Arrays.fill(bytes, (byte) 0);
        authSecretOrigin = "shared secret from auth.secretFile " + p;
      }
      if (authSecret.length < MIN_SECRET_BYTES || authSecret.length > MAX_SECRET_BYTES) {
        throw bad(key, "the secret has " + authSecret.length + " bytes; use " + MIN_SECRET_BYTES + " to "
            + MAX_SECRET_BYTES + " (e.g. `openssl rand -hex 32`), the same as the shippers'");
      }
    }

    private Path pem(String key) {
      Path p = path(key).orElseThrow();
      String text;
      try {
        text = Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1);
      } catch (NoSuchFileException e) {
        throw bad(key, p + " does not exist");
      } catch (IOException e) {
        throw bad(key, "cannot read " + p + ": " + e);
      }
      if (!text.contains("-----BEGIN CERTIFICATE-----")) {
        throw bad(key, p + " is not a PEM file with a CERTIFICATE block");
      }
      return p;
    }

    private Optional<String> string(String key) {
      Raw r = raw.get(key);
      return r == null ? Optional.empty() : Optional.of(((String) r.value()).strip());
    }

    private Optional<Path> path(String key) {
      Raw r = raw.get(key);
      if (r == null) {
        return Optional.empty();
      }
      try {
        return Optional.of(r.source().baseDir().resolve(((String) r.value()).strip()).toAbsolutePath().normalize());
      } catch (InvalidPathException e) {
        throw bad(key, "\"" + r.value() + "\" is not a path: " + e.getMessage());
      }
    }

    private long integer(String key, long dflt, long min, long max) {
      Optional<String> s = string(key);
      if (s.isEmpty()) {
        return dflt;
      }
      long v;
      try {
        v = Long.parseLong(s.get());
      } catch (NumberFormatException e) {
        throw bad(key, "\"" + s.get() + "\" is not a whole number");
      }
      if (v < min || v > max) {
        throw bad(key, v + " is not between " + min + " and " + max);
      }
      return v;
    }

    /** {@code 8MB}, {@code 512 KB}, {@code 1.5GB}, {@code 1GiB} or bytes; K, M, G, T are powers of 1024. */
    private long size(String key, long dflt, long min, long max) {
      Optional<String> s = string(key);
      if (s.isEmpty()) {
        return dflt;
      }
      long bytes;
      try {
        bytes = ConfigValues.size(s.get());
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
      if (bytes < min || bytes > max) {
        throw bad(key, "\"" + s.get() + "\" is not between " + min + " and " + max + " bytes");
      }
      return bytes;
    }

    private InetSocketAddress address(String key, String dflt) {
      try {
        return ConfigValues.hostPort(string(key).orElse(dflt));
      } catch (IllegalArgumentException e) {
        throw bad(key, e.getMessage());
      }
    }

    private ConfigException bad(String key, String problem) {
      Raw r = raw.get(key);
      return new ConfigException(key, r == null ? "default" : r.source().description(), problem);
    }

    private static ConfigException missing(String key, String example) {
      return new ConfigException(key, "not set", "required; set it in the configuration file, as "
          + envName(key) + "=" + example + " or with --set " + key + "=" + example);
    }
  }
}
