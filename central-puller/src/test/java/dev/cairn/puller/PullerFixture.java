package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import dev.cairn.store.SpanReader;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shippers, span files and pullers for the puller's end-to-end tests: real shippers in this JVM
 * whose span files hold the same traces split across hosts (the root on A, its two children on
 * B), a puller with an embedded store, all under a temporary directory and closed after each test.
 */
abstract class PullerFixture {
  private static final String SECRET = "puller-it-secret-0123456789abcdef";
  static final long BASE_MICROS = 1_763_700_000_000_000L;

  @TempDir Path tmp;
  final List<AutoCloseable> open = new ArrayList<>();
  private final Random random = new Random(42);
  private final Map<String, Integer> fileCounter = new HashMap<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
  }

  /** A shipper of host {@code name} on {@code port}, its span directory under tmp/name/spans. */
  Shipper shipper(String name, int port) throws IOException {
    Path yaml = shipperYaml(tmp.resolve(name), name, SECRET, port, "");
    Shipper s = Shipper.start(ShipperConfig.load(yaml, List.of(), Map.of(), Map.of()));
    open.add(s);
    return s;
  }

  /**
   * Writes {@code home/shipper.yaml} for a test shipper: spans from {@code home/spans/}, journal and
   * replica under {@code home/journal/}, loopback on {@code port} (0: any), scanning every 50 ms.
   */
  static Path shipperYaml(Path home, String name, String secret, int port, String extra) throws IOException {
    Files.createDirectories(home.resolve("spans"));
    Path yaml = home.resolve("shipper.yaml");
    Files.writeString(yaml, """
        name: %s
        spans: spans/
        journal:
          primary: journal/primary
          replica: journal/replica
        auth:
          secret: "%s"
        listen: 127.0.0.1:%d
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(name, secret, port) + extra, UTF_8);
    return yaml;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Path pullerYaml(List<String> hosts) throws IOException {
    Path yaml = tmp.resolve("puller.yaml");
    StringBuilder h = new StringBuilder("hosts:\n");
    hosts.forEach(x -> h.append("  - ").append(x).append('\n'));
    if (hosts.isEmpty()) {
      h.setLength(0);
      h.append("hosts: []\n");
    }
    Path staged = tmp.resolve("puller.yaml.tmp");
    Files.writeString(staged, h + """
        auth:
          secret: "%s"
        store:
          path: central/store
        state: central/state
        http: 127.0.0.1:0
        pull:
          maxWaitMillis: 300
          concurrency: 4
        backoff:
          initialMillis: 100
          maxMillis: 400
        assembly:
          quietMillis: 300
          maxWaitMillis: 3000
          gapFetchMillis: 1000
        """.formatted(SECRET), UTF_8);
    Files.move(staged, yaml, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return yaml;
  }

  Puller puller(Path yaml) throws IOException {
    return puller(yaml, List.of());
  }

  /** A puller of {@code yaml} with {@code --set} overrides. */
  Puller puller(Path yaml, List<String> sets) throws IOException {
    Puller p = Puller.start(PullerConfig.load(yaml, sets, Map.of(), Map.of()));
    open.add(p);
    return p;
  }

  /** Writes {@code n} traces: the root (service svc-a) to host A's span directory, two children (svc-b) to B's. */
  List<TraceId> writeTraces(int n) throws IOException {
    List<Object> onA = new ArrayList<>();
    List<Object> onB = new ArrayList<>();
    List<TraceId> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long hi = random.nextLong();
      long lo = random.nextLong() | 1;
      long root = random.nextLong() | 1;
      long start = BASE_MICROS + i * 1_000L;
      onA.add(span(hi, lo, root, 0, "svc-a", "GET /checkout", SpanKind.SERVER, start));
      onB.add(span(hi, lo, random.nextLong() | 1, root, "svc-b", "charge", SpanKind.SERVER, start + 10));
      onB.add(span(hi, lo, random.nextLong() | 1, root, "svc-b", "reserve", SpanKind.SERVER, start + 20));
      ids.add(new TraceId(hi, lo));
    }
    writeFile("A", onA, 50);
    writeFile("B", onB, 50);
    return ids;
  }

  /**
   * Writes {@code n} traces to host B's span directory whose one span's parent is nowhere; returns
   * each trace with the missing parent's span ID.
   */
  Map<TraceId, Long> writeOrphans(int n) throws IOException {
    List<Object> onB = new ArrayList<>();
    Map<TraceId, Long> missing = new HashMap<>();
    for (int i = 0; i < n; i++) {
      long hi = random.nextLong();
      long lo = random.nextLong() | 1;
      long parent = random.nextLong() | 1;
      onB.add(span(hi, lo, random.nextLong() | 1, parent, "svc-b", "charge", SpanKind.SERVER, BASE_MICROS + i));
      missing.put(new TraceId(hi, lo), parent);
    }
    writeFile("B", onB, 50);
    return missing;
  }

  /** A value from a shipper's /metrics. */
  static long shipperMetric(Shipper s, String line) {
    try {
      String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + s.httpAddress().getPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      for (String l : text.split("\n")) {
        if (l.startsWith(line + " ")) {
          return (long) Double.parseDouble(l.substring(line.length() + 1));
        }
      }
      return -1;
    } catch (IOException | InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  private static SpanRecord span(long hi, long lo, long id, long parent, String service, String name, SpanKind kind,
      long start) {
    return SpanRecord.builder().traceId(hi, lo).spanId(id).parentSpanId(parent).service(service)
        .scope("dev.cairn.test", "1.0").name(name).kind(kind).startMicros(start).durationMicros(500)
        .addAttribute("http.route", "/checkout").build();
  }

  private void writeFile(String host, List<Object> records, int perBlock) throws IOException {
    int n = fileCounter.merge(host, 1, Integer::sum);
    Path staged = tmp.resolve(host + "-" + n + ".staged");
    TestFiles.write(staged, records, perBlock);
    Path dir = Files.createDirectories(tmp.resolve(host).resolve("spans"));
    Files.move(staged, dir.resolve("app-" + n + ".cairn"));
  }

  static void await(String what, long millis, BooleanSupplier done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out after " + millis + " ms waiting for: " + what);
      }
      Thread.sleep(50);
    }
  }

  static List<TraceSummary> all(SpanReader r) {
    try {
      return r.findTraces(TraceQuery.builder().limit(TraceQuery.MAX_LIMIT).build());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Whether every trace is stored complete with its three spans. */
  static boolean allComplete(SpanReader r, List<TraceId> ids) {
    try {
      for (TraceId id : ids) {
        var t = r.trace(id);
        if (t.isEmpty() || t.get().spans().size() != 3 || !t.get().summary().complete()) {
          return false;
        }
      }
      return true;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static long metric(Puller p, String line) {
    for (String l : p.metricsText().split("\n")) {
      if (l.startsWith(line + " ")) {
        return (long) Double.parseDouble(l.substring(line.length() + 1));
      }
    }
    throw new AssertionError("no metric " + line + " in\n" + p.metricsText());
  }
}
