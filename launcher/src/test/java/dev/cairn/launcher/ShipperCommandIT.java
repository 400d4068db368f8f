package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.core.testing.TestSpans;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn shipper} as a process of its own: started from a shipper.yaml, it journals a span
 * file, answers /health and /metrics, logs on stderr only (Chronicle's SLF4J logging included),
 * and on SIGTERM stops in order and exits 143.
 */
class ShipperCommandIT {
  static final String SECRET = "0123456789abcdef0123456789abcdef";
  private static final Pattern METRICS_URL = Pattern.compile("metrics on (http://127\\.0\\.0\\.1:\\d+)/metrics");

  @TempDir Path tmp;

  @Test
  void runsUntilSigterm_journalsSpanFiles_logsOnStderrOnly_exits143() throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    List<SpanRecord> records = new ArrayList<>();
    TestSpans gen = new TestSpans(7);
    for (int i = 0; i < 100; i++) {
      records.add(gen.httpServerSpan());
    }
    int blocks = TestFiles.write(tmp.resolve("app.cairn"), records, 10).blockOffsets().size();
    Files.move(tmp.resolve("app.cairn"), spans.resolve("app.cairn"));
    Path config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        name: proc-shipper
        spans: spans/
        journal: {primary: j1, replica: j2}
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        """.formatted(SECRET), UTF_8);

    Path out = tmp.resolve("stdout");
    Path err = tmp.resolve("stderr");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("cairn.jvm.flags", "").trim().split("\\s+")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), CairnCommand.class.getName(),
        "shipper", "--config", config.toString()));
    command.removeIf(String::isEmpty);
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      String base = awaitMetricsUrl(p, err);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      String metrics;
      do {
        metrics = get(http, base + "/metrics").body();
        if (metrics.contains("\ncairn_shipper_journaled_blocks_total " + blocks + "\n")) {
          break;
        }
        Thread.sleep(100);
      } while (System.nanoTime() < deadline);
      assertTrue(metrics.contains("\ncairn_shipper_journaled_blocks_total " + blocks + "\n"), metrics);
      HttpResponse<String> health = get(http, base + "/health");
      assertEquals(200, health.statusCode(), health.body());
      assertTrue(health.body().contains("\"name\":\"proc-shipper\""), health.body());

      p.destroy(); // SIGTERM
      assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the shipper did not stop within 60 s of SIGTERM");
    } finally {
      if (p.isAlive()) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    String stderr = Files.readString(err, UTF_8);
    assertEquals(143, p.exitValue(), stderr);
    assertEquals("", Files.readString(out, UTF_8), "stdout belongs to commands' output, not logs");
    assertTrue(stderr.contains("Shipper 'proc-shipper' stopped in"), stderr);
    assertTrue(stderr.contains("Ingest stopped: final checkpoint at journal seq " + blocks), stderr);
    assertFalse(stderr.contains(SECRET), "the secret is never logged");
    assertFalse(stderr.contains("SLF4J"), "SLF4J is bound to Log4j2, so it does not complain:\n" + stderr);
  }

  private static String awaitMetricsUrl(Process p, Path err) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Matcher m = METRICS_URL.matcher(Files.readString(err, UTF_8));
      if (m.find()) {
        return m.group(1);
      }
      if (!p.isAlive()) {
        throw new AssertionError("cairn shipper exited with " + p.exitValue() + ":\n" + Files.readString(err, UTF_8));
      }
      Thread.sleep(100);
    }
    throw new AssertionError("cairn shipper did not start within 60 s:\n" + Files.readString(err, UTF_8));
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
