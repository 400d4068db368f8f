package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.Trace;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn puller} as a real process ({@code java -jar cairn.jar}), stopped with SIGTERM while
 * span files keep arriving: it stops in order within its bound (exit 143), saves its cursors, and
 * the restart stores the rest without pulling anything twice; in the end every trace is stored
 * once and complete.
 */
class PullerSigtermIT {
  private static final String SECRET = "sigterm-it-secret-0123456789abcdef";
  private static final int FILES = 40;
  private static final int TRACES_PER_FILE = 300;

  @TempDir Path tmp;

  @Test
  void sigtermMidRun_stopsInOrder_savesCursors_andTheRestartLosesAndDuplicatesNothing() throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("A/spans"));
    Path shipperYaml = tmp.resolve("A/shipper.yaml");
    Files.writeString(shipperYaml, """
        name: A
        spans: spans/
        journal: {primary: journal/primary, replica: journal/replica}
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(SECRET), UTF_8);
    List<TraceId> traces = new ArrayList<>();
    try (Shipper shipper = Shipper.start(ShipperConfig.load(shipperYaml, List.of(), Map.of(), Map.of()))) {
      int httpPort = freePort();
      Path pullerYaml = tmp.resolve("puller.yaml");
      Files.writeString(pullerYaml, """
          hosts: [A@127.0.0.1:%d]
          auth: {secret: "%s"}
          store: {path: central/store}
          state: central/state
          http: 127.0.0.1:%d
          pull: {maxWaitMillis: 300, maxBytes: 64KB}
          assembly: {quietMillis: 300, maxWaitMillis: 3000, gapFetchMillis: 1000}
          """.formatted(shipper.pullAddress().getPort(), SECRET, httpPort), UTF_8);
      String metrics = "http://127.0.0.1:" + httpPort + "/metrics";
      Random random = new Random(7);

      // The application keeps writing files while the first puller runs and is stopped.
      Thread writer = new Thread(() -> {
        try {
          for (int f = 0; f < FILES; f++) {
            List<Object> records = new ArrayList<>();
            synchronized (traces) {
              for (int i = 0; i < TRACES_PER_FILE; i++) {
                long hi = random.nextLong();
                long lo = random.nextLong() | 1;
                long root = random.nextLong() | 1;
                records.add(span(hi, lo, root, 0, "web", "GET /cart"));
                records.add(span(hi, lo, random.nextLong() | 1, root, "cart", "load cart"));
                traces.add(new TraceId(hi, lo));
              }
            }
            Path staged = tmp.resolve("staged-" + f);
            TestFiles.write(staged, records, 100);
            Files.move(staged, spans.resolve("app-" + f + ".cairn"));
            Thread.sleep(300);
          }
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }, "span-files");
      writer.start();

      Process first = puller(pullerYaml, "first");
      awaitMetric(first, metrics, "cairn_puller_spans_stored_total", v -> v > 0, true);
      assertTrue(writer.isAlive(), "the files were all written before the puller stored anything: no mid-run stop");
      long t0 = System.nanoTime();
      first.destroy(); // SIGTERM, mid-run: files are still arriving
      assertTrue(first.waitFor(30, TimeUnit.SECONDS), "the puller did not stop within 30 s of SIGTERM");
      double stopSeconds = (System.nanoTime() - t0) / 1e9;
      String log = Files.readString(tmp.resolve("puller-first.log"), UTF_8);
      assertEquals(143, first.exitValue(), log);
      assertTrue(log.contains("The puller stopped"), log);
      assertTrue(log.contains("assembly stopped"), log);
      String cursors = Files.readString(tmp.resolve("central/state/cursors"), UTF_8);
      long saved = Long.parseLong(cursors.lines().filter(l -> l.startsWith("A ")).findFirst()
          .orElseThrow(() -> new AssertionError(cursors)).substring(2).strip());
      assertTrue(saved > 1, "a cursor past the stored blocks was saved: " + cursors);
      writer.join(60_000);
      System.out.printf("PullerSigtermIT: stopped %.2f s after SIGTERM, cursor A %d%n", stopSeconds, saved);

      String shipperMetrics = "http://127.0.0.1:" + shipper.httpAddress().getPort() + "/metrics";
      long blocks = FILES * TRACES_PER_FILE * 2 / 100; // 6 blocks per file
      awaitMetric(first, shipperMetrics, "cairn_shipper_journaled_blocks_total", v -> v == blocks, false);

      Process second = puller(pullerYaml, "second");
      try {
        // Everything acknowledged by the store: the saved cursor is past A's last block.
        awaitMetric(second, metrics, "cairn_puller_host_saved_cursor{host=\"A\"}", v -> v == blocks + 1, true);
        if (saved < blocks + 1) {
          assertTrue(metric(metrics, "cairn_puller_spans_stored_total") > 0, "the rest was stored by the restart");
        }
        assertEquals(0, metric(metrics, "cairn_puller_spans_already_stored_total"),
            "the restart pulled nothing the first run had stored");
      } finally {
        second.destroy();
        assertTrue(second.waitFor(30, TimeUnit.SECONDS));
      }
      assertEquals(143, second.exitValue());
    }

    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(tmp.resolve("central/store"))) {
      int spansStored = 0;
      for (TraceId id : traces) {
        Trace t = store.reader().trace(id).orElseThrow(() -> new AssertionError("trace " + id + " lost"));
        assertEquals(2, t.spans().size(), "trace " + id);
        assertTrue(t.summary().complete(), "trace " + id + ": " + t.summary());
        spansStored += t.spans().size();
      }
      assertEquals(2 * FILES * TRACES_PER_FILE, spansStored);
    }
  }

  private static SpanRecord span(long hi, long lo, long id, long parent, String service, String name) {
    return SpanRecord.builder().traceId(hi, lo).spanId(id).parentSpanId(parent).service(service)
        .name(name).kind(parent == 0 ? SpanKind.SERVER : SpanKind.INTERNAL)
        .startMicros(1_763_700_000_000_000L).durationMicros(100).addAttribute("http.route", "/cart").build();
  }

  private Process puller(Path yaml, String name) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("cairn.jar"), "puller", "--config", yaml.toString()));
    return new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("puller-" + name + ".log").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
  }

  private static long awaitMetric(Process p, String url, String name, java.util.function.LongPredicate done,
      boolean whileAlive) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (System.nanoTime() < deadline) {
      if (whileAlive && !p.isAlive()) {
        throw new AssertionError("the puller exited with " + p.exitValue());
      }
      long v = metric(url, name);
      if (done.test(v)) {
        return v;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + name + " (now " + metric(url, name) + ")");
  }

  private static long metric(String url, String name) throws Exception {
    try {
      String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
      return body.lines().filter(l -> l.startsWith(name + " ")).findFirst()
          .map(l -> (long) Double.parseDouble(l.substring(name.length() + 1))).orElse(-1L);
    } catch (java.io.IOException e) {
      return -1; // not listening yet
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
