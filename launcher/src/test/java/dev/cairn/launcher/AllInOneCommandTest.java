package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code cairn all-in-one} refuses before it opens anything, and its generated secret. */
class AllInOneCommandTest {
  @TempDir Path tmp;

  @Test
  void setWithoutPartPrefix_isUsageErrorNamingIt() {
    SpanFileFixture.Run run = run("all-in-one", "--data", tmp.resolve("d").toString(),
        "--set", "retention.maxAge=1h");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("--set retention.maxAge=1h: the key must start with shipper. or"
        + " puller."), run.err());
    assertFalse(Files.exists(tmp.resolve("d")), "nothing is created on bad arguments");
  }

  @Test
  void badShipperKey_exitsTwoNamingTheKeyWithItsPart() {
    SpanFileFixture.Run run = run("all-in-one", "--data", tmp.toString(), "--ui", "127.0.0.1:0",
        "--set", "shipper.retention.maxAge=3 days");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn all-in-one: shipper.retention.maxAge (--set "
        + "retention.maxAge): \"3 days\" is not a duration"), run.err());
    assertFalse(Files.exists(tmp.resolve("store")), "the store is not opened on bad configuration");
  }

  @Test
  void unknownPullerKey_exitsTwoSuggestingTheKnownOne() {
    SpanFileFixture.Run run = run("all-in-one", "--data", tmp.toString(), "--ui", "127.0.0.1:0",
        "--set", "puller.assembly.quietMilis=10");

    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("puller.assembly.quietMilis (--set assembly.quietMilis): unknown"
        + " key; did you mean assembly.quietMillis?"), run.err());
  }

  @Test
  void badUiAddressAndRetention_areUsageErrors() {
    SpanFileFixture.Run ui = run("all-in-one", "--data", tmp.toString(), "--ui", ":16686");
    assertEquals(2, ui.status(), ui.err());
    assertTrue(ui.err().contains("--ui: \":16686\" has no host"), ui.err());

    SpanFileFixture.Run retention = run("all-in-one", "--data", tmp.toString(),
        "--retention", "3 days");
    assertEquals(2, retention.status(), retention.err());
    assertTrue(retention.err().contains("--retention: "), retention.err());
  }

  @Test
  void dataDirectoryWithGlobSyntax_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new AllInOne.Options(tmp.resolve("a[1]"), new InetSocketAddress("127.0.0.1", 0),
            Duration.ofHours(1), List.of(), List.of()));
    assertTrue(e.getMessage().contains("must not contain"), e.getMessage());
  }

  @Test
  void secretFile_isGeneratedOnceOwnerOnly() throws Exception {
    Path file = AllInOne.secretFile(tmp);
    String secret = Files.readString(file, UTF_8);

    assertTrue(secret.matches("[0-9a-f]{64}\n"), secret);
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(file, AllInOne.secretFile(tmp));
    assertEquals(secret, Files.readString(file, UTF_8), "a restart keeps the secret");
  }

  @Test
  void help_listsAllInOne() {
    assertTrue(run("--help").out().contains("all-in-one"));
    SpanFileFixture.Run help = run("all-in-one", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--data") && help.out().contains("--ui"), help.out());
  }
}
