package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.shipper.JournalReplay;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanReader;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of the puller and the embedded store, all real processes on loopback.
 *
 * <p>Three simulated hosts A, B, C (a directory each): on each an application ({@link
 * ThreeHostApp}, Cairn's tracer writing through {@code <SpanFile>}) and a shipper; svc-a calls
 * svc-b, svc-b calls svc-c, with W3C headers. A driver sends {@value #REQUESTS} requests to svc-a,
 * which answers each with its trace ID and span count. One puller with an embedded store is killed
 * with SIGKILL three times during the run and started again. Then:
 * <ol>
 *   <li>every trace is stored complete, exactly its spans (none lost, none twice), every parent
 *       present, its services the three hosts', and the dependency links count every call;
 *   <li>with host B's primary journal deleted, {@link Recovery} from B's replica plus A's and C's
 *       journals fills a fresh store with every trace complete again;
 *   <li>B's shipper restarted serves from its replica, and a fresh puller (fresh store, no cursors)
 *       stores every trace complete again.
 * </ol>
 */
class ThreeHostIT {
  private static final String SECRET = "three-host-it-secret-0123456789ab";
  private static final int REQUESTS = 360;
  private static final List<String> HOSTS = List.of("A", "B", "C");
  private static final List<String> SERVICES = List.of("svc-a", "svc-b", "svc-c");

  @TempDir Path tmp;
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  /** The spans request {@code i} makes: svc-a SERVER + CLIENT, svc-b SERVER + k CLIENT, k × (svc-c SERVER + i % 3). */
  static int expectedSpans(long i) {
    long k = 1 + i % 2;
    return (int) (2 + 1 + k + k * (1 + i % 3));
  }

  @Test
  void threeHosts_pullerKilledThreeTimes_everyTraceCompleteOnce_thenAgainFromHostBsReplica() throws Exception {
    boolean passed = false;
    try {
      run();
      passed = true;
    } finally {
      for (Child c : children) {
        c.process.destroyForcibly();
      }
      for (Child c : children) {
        c.process.waitFor(10, TimeUnit.SECONDS);
      }
      if (!passed) {
        for (Child c : children) {
          System.err.println("===== " + c.name + " (exit " + (c.process.isAlive() ? "alive" : c.process.exitValue())
              + ") stderr:\n" + c.stderrText());
        }
      }
    }
  }

  private void run() throws Exception {
    long t0 = System.currentTimeMillis();
    Map<String, Child> shippers = new ConcurrentHashMap<>();
    Map<String, Integer> pullPorts = new ConcurrentHashMap<>();
    for (String host : HOSTS) {
      Child s = startShipper(host, 1);
      shippers.put(host, s);
      pullPorts.put(host, Integer.parseInt(s.startedLine.split(" ")[1]));
    }
    // Started callee first, so each caller knows where to call.
    Child appC = startApp("C", "svc-c", "-");
    Child appB = startApp("B", "svc-b", "http://127.0.0.1:" + appC.startedLine.split(" ")[1]);
    Child appA = startApp("A", "svc-a", "http://127.0.0.1:" + appB.startedLine.split(" ")[1]);
    URI front = URI.create("http://127.0.0.1:" + appA.startedLine.split(" ")[1] + "/work");
    log(t0, "3 shippers and 3 applications started");

    Path central = tmp.resolve("central");
    int pullerHttp = freePort();
    Path pullerYaml = pullerYaml(central, pullPorts, pullerHttp);

    // The driver: REQUESTS requests over about 12 s, three at a time.
    Map<TraceId, Integer> expected = new ConcurrentHashMap<>();
    List<String> failures = new CopyOnWriteArrayList<>();
    ExecutorService driver = Executors.newFixedThreadPool(3);
    for (int t = 0; t < 3; t++) {
      int first = t;
      driver.submit(() -> {
        for (int i = first; i < REQUESTS; i += 3) {
          try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(front + "?i=" + i))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
            String[] f = r.body().strip().split(" ");
            if (r.statusCode() != 200 || f.length != 2 || Integer.parseInt(f[1]) != expectedSpans(i)) {
              failures.add("request " + i + ": " + r.statusCode() + " " + r.body());
            } else if (expected.put(TraceId.fromHex(f[0]), expectedSpans(i)) != null) {
              failures.add("request " + i + ": trace ID " + f[0] + " twice");
            }
            Thread.sleep(100);
          } catch (Exception e) {
            failures.add("request " + i + ": " + e);
          }
        }
      });
    }
    driver.shutdown();

    // kill -9 of the puller three times while the applications run.
    Random random = new Random(11);
    for (int kill = 1; kill <= 3; kill++) {
      Child puller = startPuller("puller-" + kill, pullerYaml);
      Thread.sleep(2_000 + random.nextInt(1_500));
      puller.kill();
      log(t0, "puller SIGKILLed (" + kill + ")");
    }
    Map<String, Long> cursors = new CursorStore(central.resolve("state")).load();
    log(t0, "cursors after 3 kills: " + cursors);
    for (String host : HOSTS) {
      assertTrue(cursors.getOrDefault(host, 0L) > 1, "the killed pullers got somewhere on " + host + ": " + cursors);
    }
    Child puller = startPuller("puller-4", pullerYaml);
    assertTrue(driver.awaitTermination(60, TimeUnit.SECONDS), "the driver finished");
    assertEquals(List.of(), failures, "every request answered as expected");
    assertEquals(REQUESTS, expected.size());
    for (Child app : List.of(appA, appB, appC)) {
      app.send("STOP");
    }
    for (Child app : List.of(appA, appB, appC)) {
      app.awaitLine("STOPPED", 20_000);
      assertTrue(app.process.waitFor(10, TimeUnit.SECONDS), app.name + " exited");
    }
    log(t0, "driver done: " + expected.size() + " traces, " + sum(expected) + " spans; applications stopped");

    awaitShippersCaughtUp(shippers);
    awaitPullerCaughtUp(pullerHttp, HOSTS);
    puller.term();
    log(t0, "puller caught up and stopped");
    assertStore(central.resolve("store"), expected, "after 3 kills of the puller");
    log(t0, "store checked");

    // (1) Host B's primary journal is lost: recover from B's replica (and A's, C's journals).
    shippers.get("B").term();
    deleteTree(tmp.resolve("B/journal/primary"));
    Path recovered = tmp.resolve("recovered-store");
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(recovered)) {
      for (Path journal : List.of(tmp.resolve("A/journal/primary"), tmp.resolve("B/journal/replica"),
          tmp.resolve("C/journal/primary"))) {
        try (JournalReplay replay = JournalReplay.open(journal)) {
          Recovery.Result r = Recovery.builder(store.writer()).reader(store.reader()).build()
              .run(RecoveryJournal.source(replay), 1);
          log(t0, "recovered " + tmp.relativize(journal) + ": blocks=" + r.blocks() + " spans=" + r.spans()
              + " added=" + r.spansAdded() + " corrupt=" + r.corrupt());
          assertEquals(0, r.corrupt(), "corrupt blocks in " + journal);
        }
      }
    }
    assertStore(recovered, expected, "after cairn recover from B's replica");
    log(t0, "recovered store checked");

    // (2) B's shipper started again serves from its replica; a fresh puller gets every trace.
    Child b2 = startShipper("B", 2);
    pullPorts.put("B", Integer.parseInt(b2.startedLine.split(" ")[1]));
    int b2Http = Integer.parseInt(b2.startedLine.split(" ")[2]);
    String metrics = get(b2Http, "/metrics");
    assertTrue(metrics.contains("cairn_shipper_journal_serving_from{copy=\"replica\"} 1"),
        "B's shipper serves from its replica:\n" + grep(metrics, "serving_from"));
    Path central2 = tmp.resolve("central2");
    int puller2Http = freePort();
    Child puller2 = startPuller("puller-fresh", pullerYaml(central2, pullPorts, puller2Http));
    awaitPullerCaughtUp(puller2Http, HOSTS);
    puller2.term();
    assertStore(central2.resolve("store"), expected, "a fresh puller with B serving from its replica");
    log(t0, "fresh puller's store checked");
  }

  // ---------------------------------------------------------------------------------------------
  // What the store must hold

  private static void assertStore(Path dir, Map<TraceId, Integer> expected, String when) throws Exception {
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(dir)) {
      SpanReader reader = store.reader();
      List<String> problems = new ArrayList<>();
      long spans = 0;
      for (Map.Entry<TraceId, Integer> e : expected.entrySet()) {
        Optional<Trace> found = reader.trace(e.getKey());
        if (found.isEmpty()) {
          problems.add(e.getKey() + ": missing");
          continue;
        }
        Trace t = found.get();
        int n = e.getValue();
        spans += t.spans().size();
        Set<Long> ids = new HashSet<>();
        Set<String> services = new HashSet<>();
        int roots = 0;
        for (SpanRecord s : t.spans()) {
          ids.add(s.spanId());
          services.add(s.service());
          roots += s.parentSpanId() == 0 ? 1 : 0;
        }
        if (t.spans().size() != n || t.summary().spanCount() != n || ids.size() != n) {
          problems.add(e.getKey() + ": " + t.spans().size() + " spans (" + ids.size() + " distinct, summary "
              + t.summary().spanCount() + "), expected " + n);
        }
        if (!t.summary().complete()) {
          problems.add(e.getKey() + ": not complete " + t.summary().warnings());
        }
        if (roots != 1 || !"svc-a".equals(t.summary().rootService())) {
          problems.add(e.getKey() + ": " + roots + " roots, root service '" + t.summary().rootService() + "'");
        }
        for (SpanRecord s : t.spans()) {
          if (s.parentSpanId() != 0 && !ids.contains(s.parentSpanId())) {
            problems.add(e.getKey() + ": span " + Long.toHexString(s.spanId()) + " of " + s.service()
                + " lacks its parent " + Long.toHexString(s.parentSpanId()));
          }
        }
        if (!services.equals(Set.copyOf(SERVICES)) || !t.summary().services().equals(SERVICES)) {
          problems.add(e.getKey() + ": services " + services + ", summary " + t.summary().services());
        }
      }
      assertTrue(problems.isEmpty(), when + ": " + problems.size() + " problems, first: "
          + problems.subList(0, Math.min(20, problems.size())));
      assertEquals(sum(expected), spans, when + ": spans stored");
      assertEquals(expected.size(),
          reader.findTraces(TraceQuery.builder().limit(TraceQuery.MAX_LIMIT).build()).size(),
          when + ": traces stored");
      long bToC = 0;
      for (int i = 0; i < REQUESTS; i++) {
        bToC += 1 + i % 2;
      }
      List<DependencyLink> links = reader.dependencies(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2);
      assertEquals(List.of(new DependencyLink("svc-a", "svc-b", REQUESTS, 0),
          new DependencyLink("svc-b", "svc-c", bToC, 0)), links, when + ": dependency links");
    }
  }

  private static long sum(Map<TraceId, Integer> expected) {
    return expected.values().stream().mapToLong(Integer::longValue).sum();
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting for the pipeline to drain

  /** Every span file of every host journaled: no followed file has bytes left to read. */
  private void awaitShippersCaughtUp(Map<String, Child> shippers) throws Exception {
    for (String host : HOSTS) {
      int port = Integer.parseInt(shippers.get(host).startedLine.split(" ")[2]);
      await("shipper " + host + " journaled every span file", 30_000, () -> {
        String m = get(port, "/metrics");
        return metricValues(m, "cairn_shipper_file_lag_bytes").stream().allMatch(v -> v == 0)
            && metricValues(m, "cairn_shipper_journal_last_seq").stream().allMatch(v -> v > 0);
      });
    }
  }

  /** Every host pulled to its end and nothing held by the assembler, twice in a row 500 ms apart. */
  private void awaitPullerCaughtUp(int port, List<String> hosts) throws Exception {
    int[] inARow = {0};
    await("the puller pulled every host to its end and stored what it held", 60_000, () -> {
      String m = get(port, "/metrics");
      boolean idle = hosts.stream().allMatch(h -> metricValues(m, "cairn_puller_host_lag_blocks{host=\"" + h + "\"}")
              .equals(List.of(0L)))
          && metricValues(m, "cairn_puller_held_records").equals(List.of(0L))
          && metricValues(m, "cairn_puller_queued_trace_parts").equals(List.of(0L))
          && metricValues(m, "cairn_puller_assembly_queue_blocks").equals(List.of(0L));
      inARow[0] = idle ? inARow[0] + 1 : 0;
      if (!idle) {
        sleep(450);
      }
      return inARow[0] >= 2;
    });
  }

  /** Values of the samples whose name (with labels, if given) is {@code name}. */
  private static List<Long> metricValues(String text, String name) {
    List<Long> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (l.startsWith(name + " ") || (!name.contains("{") && l.startsWith(name + "{"))) {
        out.add((long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)));
      }
    }
    return out;
  }

  private static String grep(String text, String word) {
    return String.join("\n", Stream.of(text.split("\n")).filter(l -> l.contains(word)).toList());
  }

  private String get(int port, String path) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString(UTF_8)).body();
    } catch (IOException e) {
      return ""; // not up yet, or stopping: the caller's wait goes on
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static void await(String what, long millis, BooleanSupplier done) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!done.getAsBoolean()) {
      if (System.currentTimeMillis() > deadline) {
        throw new AssertionError("timed out after " + millis + " ms waiting for: " + what);
      }
      Thread.sleep(50);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void log(long t0, String what) {
    System.out.printf("ThreeHostIT %6.1f s: %s%n", (System.currentTimeMillis() - t0) / 1000.0, what);
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration and processes

  private Child startShipper(String host, int run) throws Exception {
    Path home = Files.createDirectories(tmp.resolve(host));
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
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(host, SECRET), UTF_8);
    List<String> command = javaCommand(System.getProperty("java.class.path"));
    command.addAll(List.of("-Dlog4j2.configurationFile=" + resource("three-host-child-log4j2.xml"),
        ThreeHostChild.class.getName(), "shipper", yaml.toString()));
    return start("shipper-" + host + "-" + run, command, "started ", 30_000);
  }

  private Child startApp(String host, String service, String next) throws Exception {
    List<String> command = javaCommand(appClasspath());
    command.addAll(List.of("-Dlog4j2.configurationFile=" + resource("three-host-app-log4j2.xml"),
        "-Dspans.dir=" + tmp.resolve(host).resolve("spans"), "-Dapp.service=" + service,
        ThreeHostApp.class.getName(), service, next));
    return start("app-" + service, command, "STARTED ", 30_000);
  }

  private Child startPuller(String name, Path yaml) throws Exception {
    List<String> command = javaCommand(System.getProperty("java.class.path"));
    command.addAll(List.of("-Dlog4j2.configurationFile=" + resource("three-host-child-log4j2.xml"),
        ThreeHostChild.class.getName(), "puller", yaml.toString()));
    return start(name, command, "started", 30_000);
  }

  private Path pullerYaml(Path dir, Map<String, Integer> pullPorts, int httpPort) throws IOException {
    Files.createDirectories(dir);
    StringBuilder hosts = new StringBuilder("hosts:\n");
    for (String host : HOSTS) {
      hosts.append("  - ").append(host).append("@127.0.0.1:").append(pullPorts.get(host)).append('\n');
    }
    Path yaml = dir.resolve("puller.yaml");
    Files.writeString(yaml, hosts + """
        auth:
          secret: "%s"
        store:
          path: store
        state: state
        http: 127.0.0.1:%d
        pull:
          maxWaitMillis: 300
          concurrency: 3
        backoff:
          initialMillis: 100
          maxMillis: 400
        assembly:
          quietMillis: 300
          maxWaitMillis: 3000
          gapFetchMillis: 1000
        """.formatted(SECRET, httpPort), UTF_8);
    return yaml;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String resource(String name) throws Exception {
    return Path.of(ThreeHostIT.class.getResource("/" + name).toURI()).toString();
  }

  private static List<String> javaCommand(String classpath) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath));
    return command;
  }

  /** The applications run on the test class path: it holds the {@code <SpanFile>} appender. */
  private static String appClasspath() {
    return System.getProperty("java.class.path");
  }

  private Child start(String name, List<String> command, String startedPrefix, long millis) throws Exception {
    Child c = new Child(name, command, tmp.resolve("logs").resolve(name + ".err"));
    children.add(c);
    c.startedLine = c.awaitLine(startedPrefix, millis);
    return c;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A child JVM: its stdout lines queued, its stderr in a file. */
  private static final class Child {
    final String name;
    final Process process;
    final Path stderr;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    String startedLine;

    Child(String name, List<String> command, Path stderr) throws IOException {
      this.name = name;
      this.stderr = stderr;
      Files.createDirectories(stderr.getParent());
      this.process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException e) {
          // the child is gone
        }
      }, name + "-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    String awaitLine(String prefix, long millis) throws InterruptedException {
      long deadline = System.currentTimeMillis() + millis;
      while (true) {
        String line = lines.poll(Math.max(1, deadline - System.currentTimeMillis()), TimeUnit.MILLISECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line;
        }
        if (line == null) {
          throw new AssertionError(name + " did not print '" + prefix + "' within " + millis + " ms (alive: "
              + process.isAlive() + ")");
        }
      }
    }

    void send(String line) throws IOException {
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(UTF_8));
      in.flush();
    }

    /** SIGKILL. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), name + " died of SIGKILL");
    }

    /** SIGTERM: the daemon closes in order. */
    void term() throws InterruptedException {
      process.destroy();
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " stopped on SIGTERM");
    }

    String stderrText() {
      try {
        return Files.readString(stderr, UTF_8);
      } catch (IOException e) {
        return "(" + e + ")";
      }
    }
  }
}
