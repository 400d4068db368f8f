package dev.cairn.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UiConfigTest {
  @TempDir Path tmp;

  UiConfig load(Path file, List<String> sets, Map<String, String> env, Map<String, String> props) {
    return UiConfig.load(file, sets, env, props);
  }

  @Test
  void defaults_needOnlyTheStore() {
    UiConfig c = load(null, List.of("store.path=" + tmp), Map.of(), Map.of());
    assertEquals("127.0.0.1", c.http().getHostString());
    assertEquals(16686, c.http().getPort());
    assertEquals(tmp.toAbsolutePath(), c.storePath());
    assertEquals("embedded", c.storeType());
    assertTrue(c.pullerHealth().isEmpty());
    assertEquals(1000, c.maxResults());
    assertEquals(Duration.ofDays(31), c.maxRange());
    assertEquals(4, c.queryThreads());
    assertEquals(64, c.queryQueue());
  }

  @Test
  void fileThenEnvironmentThenPropertiesThenSets() throws Exception {
    Path file = Files.writeString(tmp.resolve("ui.yaml"), """
        http: 0.0.0.0:8080
        store:
          path: /from/file
        puller:
          health: http://127.0.0.1:7392/health
        limits:
          results: 50
          range: 2d
        query:
          threads: 2
        """, UTF_8);
    UiConfig c = load(file, List.of("query.queue=7"),
        Map.of("CAIRN_UI_LIMITS_RESULTS", "60", "PATH", "/bin"),
        Map.of("cairn.ui.limits.results", "70", "cairn.ui.store.path", "/from/property"));
    assertEquals(8080, c.http().getPort());
    assertEquals(Path.of("/from/property"), c.storePath());
    assertEquals("http://127.0.0.1:7392/health", c.pullerHealth().orElseThrow().toString());
    assertEquals(70, c.maxResults());
    assertEquals(Duration.ofDays(2), c.maxRange());
    assertEquals(2, c.queryThreads());
    assertEquals(7, c.queryQueue());
  }

  @Test
  void badValues_nameTheKeyAndTheSource() {
    assertEquals("store.path: required", message(List.of()).substring(0, "store.path: required".length()));
    assertEquals("limits.results (--set limits.results): 0 is not in 1..10000",
        message(List.of("store.path=/s", "limits.results=0")));
    assertTrue(message(List.of("store.path=/s", "limits.range=1s")).startsWith("limits.range (--set limits.range): "));
    assertTrue(message(List.of("store.path=/s", "http=nohost")).startsWith("http (--set http): "));
    assertTrue(message(List.of("store.path=/s", "puller.health=ftp://x/health"))
        .contains("not an http(s) URL"));
    assertTrue(message(List.of("store.path=/s", "store.type=nosql"))
        .startsWith("store.type (--set store.type): \"nosql\" is not a store type: embedded or elasticsearch"));
    // the ui module alone has no Elasticsearch store; the launcher puts it on the class path
    assertTrue(message(List.of("store.type=elasticsearch", "store.elasticsearch.urls=http://es:9200"))
        .contains("needs the store-elasticsearch module"));
    assertTrue(message(List.of("store.path=/s", "query.thread=3")).contains("did you mean query.threads?"));
    assertTrue(message(List.of("novalue")).contains("is not key=value"));
    UiConfig.ConfigException e = assertThrows(UiConfig.ConfigException.class,
        () -> load(null, List.of(), Map.of("CAIRN_UI_STORE_PATHS", "/x"), Map.of()));
    assertTrue(e.getMessage().contains("environment variable CAIRN_UI_STORE_PATHS"), e.getMessage());
  }

  @Test
  void anEmptyValueUnsetsAnEarlierOne() {
    UiConfig c = load(null, List.of("store.path=/s", "limits.results="), Map.of("CAIRN_UI_LIMITS_RESULTS", "5"),
        Map.of());
    assertEquals(1000, c.maxResults());
  }

  @Test
  void badFiles_areNamed() throws Exception {
    Path missing = tmp.resolve("none.yaml");
    assertTrue(assertThrows(UiConfig.ConfigException.class, () -> load(missing, List.of(), Map.of(), Map.of()))
        .getMessage().contains("does not exist"));
    Path list = Files.writeString(tmp.resolve("l.yaml"), "http: [a, b]\n", UTF_8);
    assertTrue(assertThrows(UiConfig.ConfigException.class, () -> load(list, List.of(), Map.of(), Map.of()))
        .getMessage().startsWith("http (" + list + "): takes one value"));
  }

  String message(List<String> sets) {
    return assertThrows(UiConfig.ConfigException.class, () -> load(null, sets, Map.of(), Map.of())).getMessage();
  }
}
