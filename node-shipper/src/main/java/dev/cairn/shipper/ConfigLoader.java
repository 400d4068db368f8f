package dev.cairn.shipper;

import static dev.cairn.shipper.ShipperConfig.DEFAULT_HTTP;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_IDLE_FINISH_MILLIS;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_OPEN_FILES;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_LISTEN;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_AGE;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_BATCH_BYTES;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_FRAME_BYTES;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_SIZE;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_CONNECTIONS;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_MAX_WAIT_MILLIS;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_ROLL_CYCLE;
import static dev.cairn.shipper.ShipperConfig.DEFAULT_SCAN_INTERVAL_MILLIS;
import static dev.cairn.shipper.ShipperConfig.ENV_PREFIX;
import static dev.cairn.shipper.ShipperConfig.KEYS;
import static dev.cairn.shipper.ShipperConfig.MAX_SECRET_BYTES;
import static dev.cairn.shipper.ShipperConfig.MIN_SECRET_BYTES;
import static dev.cairn.shipper.ShipperConfig.PROPERTY_PREFIX;
import static dev.cairn.shipper.ShipperConfig.ROLL_CYCLES;
import static dev.cairn.shipper.ShipperConfig.envName;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.core.internal.ConfigSources;
import dev.cairn.core.internal.ConfigSources.Raw;
import dev.cairn.core.internal.ConfigValues;
import dev.cairn.shipper.ShipperConfig.ConfigException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the sources of a {@link ShipperConfig} in order (file, environment, system properties,
 * flags), then turns the raw values into typed ones, checking each and naming the key and its
 * source when one is wrong.
 */
final class ConfigLoader {
  /** Reads the sources; {@code spans} may be a YAML list. */
  private final ConfigSources sources = new ConfigSources(KEYS, ENV_PREFIX, PROPERTY_PREFIX, ConfigException::new)
      .listKey("spans", ConfigSources::plainItems);
  private final Map<String, Raw> raw = sources.values();
  final List<String> warnings = new ArrayList<>();

  String name;
  List<String> spans;
  Path journalPrimary;
  Path journalReplica;
  Duration journalRollCycle;
  Path state;
  Duration retentionMaxAge;
  long retentionMaxBytes;
  InetSocketAddress listen;
  byte[] authSecret;
  String authSecretOrigin;
  Path tlsCert;
  Path tlsKey;
  InetSocketAddress http;
  long scanIntervalMillis;
  long idleFinishMillis;
  int maxOpenFiles;
  boolean checkWriterProcess;
  int pullMaxFrameBytes;
  int pullMaxBatchBytes;
  long pullMaxWaitMillis;
  int pullMaxConnections;

  void readFile(Path file) {
    sources.readFile(file);
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

  /** A value's globs: a YAML list of them, or comma-separated text. */
  private static List<String> globs(Raw r) {
    if (r.value() instanceof List<?> l) {
      List<String> out = new ArrayList<>();
      for (Object o : l) {
        out.addAll(ConfigValues.globList((String) o));
      }
      return out;
    }
    return ConfigValues.globList((String) r.value());
  }

  // --- typed values --------------------------------------------------------------------------

  void build() {
    name = string("name").orElseGet(ConfigLoader::hostName);
    checkName();
    spans();
    journalPrimary = directory("journal.primary").orElseThrow(() -> missing("journal.primary", "<dir>"));
    journalReplica = directory("journal.replica").orElseThrow(() -> missing("journal.replica", "<dir>"));
    journalRollCycle = rollCycle();
    state = directory("state").orElseGet(() -> defaultState(journalPrimary));
    checkDirectories();
    retentionMaxAge = positiveDuration("retention.maxAge", DEFAULT_MAX_AGE, Duration.ofMinutes(1));
    retentionMaxBytes = sizeAtLeast("retention.maxSize", DEFAULT_MAX_SIZE, 1L << 20, Long.MAX_VALUE);
    if (retentionMaxAge.compareTo(journalRollCycle) < 0) {
      warnings.add("retention.maxAge " + ConfigValues.formatDuration(retentionMaxAge)
          + " is shorter than journal.rollCycle " + ConfigValues.formatDuration(journalRollCycle)
          + ": retention deletes whole cycles and never the current one, so blocks stay up to "
          + ConfigValues.formatDuration(retentionMaxAge.plus(journalRollCycle)));
    }
    listen = address("listen", DEFAULT_LISTEN);
    secret();
    tls();
    http = address("http", DEFAULT_HTTP);
    if (overlaps(listen, http)) {
      Raw r = raw.get("http");
      throw new ConfigException("http", r == null ? "default" : r.source().description(),
          ConfigValues.formatAddress(http) + " is also the pull server's listen address");
    }
    scanIntervalMillis = millis("scanIntervalMillis", DEFAULT_SCAN_INTERVAL_MILLIS, 10, 60_000);
    idleFinishMillis = millis("idleFinishMillis", DEFAULT_IDLE_FINISH_MILLIS, 1_000, Duration.ofDays(7).toMillis());
    maxOpenFiles = (int) integer("maxOpenFiles", DEFAULT_MAX_OPEN_FILES, 16, 65_536, "a whole number of files");
    checkWriterProcess = bool("checkWriterProcess", true);
    pullMaxFrameBytes = (int) sizeAtLeast("pull.maxFrameBytes", DEFAULT_MAX_FRAME_BYTES, 1 << 10, 64 << 20);
    pullMaxBatchBytes = (int) sizeAtLeast("pull.maxBatchBytes", DEFAULT_MAX_BATCH_BYTES, 64 << 10, 256 << 20);
    pullMaxWaitMillis = millis("pull.maxWaitMillis", DEFAULT_MAX_WAIT_MILLIS, 0, 600_000);
    pullMaxConnections = (int) integer("pull.maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 65_536,
        "a whole number of connections");
  }

  private Optional<String> string(String key) {
    Raw r = raw.get(key);
    return r == null ? Optional.empty() : Optional.of(((String) r.value()).strip());
  }

  private ConfigException bad(String key, String problem) {
    Raw r = raw.get(key);
    return new ConfigException(key, r == null ? "default" : r.source().description(), problem);
  }

  private static ConfigException missing(String key, String example) {
    return new ConfigException(key, "not set", "required; set it in the configuration file, as "
        + envName(key) + "=" + example + " or with --set " + key + "=" + example);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  private void checkName() {
    if (name.length() > 253 || name.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      throw bad("name", "\"" + name + "\" must be at most 253 characters without spaces or control characters");
    }
  }

  private void spans() {
    Raw r = raw.get("spans");
    if (r == null) {
      throw missing("spans", "/var/log/cairn/*/");
    }
    List<String> out = new ArrayList<>();
    for (String glob : globs(r)) {
      // Joined as text, not with Path.resolve: a trailing "/" (the pattern names directories)
      // and glob characters must reach the tailer as written.
      String absolute = glob.startsWith("/") ? glob
          : r.source().baseDir() + "/" + (glob.startsWith("./") ? glob.substring(2) : glob);
      try {
        SpanGlob.parse(absolute); // the tailer's own syntax, so what passes here it can follow
      } catch (IllegalArgumentException e) {
        throw bad("spans", "\"" + glob + "\" is not a valid glob: " + e.getMessage());
      }
      out.add(absolute);
      Path fixed = fixedPrefix(absolute);
      if (fixed != null && !Files.isDirectory(fixed)) {
        warnings.add("spans: " + fixed + " (of \"" + glob + "\") does not exist yet; its span files "
            + "are picked up when it appears");
      }
    }
    if (out.isEmpty()) {
      throw bad("spans", "lists no glob");
    }
    spans = out;
  }

  /** The directory before the first component with glob syntax, or null. */
  private static Path fixedPrefix(String glob) {
    String[] parts = glob.split("/");
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (ConfigValues.hasGlobSyntax(parts[i])) {
        break;
      }
      if (i > 0) {
        b.append('/');
      }
      b.append(parts[i]);
    }
    try {
      return b.length() == 0 ? null : Path.of(b.toString());
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private Optional<Path> directory(String key) {
    Raw r = raw.get(key);
    if (r == null) {
      return Optional.empty();
    }
    Path p;
    try {
      p = r.source().baseDir().resolve(((String) r.value()).strip()).normalize();
    } catch (InvalidPathException e) {
      throw bad(key, "\"" + r.value() + "\" is not a path: " + e.getMessage());
    }
    if (Files.exists(p) && !Files.isDirectory(p)) {
      throw bad(key, p + " exists and is not a directory");
    }
    if (p.getParent() == null) {
      throw bad(key, p + " is a file system root; give a directory of its own");
    }
    return Optional.of(p);
  }

  private static Path defaultState(Path primary) {
    return primary.resolveSibling(primary.getFileName() + "-state");
  }

  private void checkDirectories() {
    Path primary = canonical(journalPrimary);
    Path replica = canonical(journalReplica);
    Path st = canonical(state);
    if (primary.equals(replica)) {
      throw bad("journal.replica", journalReplica + " is the same directory as journal.primary");
    }
    if (replica.startsWith(primary) || primary.startsWith(replica)) {
      throw bad("journal.replica", journalReplica + " and journal.primary " + journalPrimary
          + " are nested; give two separate directories (on two disks in production)");
    }
    for (Map.Entry<String, Path> e : Map.of("journal.primary", primary, "journal.replica", replica).entrySet()) {
      if (st.startsWith(e.getValue()) || e.getValue().startsWith(st)) {
        throw bad("state", state + " and " + e.getKey() + " " + e.getValue()
            + " are nested; a journal directory holds the journal's files only");
      }
    }
    Optional<FileStore> p = fileStore(journalPrimary);
    Optional<FileStore> r = fileStore(journalReplica);
    if (p.isPresent() && p.equals(r)) {
      warnings.add("journal.replica " + journalReplica + " is on the same file system (" + p.get().name()
          + ") as journal.primary " + journalPrimary + ": it survives damage to the primary's files "
          + "but not the loss of that disk; put it on a second disk in production");
    }
  }

  /** The path with symbolic links of its existing part resolved, so that nesting through a link is seen. */
  private static Path canonical(Path p) {
    Path existing = p.toAbsolutePath().normalize();
    Path rest = existing.getFileSystem().getPath("");
    while (existing != null && !Files.exists(existing)) {
      rest = existing.getFileName().resolve(rest);
      existing = existing.getParent();
    }
    if (existing == null) {
      return p.toAbsolutePath().normalize();
    }
    try {
      return existing.toRealPath().resolve(rest).normalize();
    } catch (IOException e) {
      return p.toAbsolutePath().normalize();
    }
  }

  private static Optional<FileStore> fileStore(Path p) {
    Path existing = p.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    try {
      return existing == null ? Optional.empty() : Optional.of(Files.getFileStore(existing));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private Duration rollCycle() {
    Optional<String> s = string("journal.rollCycle");
    if (s.isEmpty()) {
      return DEFAULT_ROLL_CYCLE;
    }
    Duration d = parse("journal.rollCycle", s.get(), ConfigValues::duration);
    if (!ROLL_CYCLES.contains(d)) {
      List<String> allowed = new ArrayList<>();
      ROLL_CYCLES.forEach(c -> allowed.add(c.toHours() == 24 ? "1d" : ConfigValues.formatDuration(c)));
      throw bad("journal.rollCycle", "\"" + s.get() + "\" is not one of " + String.join(", ", allowed));
    }
    return d;
  }

  private Duration positiveDuration(String key, Duration dflt, Duration min) {
    Optional<String> s = string(key);
    if (s.isEmpty()) {
      return dflt;
    }
    Duration d = parse(key, s.get(), ConfigValues::duration);
    if (d.compareTo(min) < 0) {
      throw bad(key, "\"" + s.get() + "\" is less than " + ConfigValues.formatDuration(min));
    }
    return d;
  }

  private long sizeAtLeast(String key, long dflt, long min, long max) {
    Optional<String> s = string(key);
    if (s.isEmpty()) {
      return dflt;
    }
    long v = parse(key, s.get(), ConfigValues::size);
    if (v < min || v > max) {
      throw bad(key, "\"" + s.get() + "\" is not between " + ConfigValues.formatSize(min) + " and "
          + ConfigValues.formatSize(max) + " (" + min + " and " + max + " bytes)");
    }
    return v;
  }

  private long millis(String key, long dflt, long min, long max) {
    return integer(key, dflt, min, max, "a whole number of milliseconds");
  }

  private long integer(String key, long dflt, long min, long max, String what) {
    Optional<String> s = string(key);
    if (s.isEmpty()) {
      return dflt;
    }
    long v;
    try {
      v = Long.parseLong(s.get());
    } catch (NumberFormatException e) {
      throw bad(key, "\"" + s.get() + "\" is not " + what);
    }
    if (v < min || v > max) {
      throw bad(key, v + " is not between " + min + " and " + max);
    }
    return v;
  }

  private boolean bool(String key, boolean dflt) {
    Optional<String> s = string(key);
    if (s.isEmpty()) {
      return dflt;
    }
    return switch (s.get().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw bad(key, "\"" + s.get() + "\" is not true or false");
    };
  }

  private InetSocketAddress address(String key, String dflt) {
    return parse(key, string(key).orElse(dflt), ConfigValues::hostPort);
  }

  private static boolean overlaps(InetSocketAddress a, InetSocketAddress b) {
    if (a.getPort() == 0 || a.getPort() != b.getPort()) {
      return false;
    }
    return a.getAddress().equals(b.getAddress()) || a.getAddress().isAnyLocalAddress()
        || b.getAddress().isAnyLocalAddress();
  }

  private <T> T parse(String key, String text, Function<String, T> parser) {
    try {
      return parser.apply(text);
    } catch (IllegalArgumentException e) {
      throw bad(key, e.getMessage());
    }
  }

  private void secret() {
    Raw inline = raw.get("auth.secret");
    Raw file = raw.get("auth.secretFile");
    if (inline == null && file == null) {
      throw new ConfigException("auth.secret", "not set", "pullers authenticate with a shared secret: "
          + "set auth.secretFile (a file holding it, preferred) or auth.secret");
    }
    if (inline != null && file != null) {
      throw bad("auth.secretFile", "auth.secret is set too (" + inline.source().description()
          + "); set only one of them");
    }
    if (inline != null) {
      authSecret = ((String) inline.value()).strip().getBytes(UTF_8);
      authSecretOrigin = "shared secret from auth.secret (" + inline.source().description() + ")";
      checkSecret("auth.secret");
      return;
    }
    Path p = directoryLess("auth.secretFile", file);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      throw bad("auth.secretFile", p + " does not exist");
    } catch (IOException e) {
      throw bad("auth.secretFile", "cannot read " + p + ": " + e);
    }
    // Editors and `echo` end files with a newline; it is not part of the secret.
    int end = bytes.length;
    while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r' || bytes[end - 1] == ' '
        || bytes[end - 1] == '\t')) {
      end--;
    }
    authSecret = Arrays.copyOf(bytes, end);
    Arrays.fill(bytes, (byte) 0);
    authSecretOrigin = "shared secret from auth.secretFile " + p;
    checkSecret("auth.secretFile");
    warnIfOthersCanRead(p);
  }

  private void checkSecret(String key) {
    if (authSecret.length < MIN_SECRET_BYTES || authSecret.length > MAX_SECRET_BYTES) {
      throw bad(key, "the secret has " + authSecret.length + " bytes; use " + MIN_SECRET_BYTES + " to "
          + MAX_SECRET_BYTES + " (e.g. `openssl rand -hex 32`)");
    }
  }

  private void warnIfOthersCanRead(Path p) {
    PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class);
    if (view == null) {
      return;
    }
    try {
      Set<PosixFilePermission> perms = view.readAttributes().permissions();
      if (perms.contains(PosixFilePermission.OTHERS_READ)) {
        warnings.add("auth.secretFile " + p + " is readable by every user; chmod 600 or 640 it");
      }
    } catch (IOException e) {
      // Readable a moment ago; the permission check is advice, not a condition.
    }
  }

  private Path directoryLess(String key, Raw r) {
    try {
      return r.source().baseDir().resolve(((String) r.value()).strip()).normalize();
    } catch (InvalidPathException e) {
      throw bad(key, "\"" + r.value() + "\" is not a path: " + e.getMessage());
    }
  }

  private void tls() {
    Raw cert = raw.get("tls.cert");
    Raw key = raw.get("tls.key");
    if (cert == null && key == null) {
      return;
    }
    if (cert == null || key == null) {
      String missingKey = cert == null ? "tls.cert" : "tls.key";
      String given = cert == null ? "tls.key" : "tls.cert";
      throw new ConfigException(missingKey, "not set", given + " is set (" + raw.get(given).source().description()
          + "); TLS needs both tls.cert and tls.key, or neither");
    }
    tlsCert = pem("tls.cert", cert, "CERTIFICATE-----");
    tlsKey = pem("tls.key", key, "PRIVATE KEY-----");
  }

  private Path pem(String key, Raw r, String marker) {
    Path p = directoryLess(key, r);
    String text;
    try {
      text = Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw bad(key, p + " does not exist");
    } catch (IOException e) {
      throw bad(key, "cannot read " + p + ": " + e);
    }
    if (!text.contains("-----BEGIN ") || !text.contains(marker)) {
      throw bad(key, p + " is not a PEM file with a " + marker.replace("-----", "") + " block");
    }
    if (key.equals("tls.key") && text.contains("ENCRYPTED PRIVATE KEY")) {
      throw bad(key, p + " is encrypted; give an unencrypted PKCS#8 key (readable by the shipper only)");
    }
    return p;
  }
}
