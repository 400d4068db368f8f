package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.SpanRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn demo} the way {@code bin/cairn demo} runs it: in a JVM of its own that has no
 * Log4j2 context yet, so the demo creates the context with its configuration and shuts Log4j2
 * down at the end. {@code DemoCommandTest} covers the in-process case.
 */
class DemoCommandFreshJvmTest {
  @TempDir Path tmp;

  @Test
  void freshJvm_runsTheDemoTwice_secondRunReplacesTheFirstRunsFiles() throws Exception {
    Path dir = tmp.resolve("demo");
    Proc first = demo(dir);
    assertEquals(0, first.status, first.out + first.err);
    List<Path> firstFiles = DemoDirectory.spanFiles(dir);
    assertFalse(firstFiles.isEmpty());

    Proc second = demo(dir);

    assertEquals(0, second.status, second.out + second.err);
    assertTrue(second.out.contains("deleted the previous run's " + (firstFiles.size() + 1)
        + " files in " + dir), second.out);
    for (Path f : firstFiles) {
      assertFalse(Files.exists(f), f + " of the first run is still there");
    }
    // Log4j2 shut down: the appender wrote its last block and the file ends cleanly.
    List<SpanRecord> spans = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path f : DemoDirectory.spanFiles(dir)) {
      SpanFileReader.read(f, (RecordVisitor) spans::add, p -> problems.add(p.toString()));
    }
    assertEquals(List.of(), problems);
    assertEquals(20, spans.stream().filter(s -> s.isRoot() && s.name().equals("GET /buy")).count());
    String log = Files.readString(dir.resolve("business.log"), UTF_8);
    assertTrue(log.contains("shop closed"), log);
    assertTrue(log.contains("charging order 1020"), log);
  }

  private record Proc(int status, String out, String err) {}

  private Proc demo(Path dir) throws Exception {
    Path out = tmp.resolve("out");
    Path err = tmp.resolve("err");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(CairnCommand.class.getName());
    command.addAll(List.of("demo", "--dir", dir.toString(), "--seconds", "1", "--rate", "20"));
    Process p = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
        .start();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("cairn demo did not finish in 90 s: " + Files.readString(out));
    }
    return new Proc(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
  }
}
