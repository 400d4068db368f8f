package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CairnCommandTest {
  @Test
  void noSubcommand_isUsageErrorListingTheSubcommands() {
    SpanFileFixture.Run run = run();

    assertEquals(2, run.status());
    assertTrue(run.err().contains("Missing required subcommand"), run.err());
    assertTrue(run.err().contains("inspect") && run.err().contains("verify"), run.err());
  }

  @Test
  void unknownSubcommand_isUsageError() {
    SpanFileFixture.Run run = run("frobnicate");

    assertEquals(2, run.status());
    assertTrue(run.err().contains("frobnicate"), run.err());
  }

  @Test
  void help_listsSubcommandsOnStdoutAndExitsZero() {
    SpanFileFixture.Run run = run("--help");

    assertEquals(0, run.status());
    assertTrue(run.out().contains("inspect") && run.out().contains("verify"), run.out());
  }

  @Test
  void version_isAlsoAnOptionOfEverySubcommand() {
    for (String sub : new String[] {"inspect", "verify"}) {
      SpanFileFixture.Run run = run(sub, "--version");

      assertEquals(0, run.status(), sub);
      assertEquals("cairn dev", run.out().strip(), sub);
    }
  }

  @Test
  void version_fromClassesIsDev() {
    SpanFileFixture.Run run = run("--version");

    assertEquals(0, run.status());
    assertEquals("cairn dev", run.out().strip());
  }
}
