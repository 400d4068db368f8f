package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InspectCommandTest {
  @TempDir Path dir;

  private static final Map<String, Object> PROCESS_JSON = Map.of(
      "service", "checkout", "host", "host-1", "instance", "pod-7", "pid", 4242L,
      "startMicros", 1_700_000_000_000_000L,
      "tags", Map.of("runtime", "17.0.15", "region", "eu-west"));

  @Test
  void inspect_printsEverySpanFieldWithNativeJsonTypes() throws IOException {
    Path file = write(dir.resolve("a.cairn"), block(fullSpan()));

    Run run = run("inspect", file.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertEquals(1, run.outLines().size());
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("type", "span");
    expected.put("traceId", "0af7651916cd43dd8448eb211c80319c");
    expected.put("spanId", "b7ad6b7169203331");
    expected.put("parentSpanId", "00f067aa0ba902b7");
    expected.put("flags", 3L);
    expected.put("service", "checkout");
    expected.put("name", "GET /cart");
    expected.put("kind", "SERVER");
    expected.put("startMicros", START);
    expected.put("durationMicros", 1234L);
    expected.put("status", "ERROR");
    expected.put("statusMessage", "boom \"quoted\"\n\tsecond line");
    expected.put("scope", Map.of("name", "dev.cairn.http", "version", "1.2.3"));
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("http.route", "/cart");
    attributes.put("ok", true);
    attributes.put("retried", false);
    attributes.put("count", -42L);
    attributes.put("ratio", 0.25);
    attributes.put("nan", "NaN");
    attributes.put("inf", "Infinity");
    attributes.put("big", 1e300);
    attributes.put("tags", List.of("a", "b\"c"));
    attributes.put("bools", List.of(true, false));
    attributes.put("sizes", List.of(1L, -2L, Long.MAX_VALUE));
    attributes.put("weights", List.of(1.5, -0.5));
    attributes.put("unicode", "żółw 🐢 \u0001 \\");
    attributes.put("order.id", "o-17");
    attributes.put("user.id", 99L);
    expected.put("attributes", attributes);
    expected.put("businessKeys", List.of("order.id", "user.id"));
    expected.put("events", List.of(
        Map.of("timeMicros", START + 10, "name", "exception", "attributes",
            Map.of("exception.type", "java.io.IOException", "attempt", 2L)),
        Map.of("timeMicros", START + 20, "name", "retry", "attributes", Map.of())));
    expected.put("links", List.of(Map.of(
        "traceId", "11111111111111112222222222222222", "spanId", "3333333333333333",
        "refType", "FOLLOWS_FROM", "attributes", Map.of("messaging.id", "m-1"))));
    expected.put("fileId", FILE_ID.toString());
    expected.put("process", PROCESS_JSON);

    Map<String, Object> actual = MiniJson.object(run.outLines().get(0));
    assertEquals(expected, actual);
    // Attribute order is the span's order, not a hash order.
    assertEquals(List.copyOf(attributes.keySet()),
        List.copyOf(((Map<?, ?>) actual.get("attributes")).keySet()));
  }

  @Test
  void inspect_printsRootSpanWithEmptyParentAndDefaults() throws IOException {
    Path file = write(dir.resolve("a.cairn"), block(rootSpan(5)));

    Map<String, Object> span = MiniJson.object(run("inspect", file.toString()).outLines().get(0));

    assertEquals("", span.get("parentSpanId"));
    assertEquals("0000000000000005", span.get("spanId"));
    assertEquals("INTERNAL", span.get("kind"));
    assertEquals("UNSET", span.get("status"));
    assertEquals("", span.get("statusMessage"));
    assertEquals(Map.of("name", "", "version", ""), span.get("scope"));
    assertEquals(Map.of(), span.get("attributes"));
    assertEquals(List.of(), span.get("businessKeys"));
    assertEquals(List.of(), span.get("events"));
    assertEquals(List.of(), span.get("links"));
  }

  @Test
  void inspect_printsLogRecordsInWriteOrderAmongSpans() throws IOException {
    Path file = write(dir.resolve("a.cairn"), block(rootSpan(1), log(), rootSpan(2)));

    Run run = run("inspect", file.toString());

    assertEquals(0, run.status(), run.err());
    List<String> lines = run.outLines();
    assertEquals(3, lines.size());
    assertEquals("root-1", MiniJson.object(lines.get(0)).get("name"));
    assertEquals("root-2", MiniJson.object(lines.get(2)).get("name"));
    Map<String, Object> expected = new LinkedHashMap<>();
    expected.put("type", "log");
    expected.put("traceId", "0af7651916cd43dd8448eb211c80319c");
    expected.put("spanId", "b7ad6b7169203331");
    expected.put("timeMicros", START + 15);
    expected.put("level", "WARN");
    expected.put("logger", "com.shop.Cart");
    expected.put("thread", "http-nio-8080-exec-1");
    expected.put("message", "cart \"full\"\ttab ünïcode");
    expected.put("thrown",
        "java.lang.IllegalStateException: full\n\tat com.shop.Cart.add(Cart.java:42)\n");
    expected.put("fileId", FILE_ID.toString());
    expected.put("process", PROCESS_JSON);
    assertEquals(expected, MiniJson.object(lines.get(1)));
  }

  @Test
  void inspect_directoryReadsCairnFilesRecursivelyInPathOrder() throws IOException {
    write(dir.resolve("b.cairn"), spansBlock(20, 1));
    write(dir.resolve("a.cairn"), spansBlock(10, 2));
    write(dir.resolve("sub/c.cairn"), spansBlock(30, 1));
    Files.writeString(dir.resolve("notes.txt"), "not a span file, and not read");
    // Named on the command line, a file is read whatever its extension.
    Path named = write(dir.resolve("z.spans"), spansBlock(40, 1));

    Run run = run("inspect", named.toString(), dir.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(List.of("root-40", "root-10", "root-11", "root-20", "root-30"),
        run.outLines().stream().map(l -> MiniJson.object(l).get("name")).toList());
  }

  @Test
  void inspect_reportsSkippedRegionOnStderrAndPrintsTheRecordsAroundIt() throws IOException {
    byte[] middle = spansBlock(20, 3);
    middle[middle.length / 2] ^= 0x40;
    Path file = write(dir.resolve("a.cairn"), spansBlock(10, 2), middle, spansBlock(30, 1));

    Run run = run("inspect", file.toString());

    assertEquals(1, run.status());
    assertEquals(List.of("root-10", "root-11", "root-30"),
        run.outLines().stream().map(l -> MiniJson.object(l).get("name")).toList());
    assertEquals(1, run.errLines().size(), run.err());
    assertTrue(run.errLines().get(0).startsWith("cairn inspect: " + file + ": corrupt: "), run.err());
  }

  @Test
  void inspect_tornTailIsReportedButExitsZero() throws IOException {
    byte[] bytes = fileBytes(HEADER, spansBlock(10, 1), spansBlock(20, 1));
    Path file = dir.resolve("a.cairn");
    Files.write(file, Arrays.copyOf(bytes, bytes.length - 7));

    Run run = run("inspect", file.toString());

    assertEquals(0, run.status());
    assertEquals(1, run.outLines().size());
    assertTrue(run.err().contains(": torn-tail: "), run.err());
  }

  @Test
  void inspect_nonCairnFileIsReportedAndTheOtherFilesStillPrinted() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.txt"), "hello, I am not a span file at all");
    Path good = write(dir.resolve("good.cairn"), spansBlock(1, 1));

    Run run = run("inspect", bad.toString(), good.toString());

    assertEquals(1, run.status());
    assertEquals(1, run.outLines().size());
    assertEquals(List.of("cairn inspect: " + bad + ": not a Cairn span file (bad magic at offset 0)"),
        run.errLines());
  }

  @Test
  void inspect_withoutPathIsUsageError() {
    Run run = run("inspect");

    assertEquals(2, run.status());
    assertTrue(run.err().contains("Missing required parameter"), run.err());
    assertEquals("", run.out());
  }

  @Test
  void inspect_nonexistentPathIsUsageErrorAndReadsNothing() throws IOException {
    Path good = write(dir.resolve("good.cairn"), spansBlock(1, 1));

    Run run = run("inspect", good.toString(), dir.resolve("missing.cairn").toString());

    assertEquals(2, run.status());
    assertEquals("", run.out());
    assertTrue(run.err().contains("no such file or directory: " + dir.resolve("missing.cairn")),
        run.err());
  }

  @Test
  void inspect_stopsWithStatusOneWhenStdoutFails() throws IOException {
    Path file = write(dir.resolve("a.cairn"), spansBlock(1, 3));
    Writer failing = new Writer() {
      @Override
      public void write(char[] cbuf, int off, int len) throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void flush() throws IOException {
        throw new IOException("Broken pipe");
      }

      @Override
      public void close() {}
    };
    StringWriter err = new StringWriter();

    int status = CairnCommand.commandLine(new PrintWriter(failing), new PrintWriter(err, true))
        .execute("inspect", file.toString());

    assertEquals(CairnCommand.EXIT_OUTPUT_CLOSED, status);
    assertEquals("", err.toString(), "a reader that stopped reading is not an error to report");
  }
}
