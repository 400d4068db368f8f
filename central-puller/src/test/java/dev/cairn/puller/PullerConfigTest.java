package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullerConfigTest {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";
  @TempDir Path tmp;
  Path file;

  @BeforeEach
  void write() throws Exception {
    file = tmp.resolve("puller.yaml");
    Files.writeString(file, """
        hosts:
          - a@127.0.0.1:7390
          - name: b
            address: "[::1]:7391"
        auth:
          secret: "%s"
        store:
          path: store
        pull:
          concurrency: 3
          maxBytes: 1MB
        """.formatted(SECRET), UTF_8);
  }

  private PullerConfig load(List<String> sets, Map<String, String> env, Map<String, String> props) {
    return PullerConfig.load(file, sets, env, props);
  }

  @Test
  void load_readsFileWithDefaults() {
    PullerConfig c = load(List.of(), Map.of(), Map.of());
    assertEquals(List.of(new PullerConfig.Host("a", "127.0.0.1", 7390), new PullerConfig.Host("b", "::1", 7391)),
        c.hosts());
    assertEquals(tmp.resolve("store"), c.storePath());
    assertEquals(tmp.resolve("store-puller-state"), c.state());
    assertEquals(3, c.pullConcurrency());
    assertEquals(1 << 20, c.pullMaxBytes());
    assertEquals(0, c.pullBytesPerSecond());
    assertEquals(5_000, c.pullMaxWaitMillis());
    assertEquals("embedded", c.storeType());
    assertEquals(7392, c.http().getPort());
    assertTrue(!c.toString().contains(SECRET), c.toString());
  }

  @Test
  void load_laterSourcesOverrideEarlierOnes() {
    PullerConfig c = load(List.of("pull.concurrency=6"),
        Map.of("CAIRN_PULLER_PULL_CONCURRENCY", "4", "CAIRN_PULLER_PULL_MAXWAITMILLIS", "100",
            "CAIRN_PULLER_HOSTS", "x@h1:1,y@h2:2"),
        Map.of("cairn.puller.pull.concurrency", "5", "cairn.puller.pull.bytesPerSecond", "10MB"));
    assertEquals(6, c.pullConcurrency());
    assertEquals(100, c.pullMaxWaitMillis());
    assertEquals(10L << 20, c.pullBytesPerSecond());
    assertEquals(List.of("x", "y"), c.hosts().stream().map(PullerConfig.Host::name).toList());
  }

  @Test
  void load_errorsNameTheKey() {
    assertKey("pull.concurrency", List.of("pull.concurrency=many"), Map.of());
    assertKey("pull.concurrency", List.of("pull.concurrency=0"), Map.of());
    assertKey("pull.concurency", List.of("pull.concurency=2"), Map.of());
    assertKey("store.type", List.of("store.type=elasticsearch"), Map.of());
    assertKey("hosts", List.of("hosts=nohostport"), Map.of());
    assertKey("hosts", List.of("hosts=a@h:1,a@h:2"), Map.of());
    assertKey("hosts", List.of("hosts=a@h:99999"), Map.of());
    assertKey("backoff.maxMillis", List.of("backoff.initialMillis=5000", "backoff.maxMillis=100"), Map.of());
    assertKey("auth.secret", List.of("auth.secret=short"), Map.of());
    assertKey("auth.secretFile", List.of("auth.secretFile=" + tmp.resolve("nope")), Map.of());
    assertKey("tls.ca", List.of("tls.ca=" + file), Map.of());
    assertKey("pull.maxBytes", List.of("pull.maxBytes=1KB"), Map.of());
    assertKey("http", List.of("http=nope"), Map.of());
    assertKey("state", List.of("state=" + tmp.resolve("store/cursors")), Map.of());
    PullerConfig.ConfigException env = assertKey("pull.concurency", List.of(), Map.of("CAIRN_PULLER_PULL_CONCURENCY", "1"));
    assertTrue(env.getMessage().contains("CAIRN_PULLER_PULL_CONCURRENCY"), env.getMessage());
  }

  @Test
  void load_requiresStoreAndSecret() throws Exception {
    Files.writeString(file, "hosts: []\n", UTF_8);
    assertEquals("auth.secret", assertThrows(PullerConfig.ConfigException.class,
        () -> load(List.of(), Map.of(), Map.of())).key());
    assertEquals("store.path", assertThrows(PullerConfig.ConfigException.class,
        () -> load(List.of("auth.secret=" + SECRET), Map.of(), Map.of())).key());
    Files.writeString(file, "hosts:\n  - {name: a}\n", UTF_8);
    assertEquals("hosts[0].address", assertThrows(PullerConfig.ConfigException.class,
        () -> load(List.of(), Map.of(), Map.of())).key());
    Files.writeString(file, "bogus: 1\n", UTF_8);
    assertEquals("bogus", assertThrows(PullerConfig.ConfigException.class,
        () -> load(List.of(), Map.of(), Map.of())).key());
  }

  @Test
  void reload_readsTheChangedHostList() throws Exception {
    PullerConfig c = load(List.of(), Map.of(), Map.of());
    Files.writeString(file, Files.readString(file).replace("  - a@127.0.0.1:7390\n", "  - a@127.0.0.1:7390\n  - c@10.0.0.3:7390\n"));
    PullerConfig again = c.reload();
    assertEquals(List.of("a", "c", "b"), again.hosts().stream().map(PullerConfig.Host::name).toList());
  }

  private PullerConfig.ConfigException assertKey(String key, List<String> sets, Map<String, String> env) {
    PullerConfig.ConfigException e = assertThrows(PullerConfig.ConfigException.class, () -> load(sets, env, Map.of()));
    assertEquals(key, e.key(), e.getMessage());
    return e;
  }
}
