package dev.cairn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code cairn demo} does with its {@code --dir} before it starts, and its usage errors. */
class DemoCommandDirectoryTest {
  @TempDir Path tmp;

  @Test
  void missingDirectory_isCreated() throws Exception {
    Path dir = tmp.resolve("a/b/demo");

    assertEquals(0, DemoDirectory.prepare(dir));

    assertTrue(Files.isDirectory(dir));
  }

  @Test
  void rerun_deletesThePreviousRunsSpanFilesAndBusinessLogOnly() throws Exception {
    Path dir = tmp.resolve("demo");
    Files.createDirectories(dir.resolve("spans"));
    Files.writeString(dir.resolve("spans/spans-20260101T000000Z-42-000000.cairn"), "old");
    Files.writeString(dir.resolve("spans/spans-20260101T000000Z-42-000001.cairn"), "old");
    Files.writeString(dir.resolve("business.log"), "old");

    assertEquals(3, DemoDirectory.prepare(dir));

    assertTrue(Files.isDirectory(dir.resolve("spans")));
    try (var left = Files.list(dir.resolve("spans"))) {
      assertEquals(0, left.count());
    }
    assertFalse(Files.exists(dir.resolve("business.log")));
  }

  @Test
  void otherContent_isRefusedByNameAndNothingIsDeleted() throws Exception {
    Path dir = tmp.resolve("home");
    Files.createDirectories(dir.resolve("spans"));
    Files.writeString(dir.resolve("spans/a.cairn"), "old");
    Files.writeString(dir.resolve("spans/notes.md"), "mine");
    Files.writeString(dir.resolve("business.log"), "old");
    Files.writeString(dir.resolve("thesis.tex"), "mine");

    DemoDirectory.Refused e = assertThrows(DemoDirectory.Refused.class,
        () -> DemoDirectory.prepare(dir));

    assertTrue(e.getMessage().contains("spans/notes.md, thesis.tex"), e.getMessage());
    assertTrue(e.getMessage().contains("Choose another --dir"), e.getMessage());
    assertTrue(Files.exists(dir.resolve("spans/a.cairn")));
    assertTrue(Files.exists(dir.resolve("business.log")));
  }

  @Test
  void aFile_isRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain"), "x");

    assertThrows(DemoDirectory.Refused.class, () -> DemoDirectory.prepare(file));
  }

  @Test
  void command_refusesAForeignDirectoryWithExitTwoBeforeStartingAnything() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("project"));
    Files.writeString(dir.resolve("pom.xml"), "<project/>");

    SpanFileFixture.Run run = SpanFileFixture.run("demo", "--dir", dir.toString());

    assertEquals(2, run.status(), run.out() + run.err());
    assertTrue(run.err().contains("cairn demo: " + dir + " holds files the demo did not write"
        + " (pom.xml)"), run.err());
    assertEquals("", run.out());
    assertFalse(Files.exists(dir.resolve("spans")));
  }

  @Test
  void command_rejectsOutOfRangeOptions() {
    for (String[] args : new String[][] {
        {"demo", "--seconds", "0"}, {"demo", "--seconds", "3601"},
        {"demo", "--rate", "0"}, {"demo", "--rate", "10001"}, {"demo", "--rate", "many"}}) {
      SpanFileFixture.Run run = SpanFileFixture.run(args);

      assertEquals(2, run.status(), String.join(" ", args) + ": " + run.err());
      assertTrue(run.err().contains("--" + args[1].substring(2)), run.err());
    }
  }

  @Test
  void help_describesTheOptions() {
    SpanFileFixture.Run run = SpanFileFixture.run("demo", "--help");

    assertEquals(0, run.status());
    for (String o : new String[] {"--dir", "--seconds", "--rate", "./cairn-demo"}) {
      assertTrue(run.out().contains(o), run.out());
    }
  }
}
