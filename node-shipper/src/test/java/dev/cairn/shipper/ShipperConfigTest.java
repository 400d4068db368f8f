package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.internal.ConfigValues;
import dev.cairn.shipper.ShipperConfig.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShipperConfigTest {
  static final String SECRET = "correct horse battery staple";

  @TempDir Path tmp;
  Path file;

  @BeforeEach
  void minimalFile() throws IOException {
    file = tmp.resolve("etc/shipper.yaml");
    Files.createDirectories(file.getParent());
    write("""
        spans: /var/log/cairn/*
        journal:
          primary: /data1/cairn/journal
          replica: /data2/cairn/journal
        auth:
          secret: "%s"
        """.formatted(SECRET));
  }

  private void write(String yaml) throws IOException {
    Files.writeString(file, yaml, UTF_8);
  }

  private ShipperConfig load(Map<String, String> env, String... sets) {
    return ShipperConfig.load(file, List.of(sets), env, Map.of());
  }

  private ShipperConfig load(String... sets) {
    return load(Map.of(), sets);
  }

  private ConfigException fails(Map<String, String> env, String... sets) {
    return assertThrows(ConfigException.class, () -> load(env, sets));
  }

  private ConfigException fails(String... sets) {
    return fails(Map.of(), sets);
  }

  @Test
  void minimalFile_getsTheDocumentedDefaults() {
    ShipperConfig c = load();

    assertEquals(List.of("/var/log/cairn/*"), c.spans());
    assertEquals(Path.of("/data1/cairn/journal"), c.journalPrimary());
    assertEquals(Path.of("/data2/cairn/journal"), c.journalReplica());
    assertEquals(Path.of("/data1/cairn/journal-state"), c.state());
    assertEquals(Duration.ofHours(1), c.journalRollCycle());
    assertEquals(Duration.ofHours(72), c.retentionMaxAge());
    assertEquals(10L << 30, c.retentionMaxBytes());
    assertEquals("127.0.0.1:7390", ConfigValues.formatAddress(c.listen()));
    assertEquals("127.0.0.1:7391", ConfigValues.formatAddress(c.http()));
    assertEquals(Optional.empty(), c.tlsCert());
    assertEquals(250, c.scanIntervalMillis());
    assertEquals(300_000, c.idleFinishMillis());
    assertEquals(256, c.maxOpenFiles());
    assertTrue(c.checkWriterProcess());
    assertEquals(1 << 20, c.pullMaxFrameBytes());
    assertEquals(8 << 20, c.pullMaxBatchBytes());
    assertEquals(30_000, c.pullMaxWaitMillis());
    assertFalse(c.name().isBlank());
    assertArrayEquals(SECRET.getBytes(UTF_8), c.authSecret());
  }

  @Test
  void everyKeyIsDocumentedInShipperConfigMd() throws IOException {
    String doc = Files.readString(Path.of("../docs/shipper-config.md"), UTF_8);
    for (String key : ShipperConfig.KEYS) {
      assertTrue(doc.contains("`" + key + "`"), key + " is not in docs/shipper-config.md");
      assertTrue(doc.contains(ShipperConfig.envName(key)), ShipperConfig.envName(key) + " is not in the docs");
    }
  }

  @Test
  void precedence_fileThenEnvironmentThenSystemPropertyThenFlag() throws IOException {
    write(Files.readString(file) + "listen: 127.0.0.1:1001\nhttp: 127.0.0.1:2001\n"
        + "scanIntervalMillis: 100\nidleFinishMillis: 5000\n");
    Map<String, String> env = Map.of(
        "CAIRN_SHIPPER_HTTP", "127.0.0.1:2002",
        "CAIRN_SHIPPER_SCANINTERVALMILLIS", "200",
        "CAIRN_SHIPPER_IDLEFINISHMILLIS", "6000",
        "PATH", "/usr/bin");
    Map<String, String> props = Map.of(
        "cairn.shipper.scanIntervalMillis", "300",
        "cairn.shipper.idleFinishMillis", "7000",
        "java.version", "17");

    ShipperConfig c = ShipperConfig.load(file, List.of("idleFinishMillis=8000"), env, props);

    assertEquals(1001, c.listen().getPort(), "file only");
    assertEquals(2002, c.http().getPort(), "environment over file");
    assertEquals(300, c.scanIntervalMillis(), "system property over environment");
    assertEquals(8000, c.idleFinishMillis(), "flag over system property");
  }

  @Test
  void laterFlagWinsAndAnEmptyValueUnsetsTheKey() throws IOException {
    Path cert = Files.writeString(tmp.resolve("c.pem"), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n");
    Path key = Files.writeString(tmp.resolve("k.pem"), "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n");
    write(Files.readString(file) + "tls:\n  cert: " + cert + "\n  key: " + key + "\n");
    assertEquals(Optional.of(cert), load().tlsCert());

    ShipperConfig c = load("listen=127.0.0.1:1", "listen=127.0.0.1:2", "tls.cert=", "tls.key=");

    assertEquals(2, c.listen().getPort());
    assertEquals(Optional.empty(), c.tlsCert());
    assertEquals(Optional.empty(), c.tlsKey());
  }

  @Test
  void environmentAlone_isAConfiguration() {
    Map<String, String> env = Map.of(
        "CAIRN_SHIPPER_SPANS", "/a/*,/b/{x,y}/*.cairn",
        "CAIRN_SHIPPER_JOURNAL_PRIMARY", "/d1/j",
        "CAIRN_SHIPPER_JOURNAL_REPLICA", "/d2/j",
        "CAIRN_SHIPPER_AUTH_SECRET", SECRET,
        "CAIRN_SHIPPER_RETENTION_MAXAGE", "30m",
        "CAIRN_SHIPPER_JOURNAL_ROLLCYCLE", "5m");

    ShipperConfig c = ShipperConfig.load(null, List.of(), env, Map.of());

    assertEquals(List.of("/a/*", "/b/{x,y}/*.cairn"), c.spans());
    assertEquals(Duration.ofMinutes(30), c.retentionMaxAge());
    assertEquals(Duration.ofMinutes(5), c.journalRollCycle());
  }

  @Test
  void yaml_dottedAndNestedKeysMeanTheSame_listsAndCommasBothWork() throws IOException {
    write("""
        journal.primary: /d1/j
        journal:
          replica: /d2/j
        auth.secret: "%s"
        spans:
          - /a/*.cairn
          - /b/{x,y}/*
        retention: {maxAge: 7d, maxSize: 1.5TB}
        """.formatted(SECRET));

    ShipperConfig c = load();

    assertEquals(Path.of("/d1/j"), c.journalPrimary());
    assertEquals(Path.of("/d2/j"), c.journalReplica());
    assertEquals(List.of("/a/*.cairn", "/b/{x,y}/*"), c.spans());
    assertEquals(Duration.ofDays(7), c.retentionMaxAge());
    assertEquals(3L << 39, c.retentionMaxBytes());
  }

  @Test
  void yaml_valuesAreReadAsWrittenWithoutYaml11Surprises() throws IOException {
    write(Files.readString(file) + "name: on\ncheckWriterProcess: FALSE\n");

    assertEquals("on", load().name());
    assertFalse(load().checkWriterProcess());
  }

  @Test
  void yaml_relativePathsResolveAgainstTheFilesDirectory_flagsAgainstTheWorkingDirectory() throws IOException {
    write("""
        spans: [logs/*/, ./more/*.cairn]
        journal: {primary: j1, replica: ../j2}
        state: st
        auth: {secretFile: secret}
        """);
    Files.writeString(tmp.resolve("etc/secret"), SECRET + "\n");
    Path etc = tmp.resolve("etc");

    ShipperConfig c = load();

    assertEquals(List.of(etc + "/logs/*/", etc + "/more/*.cairn"), c.spans(), "a trailing / is kept");
    assertEquals(etc.resolve("j1"), c.journalPrimary());
    assertEquals(tmp.resolve("j2"), c.journalReplica());
    assertEquals(etc.resolve("st"), c.state());
    assertEquals(Path.of("").toAbsolutePath().resolve("x"), load("state=x").state());
  }

  @Test
  void yaml_javaTypeTagsAreRefused() throws IOException {
    write("name: !!javax.script.ScriptEngineManager [!!java.net.URLClassLoader [[!!java.net.URL [\"http://127.0.0.1:1/\"]]]]\n");

    ConfigException e = fails();

    assertEquals("--config", e.key());
    assertTrue(e.getMessage().contains("not valid YAML"), e.getMessage());
  }

  @Test
  void yaml_duplicateKeysAndListsForScalarsAreRefusedNamingTheKey() throws IOException {
    String base = Files.readString(file);
    write(base + "listen: 127.0.0.1:1\nlisten: 127.0.0.1:2\n");
    assertTrue(fails().getMessage().contains("listen"), fails().getMessage());

    write(base + "journal.primary: /x\n");
    assertEquals("journal.primary", fails().key());

    write(base + "http: [a, b]\n");
    ConfigException e = fails();
    assertEquals("http", e.key());
    assertTrue(e.getMessage().contains("not a list"), e.getMessage());
  }

  @Test
  void missingOrUnreadableFile_namesTheFile() {
    file = tmp.resolve("nope.yaml");
    ConfigException e = fails();
    assertEquals("--config", e.key());
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void unknownKeys_areRefusedNamingKeySourceAndTheNearestKey() throws IOException {
    write(Files.readString(file).replace("  primary:", "  primry:"));
    ConfigException fromFile = assertThrows(ConfigException.class, () -> load());
    assertEquals("journal.primry", fromFile.key());
    assertEquals(file.toString(), fromFile.source());
    assertTrue(fromFile.getMessage().contains("did you mean journal.primary?"), fromFile.getMessage());

    minimalFile();
    ConfigException fromEnv = fails(Map.of("CAIRN_SHIPPER_JOURNAL_PRIMRY", "/x"));
    assertEquals("environment variable CAIRN_SHIPPER_JOURNAL_PRIMRY", fromEnv.source());
    assertTrue(fromEnv.getMessage().contains("did you mean CAIRN_SHIPPER_JOURNAL_PRIMARY?"), fromEnv.getMessage());

    ConfigException fromProp = assertThrows(ConfigException.class,
        () -> ShipperConfig.load(file, List.of(), Map.of(), Map.of("cairn.shipper.lisen", "x")));
    assertEquals("lisen", fromProp.key());
    assertEquals("system property -Dcairn.shipper.lisen", fromProp.source());

    ConfigException fromFlag = fails("frobnicate=1");
    assertEquals("frobnicate", fromFlag.key());
    assertEquals("--set frobnicate", fromFlag.source());
    assertTrue(fromFlag.getMessage().contains("known keys: name, spans, journal.primary"), fromFlag.getMessage());

    ConfigException notKeyValue = fails("listen");
    assertEquals("--set", notKeyValue.key());
  }

  /** One bad value per key: the error names that key and where the value came from. */
  @Test
  void everyBadValue_namesItsKeyAndSource() {
    String[][] cases = {
        // key, bad value, part of the message
        {"name", "two words", "spaces"},
        {"spans", ",", "lists no glob"},
        {"spans", "/a/[x", "not a valid glob"},
        {"journal.rollCycle", "3h", "not one of 5m, 10m, 20m, 30m, 1h, 2h, 4h, 6h, 1d"},
        {"journal.rollCycle", "hourly", "not a duration"},
        {"retention.maxAge", "72", "not a duration"},
        {"retention.maxAge", "10s", "less than 1m"},
        {"retention.maxSize", "50 PB", "not a size"},
        {"retention.maxSize", "1KB", "not between 1MB"},
        {"listen", "7390", "not host:port"},
        {"listen", "127.0.0.1:99999", "not in 0..65535"},
        {"http", "127.0.0.1:7390", "also the pull server's listen address"},
        {"http", "no-such-host.invalid:1", "does not resolve"},
        {"scanIntervalMillis", "250ms", "whole number of milliseconds"},
        {"scanIntervalMillis", "5", "not between 10 and 60000"},
        {"idleFinishMillis", "999", "not between 1000"},
        {"maxOpenFiles", "8", "not between 16 and 65536"},
        {"maxOpenFiles", "many", "not a whole number of files"},
        {"checkWriterProcess", "yes", "not true or false"},
        {"pull.maxFrameBytes", "512", "not between 1KB and 64MB"},
        {"pull.maxFrameBytes", "1GB", "not between 1KB and 64MB"},
        {"pull.maxBatchBytes", "1GB", "not between 64KB and 256MB"},
        {"pull.maxWaitMillis", "-1", "not between 0 and 600000"},
    };
    List<String> failures = new ArrayList<>();
    for (String[] c : cases) {
      for (boolean viaEnv : new boolean[] {false, true}) {
        Map<String, String> env = viaEnv ? Map.of(ShipperConfig.envName(c[0]), c[1]) : Map.of();
        String[] sets = viaEnv ? new String[0] : new String[] {c[0] + "=" + c[1]};
        try {
          load(env, sets);
          failures.add(c[0] + "=" + c[1] + " was accepted");
        } catch (ConfigException e) {
          String source = viaEnv ? "environment variable " + ShipperConfig.envName(c[0]) : "--set " + c[0];
          if (!e.key().equals(c[0]) || !e.source().equals(source) || !e.getMessage().startsWith(c[0] + " (" + source + "): ")
              || !e.getMessage().contains(c[2])) {
            failures.add(c[0] + "=" + c[1] + ": " + e.getMessage());
          }
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void badValueInTheFile_namesTheFile() throws IOException {
    write(Files.readString(file) + "retention:\n  maxAge: 3 days\n");

    ConfigException e = fails();

    assertEquals("retention.maxAge", e.key());
    assertEquals(file.toString(), e.source());
    assertTrue(e.getMessage().contains("\"3 days\" is not a duration"), e.getMessage());
  }

  @Test
  void requiredKeys_missingAreNamedWithEveryWayToSetThem() throws IOException {
    write("auth: {secret: \"" + SECRET + "\"}\n");

    ConfigException spans = fails();
    assertEquals("spans", spans.key());
    assertEquals("not set", spans.source());
    assertTrue(spans.getMessage().contains("CAIRN_SHIPPER_SPANS=") && spans.getMessage().contains("--set spans="),
        spans.getMessage());
    assertEquals("journal.primary", fails("spans=/a").key());
    assertEquals("journal.replica", fails("spans=/a", "journal.primary=/p").key());
  }

  @Test
  void journalDirectories_sameOrNestedAreRefused() throws IOException {
    ConfigException same = fails("journal.replica=/data1/cairn/journal/");
    assertEquals("journal.replica", same.key());
    assertTrue(same.getMessage().contains("same directory"), same.getMessage());

    ConfigException nested = fails("journal.replica=/data1/cairn/journal/replica");
    assertEquals("journal.replica", nested.key());
    assertTrue(nested.getMessage().contains("nested"), nested.getMessage());
    assertEquals("journal.replica", fails("journal.replica=/data1/cairn").key());

    // Nested through a symbolic link is still nested.
    Path real = Files.createDirectories(tmp.resolve("disk1/journal"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertEquals("journal.replica",
        fails("journal.primary=" + real, "journal.replica=" + link.resolve("replica")).key());

    ConfigException state = fails("state=/data2/cairn/journal/state");
    assertEquals("state", state.key());

    Path aFile = Files.writeString(tmp.resolve("plain"), "x");
    assertEquals("journal.primary", fails("journal.primary=" + aFile).key());
    assertEquals("state", fails("state=/").key());
  }

  @Test
  void replicaOnTheSameFileSystem_isAWarningNotAnError() {
    ShipperConfig c = load("journal.primary=" + tmp.resolve("a/j"), "journal.replica=" + tmp.resolve("b/j"));

    assertTrue(c.warnings().stream().anyMatch(w -> w.startsWith("journal.replica") && w.contains("same file system")),
        c.warnings().toString());
  }

  @Test
  void secretFromFile_dropsTheTrailingNewline_andWarnsWhenEveryoneCanReadIt() throws IOException {
    Path secret = Files.writeString(tmp.resolve("secret"), SECRET + "\r\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r--r--"));
    write(Files.readString(file).replace("secret: \"" + SECRET + "\"", "secretFile: " + secret));

    ShipperConfig c = load();

    assertArrayEquals(SECRET.getBytes(UTF_8), c.authSecret());
    assertTrue(c.warnings().stream().anyMatch(w -> w.contains("readable by every user")), c.warnings().toString());

    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    assertFalse(load().warnings().stream().anyMatch(w -> w.contains("readable by every user")));
  }

  @Test
  void secret_noneBothMissingFileOrTooShortAreRefused() throws IOException {
    write(Files.readString(file).replace("auth:\n  secret: \"" + SECRET + "\"\n", ""));
    ConfigException none = fails();
    assertEquals("auth.secret", none.key());
    assertTrue(none.getMessage().contains("auth.secretFile"), none.getMessage());

    minimalFile();
    Path secret = Files.writeString(tmp.resolve("secret"), SECRET);
    assertEquals("auth.secretFile", fails("auth.secretFile=" + secret).key());
    assertEquals("auth.secretFile", fails("auth.secret=", "auth.secretFile=" + tmp.resolve("nope")).key());
    ConfigException shortOne = fails("auth.secret=hunter2");
    assertEquals("auth.secret", shortOne.key());
    assertTrue(shortOne.getMessage().contains("7 bytes"), shortOne.getMessage());
    assertFalse(shortOne.getMessage().contains("hunter2"), shortOne.getMessage());
  }

  @Test
  void secret_neverAppearsInDescriptionsOrMessages() throws IOException {
    ShipperConfig c = load();

    assertFalse(c.toString().contains(SECRET), c.toString());
    assertFalse(c.describe().toString().contains(SECRET));
    assertTrue(c.describe().get("auth").contains("auth.secret (" + file + ")"), c.describe().get("auth"));
    ConfigException bad = fails("auth.secret" + SECRET);
    assertFalse(bad.getMessage().contains(SECRET), bad.getMessage());
  }

  @Test
  void tls_needsBothPemFilesOrNeither() throws IOException {
    Path cert = Files.writeString(tmp.resolve("c.pem"), "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n");
    Path key = Files.writeString(tmp.resolve("k.pem"), "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n");
    Path encrypted = Files.writeString(tmp.resolve("e.pem"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n");

    ShipperConfig c = load("tls.cert=" + cert, "tls.key=" + key);
    assertEquals(Optional.of(cert), c.tlsCert());
    assertEquals(Optional.of(key), c.tlsKey());

    ConfigException onlyCert = fails("tls.cert=" + cert);
    assertEquals("tls.key", onlyCert.key());
    assertTrue(onlyCert.getMessage().contains("both"), onlyCert.getMessage());
    assertEquals("tls.cert", fails("tls.key=" + key).key());
    assertEquals("tls.cert", fails("tls.cert=" + key, "tls.key=" + key).key());
    assertEquals("tls.key", fails("tls.cert=" + cert, "tls.key=" + cert).key());
    assertEquals("tls.key", fails("tls.cert=" + cert, "tls.key=" + encrypted).key());
    assertEquals("tls.cert", fails("tls.cert=" + tmp.resolve("none.pem"), "tls.key=" + key).key());
  }

  @Test
  void retentionShorterThanACycle_isAWarning() {
    ShipperConfig c = load("retention.maxAge=30m");

    assertTrue(c.warnings().stream().anyMatch(w -> w.startsWith("retention.maxAge 30m")), c.warnings().toString());
  }

  @Test
  void describe_listsEveryKeyGroupOnce() {
    Map<String, String> d = new LinkedHashMap<>(load().describe());

    assertEquals("72h", d.get("retention.maxAge"));
    assertEquals("10GB", d.get("retention.maxSize"));
    assertEquals("off", d.get("tls"));
    assertTrue(Arrays.asList(d.keySet().toArray()).containsAll(List.of("name", "spans", "journal.primary",
        "journal.replica", "state", "listen", "http", "auth")), d.toString());
  }
}
