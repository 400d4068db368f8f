package dev.cairn.log4j2;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.core.async.AsyncLoggerContextSelector;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Log4j2's all-async mode: events are formatted on the ring buffer's thread, long after the
 * logging thread has moved on to other spans. The context selector must be set before Log4j2
 * initialises, so {@link AsyncTraceIdsMain} runs in a child JVM started with it; this test
 * compares every line it logged with the IDs it expected.
 *
 * <p>Runs once with Log4j2's default thread context map, whose context data injector asks providers
 * for {@code supplyContextData()}, and once with the garbage-free map, whose injector asks for
 * {@code supplyStringMap()}; the child reports which injector it got.
 */
class AsyncLoggerTraceIdsIT {
  private static final int LINES_PER_SPAN = 5; // outer, inner, outer again, task, outside

  @ParameterizedTest(name = "injector {0}")
  @ValueSource(strings = {"ForDefaultThreadContextMap", "ForGarbageFreeThreadContextMap"})
  void allAsyncLoggers_printTheSpanCurrentAtEachCallSite(String injector, @TempDir Path dir)
      throws Exception {
    Path logFile = dir.resolve("app.log");
    Path stdout = dir.resolve("stdout.txt");
    Path stderr = dir.resolve("stderr.txt");
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dlog4j2.contextSelector=" + AsyncLoggerContextSelector.class.getName());
    command.add("-Dlog4j2.configurationFile=async-trace-ids-log4j2.xml");
    command.add("-Dcairn.test.logFile=" + logFile);
    if (injector.equals("ForGarbageFreeThreadContextMap")) {
      command.add("-Dlog4j2.threadContextMap=GarbageFree");
    }
    command.add(AsyncTraceIdsMain.class.getName());

    Process child =
        new ProcessBuilder(command)
            .redirectOutput(stdout.toFile())
            .redirectError(stderr.toFile())
            .start();
    try {
      assertTrue(
          child.waitFor(60, TimeUnit.SECONDS),
          () -> "child JVM did not finish within 60 s; stderr:\n" + read(stderr));
      assertEquals(0, child.exitValue(), () -> "child JVM failed; stderr:\n" + read(stderr));
    } finally {
      child.destroyForcibly();
    }

    List<String> out = Files.readAllLines(stdout, UTF_8);
    String mode = out.stream().filter(l -> l.startsWith("MODE|")).findFirst().orElse("");
    assertTrue(
        mode.contains("|org.apache.logging.log4j.core.async.AsyncLoggerContext|")
            && mode.contains("|org.apache.logging.log4j.core.async.AsyncLogger|"),
        () -> "child is not in all-async mode: " + mode);
    assertTrue(mode.endsWith("$" + injector), () -> "wrong context data injector: " + mode);
    assertTrue(out.contains("DONE"), () -> "child did not finish: " + out);
    assertEquals("", read(stderr).strip(), "Log4j2 status or JVM complaints on stderr");

    Map<String, String> expected = byMessage(out, "EXPECT|");
    Map<String, String> logged = byMessage(Files.readAllLines(logFile, UTF_8), "LOG|");
    int lines = AsyncTraceIdsMain.THREADS * AsyncTraceIdsMain.SPANS_PER_THREAD * LINES_PER_SPAN;
    assertEquals(lines, expected.size(), "expectations printed by the child");
    assertEquals(expected.keySet(), logged.keySet(), "every expected line was logged, once");
    List<String> wrong = new ArrayList<>();
    expected.forEach(
        (message, fields) -> {
          if (!fields.equals(logged.get(message))) {
            wrong.add(message + ": expected " + fields + " but logged " + logged.get(message));
          }
        });
    assertEquals(List.of(), wrong.subList(0, Math.min(10, wrong.size())), wrong.size() + " wrong");
  }

  /** {@code PREFIX|message|rest} lines keyed by message; a message seen twice fails. */
  private static Map<String, String> byMessage(List<String> lines, String prefix) {
    Map<String, String> byMessage = new HashMap<>();
    for (String line : lines) {
      if (line.startsWith(prefix)) {
        String rest = line.substring(prefix.length());
        int bar = rest.indexOf('|');
        String message = rest.substring(0, bar);
        String previous = byMessage.put(message, rest.substring(bar + 1));
        assertEquals(null, previous, () -> "line logged twice: " + line);
      }
    }
    return byMessage;
  }

  private static String javaCommand() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, UTF_8);
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }
}
