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

class ShipperCommandTest {
  static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir Path tmp;
  Path config;

  @BeforeEach
  void writeConfig() throws IOException {
    config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        spans: %s/spans/*
        journal:
          primary: %s/j1
          replica: %s/j2
        auth:
          secret: "%s"
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        """.formatted(tmp, tmp, tmp, SECRET), UTF_8);
  }

  @Test
  void badValueInTheFile_exitsTwoNamingTheKeyAndTheFile() throws IOException {
    Files.writeString(config, Files.readString(config) + "retention:\n  maxAge: 3 days\n");

    SpanFileFixture.Run run = run("shipper", "--config", config.toString());

    assertEquals(2, run.status(), run.err());
    assertEquals("cairn shipper: retention.maxAge (" + config + "): \"3 days\" is not a duration "
        + "(like 72h, 30m, 1h30m, 500ms or 7d)", run.err().strip());
    assertEquals("", run.out());
    assertFalse(Files.exists(tmp.resolve("j1")), "nothing is opened on bad configuration");
  }

  @Test
  void badFlag_exitsTwoNamingTheKey() {
    SpanFileFixture.Run run = run("shipper", "--config", config.toString(), "--set", "journal.replica=" + tmp + "/j1/r");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn shipper: journal.replica (--set journal.replica): "), run.err());
    assertTrue(run.err().contains("nested"), run.err());
  }

  @Test
  void unknownKey_exitsTwoSuggestingTheKnownOne() {
    SpanFileFixture.Run run = run("shipper", "--config", config.toString(), "--set", "retention.maxAgee=1h");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("retention.maxAgee (--set retention.maxAgee): unknown key; did you mean "
        + "retention.maxAge?"), run.err());
  }

  @Test
  void missingConfigFile_exitsTwoNamingIt() {
    SpanFileFixture.Run run = run("shipper", "--config", tmp.resolve("nope.yaml").toString());

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains(tmp.resolve("nope.yaml").toString()), run.err());
  }

  @Test
  void missingSecret_exitsTwoAndNeverPrintsASecret() throws IOException {
    Files.writeString(config, Files.readString(config).replace("  secret: \"" + SECRET + "\"\n", "  secret: \"\"\n"));

    SpanFileFixture.Run run = run("shipper", "--config", config.toString());

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn shipper: auth.secret (not set): "), run.err());
  }

  @Test
  void help_listsTheShipperAndItsOptions() {
    SpanFileFixture.Run top = run("--help");
    assertTrue(top.out().contains("shipper"), top.out());

    SpanFileFixture.Run help = run("shipper", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--config") && help.out().contains("--set"), help.out());
  }
}
