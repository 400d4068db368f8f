package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PullerCommandTest {
  static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir Path tmp;
  Path config;

  @BeforeEach
  void writeConfig() throws IOException {
    config = tmp.resolve("puller.yaml");
    Files.writeString(config, """
        hosts:
          - a@127.0.0.1:7390
        auth:
          secret: "%s"
        store:
          path: %s/store
        http: 127.0.0.1:0
        """.formatted(SECRET, tmp), UTF_8);
  }

  @Test
  void badValueInTheFile_exitsTwoNamingTheKeyAndTheFile() throws IOException {
    Files.writeString(config, Files.readString(config) + "pull:\n  concurrency: lots\n");

    SpanFileFixture.Run run = run("puller", "--config", config.toString());

    assertEquals(2, run.status(), run.err());
    assertEquals("cairn puller: pull.concurrency (" + config + "): \"lots\" is not a whole number", run.err().strip());
    assertFalse(Files.exists(tmp.resolve("store")), "nothing is opened on bad configuration");
  }

  @Test
  void unsupportedStoreType_exitsTwoNamingTheKey() {
    SpanFileFixture.Run run = run("puller", "--config", config.toString(), "--set", "store.type=cassandra");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn puller: store.type (--set store.type): "), run.err());
  }

  @Test
  void elasticsearchStore_badSetting_exitsTwoNamingTheKey() {
    SpanFileFixture.Run run = run("puller", "--config", config.toString(),
        "--es-url", "http://127.0.0.1:9200", "--set", "store.elasticsearch.replicas=one");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn puller: store.elasticsearch.replicas (--set "
        + "store.elasticsearch.replicas): \"one\" is not a whole number"), run.err());
  }

  @Test
  void unknownKey_exitsTwoSuggestingTheKnownOne() {
    SpanFileFixture.Run run = run("puller", "--config", config.toString(), "--set", "pull.maxByte=1MB");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("pull.maxByte (--set pull.maxByte): unknown key; did you mean pull.maxBytes?"),
        run.err());
  }

  @Test
  void help_listsThePuller() {
    assertTrue(run("--help").out().contains("puller"));
    SpanFileFixture.Run help = run("puller", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--config") && help.out().contains("--set"), help.out());
  }
}
