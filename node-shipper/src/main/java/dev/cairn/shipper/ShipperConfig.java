package dev.cairn.shipper;

import dev.cairn.core.internal.ConfigSources;
import dev.cairn.core.internal.ConfigValues;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The shipper daemon's configuration: the one place that reads {@code shipper.yaml}, then the
 * environment ({@code CAIRN_SHIPPER_<KEY>}), then system properties ({@code -Dcairn.shipper.<key>}),
 * then {@code --set key=value} flags, each overriding the one before. Every key, its syntax and
 * its default are in docs/shipper-config.md.
 *
 * <pre>{@code
 * ShipperConfig config = ShipperConfig.load(Path.of("shipper.yaml"), List.of("listen=0.0.0.0:7390"));
 * try (Shipper shipper = Shipper.start(config)) { ... }
 * }</pre>
 *
 * <p>Loading fails fast: an unknown key, a bad value, a missing required key or a contradiction
 * between keys throws {@link ConfigException} naming the key and where it was set. Problems that
 * do not stop the daemon (a replica on the same disk as the primary) are {@link #warnings()}.
 *
 * <p>The shared secret is never part of {@link #toString()}, {@link #describe()} or any message.
 */
public final class ShipperConfig {
  /** Prefix of environment variables: {@code journal.primary} is {@code CAIRN_SHIPPER_JOURNAL_PRIMARY}. */
  public static final String ENV_PREFIX = "CAIRN_SHIPPER_";
  /** Prefix of system properties: {@code journal.primary} is {@code -Dcairn.shipper.journal.primary}. */
  public static final String PROPERTY_PREFIX = "cairn.shipper.";

  static final String DEFAULT_LISTEN = "127.0.0.1:7390";
  static final String DEFAULT_HTTP = "127.0.0.1:7391";
  static final Duration DEFAULT_ROLL_CYCLE = Duration.ofHours(1);
  static final Duration DEFAULT_MAX_AGE = Duration.ofHours(72);
  static final long DEFAULT_MAX_SIZE = 10L << 30;
  static final long DEFAULT_SCAN_INTERVAL_MILLIS = 250;
  static final long DEFAULT_IDLE_FINISH_MILLIS = 300_000;
  static final int DEFAULT_MAX_OPEN_FILES = 256;
  static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
  static final int DEFAULT_MAX_BATCH_BYTES = 8 << 20;
  static final long DEFAULT_MAX_WAIT_MILLIS = 30_000;
  static final int DEFAULT_MAX_CONNECTIONS = 256;

  static final int MIN_SECRET_BYTES = 16;
  static final int MAX_SECRET_BYTES = 4096;
  /** Cycle lengths a Chronicle Queue can roll at. */
  static final List<Duration> ROLL_CYCLES = List.of(Duration.ofMinutes(5), Duration.ofMinutes(10),
      Duration.ofMinutes(20), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2),
      Duration.ofHours(4), Duration.ofHours(6), Duration.ofDays(1));

  /** Every key, in the order of docs/shipper-config.md. */
  static final List<String> KEYS = List.of(
      "name", "spans",
      "journal.primary", "journal.replica", "journal.rollCycle", "state",
      "retention.maxAge", "retention.maxSize",
      "listen", "auth.secret", "auth.secretFile", "tls.cert", "tls.key",
      "http",
      "scanIntervalMillis", "idleFinishMillis", "maxOpenFiles", "checkWriterProcess",
      "pull.maxFrameBytes", "pull.maxBatchBytes", "pull.maxWaitMillis",
      "pull.maxConnections");

  private final String name;
  private final List<String> spans;
  private final Path journalPrimary;
  private final Path journalReplica;
  private final Duration journalRollCycle;
  private final Path state;
  private final Duration retentionMaxAge;
  private final long retentionMaxBytes;
  private final InetSocketAddress listen;
  private final byte[] authSecret;
  private final String authSecretOrigin;
  private final Path tlsCert;
  private final Path tlsKey;
  private final InetSocketAddress http;
  private final long scanIntervalMillis;
  private final long idleFinishMillis;
  private final int maxOpenFiles;
  private final boolean checkWriterProcess;
  private final int pullMaxFrameBytes;
  private final int pullMaxBatchBytes;
  private final long pullMaxWaitMillis;
  private final int pullMaxConnections;
  private final List<String> warnings;

  private ShipperConfig(ConfigLoader l) {
    this.name = l.name;
    this.spans = List.copyOf(l.spans);
    this.journalPrimary = l.journalPrimary;
    this.journalReplica = l.journalReplica;
    this.journalRollCycle = l.journalRollCycle;
    this.state = l.state;
    this.retentionMaxAge = l.retentionMaxAge;
    this.retentionMaxBytes = l.retentionMaxBytes;
    this.listen = l.listen;
    this.authSecret = l.authSecret;
    this.authSecretOrigin = l.authSecretOrigin;
    this.tlsCert = l.tlsCert;
    this.tlsKey = l.tlsKey;
    this.http = l.http;
    this.scanIntervalMillis = l.scanIntervalMillis;
    this.idleFinishMillis = l.idleFinishMillis;
    this.maxOpenFiles = l.maxOpenFiles;
    this.checkWriterProcess = l.checkWriterProcess;
    this.pullMaxFrameBytes = l.pullMaxFrameBytes;
    this.pullMaxBatchBytes = l.pullMaxBatchBytes;
    this.pullMaxWaitMillis = l.pullMaxWaitMillis;
    this.pullMaxConnections = l.pullMaxConnections;
    this.warnings = List.copyOf(l.warnings);
  }

  /**
   * Loads the configuration from {@code file} (null: none), this process's environment and system
   * properties, and {@code sets} ({@code key=value} from {@code --set}), later sources overriding
   * earlier ones.
   *
   * @throws ConfigException naming the key and its source when anything is wrong
   */
  public static ShipperConfig load(Path file, List<String> sets) {
    Map<String, String> props = new LinkedHashMap<>();
    System.getProperties().forEach((k, v) -> props.put(String.valueOf(k), String.valueOf(v)));
    return load(file, sets, System.getenv(), props);
  }

  /** {@link #load(Path, List)} with the environment and system properties given explicitly. */
  public static ShipperConfig load(Path file, List<String> sets, Map<String, String> env,
      Map<String, String> systemProperties) {
    ConfigLoader l = new ConfigLoader();
    if (file != null) {
      l.readFile(file);
    }
    l.readEnv(env);
    l.readProperties(systemProperties);
    l.readSets(sets);
    l.build();
    return new ShipperConfig(l);
  }

  /** The environment variable that sets {@code key}: dots become underscores, upper case. */
  public static String envName(String key) {
    return ConfigSources.envName(ENV_PREFIX, key);
  }

  /** This shipper's name (pullers show it; default the host name). */
  public String name() {
    return name;
  }

  /** Globs of the span files or directories to ship, absolute. */
  public List<String> spans() {
    return spans;
  }

  public Path journalPrimary() {
    return journalPrimary;
  }

  public Path journalReplica() {
    return journalReplica;
  }

  /** How much time one journal cycle file covers; retention deletes whole cycles. */
  public Duration journalRollCycle() {
    return journalRollCycle;
  }

  /** Directory of the checkpoint, the trace index and the pullers' high-water mark. */
  public Path state() {
    return state;
  }

  public Duration retentionMaxAge() {
    return retentionMaxAge;
  }

  public long retentionMaxBytes() {
    return retentionMaxBytes;
  }

  /** Where the pull server listens. */
  public InetSocketAddress listen() {
    return listen;
  }

  /** The shared secret pullers prove they know; a copy. Never log it. */
  byte[] authSecret() {
    return authSecret.clone();
  }

  public Optional<Path> tlsCert() {
    return Optional.ofNullable(tlsCert);
  }

  public Optional<Path> tlsKey() {
    return Optional.ofNullable(tlsKey);
  }

  /** Where {@code /metrics} and {@code /health} are served. */
  public InetSocketAddress http() {
    return http;
  }

  public long scanIntervalMillis() {
    return scanIntervalMillis;
  }

  public long idleFinishMillis() {
    return idleFinishMillis;
  }

  /** Span file descriptors the tailer holds open at most. */
  public int maxOpenFiles() {
    return maxOpenFiles;
  }

  /** Whether a span file's writer on this host is checked by pid (false when pid namespaces differ). */
  public boolean checkWriterProcess() {
    return checkWriterProcess;
  }

  public int pullMaxFrameBytes() {
    return pullMaxFrameBytes;
  }

  public int pullMaxBatchBytes() {
    return pullMaxBatchBytes;
  }

  public long pullMaxWaitMillis() {
    return pullMaxWaitMillis;
  }

  public int pullMaxConnections() {
    return pullMaxConnections;
  }

  /** Things that do not stop the daemon but that an operator should know, one sentence each. */
  public List<String> warnings() {
    return warnings;
  }

  /** The effective configuration, one {@code key = value} per entry, the secret replaced by where it came from. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("spans", String.join(", ", spans));
    m.put("journal.primary", journalPrimary.toString());
    m.put("journal.replica", journalReplica.toString());
    m.put("journal.rollCycle", ConfigValues.formatDuration(journalRollCycle));
    m.put("state", state.toString());
    m.put("retention.maxAge", ConfigValues.formatDuration(retentionMaxAge));
    m.put("retention.maxSize", ConfigValues.formatSize(retentionMaxBytes));
    m.put("listen", ConfigValues.formatAddress(listen));
    m.put("auth", authSecretOrigin);
    m.put("tls", tlsCert == null ? "off" : "cert " + tlsCert + ", key " + tlsKey);
    m.put("http", ConfigValues.formatAddress(http));
    m.put("scanIntervalMillis", Long.toString(scanIntervalMillis));
    m.put("idleFinishMillis", Long.toString(idleFinishMillis));
    m.put("maxOpenFiles", Integer.toString(maxOpenFiles));
    m.put("checkWriterProcess", Boolean.toString(checkWriterProcess));
    m.put("pull.maxFrameBytes", Integer.toString(pullMaxFrameBytes));
    m.put("pull.maxBatchBytes", Integer.toString(pullMaxBatchBytes));
    m.put("pull.maxWaitMillis", Long.toString(pullMaxWaitMillis));
    m.put("pull.maxConnections", Integer.toString(pullMaxConnections));
    return m;
  }

  @Override
  public String toString() {
    return "ShipperConfig" + describe();
  }

  /**
   * A configuration that cannot be run: the message names the key and where it was set, e.g.
   * {@code retention.maxAge (environment variable CAIRN_SHIPPER_RETENTION_MAXAGE): "3 days" is not a duration ...}.
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

    /** The key at fault ({@code journal.replica}), or {@code --config} / {@code --set} for the sources themselves. */
    public String key() {
      return key;
    }

    /** Where the bad value came from: {@code /etc/cairn/shipper.yaml}, {@code environment variable ...}, ... */
    public String source() {
      return source;
    }
  }
}
