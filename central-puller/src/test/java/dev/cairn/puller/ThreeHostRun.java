package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.SpanReader;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Three simulated hosts on loopback and the pullers that collect them, real processes all, for the
 * puller's acceptance tests on any store ({@code ThreeHostIT} on the embedded store, {@code
 * ThreeHostEsIT} on Elasticsearch).
 *
 * <p>Hosts A, B, C are directories under {@code dir}: on each an application ({@link
 * ThreeHostApp}, Cairn's tracer writing through {@code <SpanFile>}) and a shipper ({@link
 * ThreeHostChild}); svc-a calls svc-b, svc-b calls svc-c, with W3C headers. {@link
 * #driveWithPullerKilled} sends {@value #REQUESTS} requests to svc-a (each answered with its trace
 * ID and span count) while a puller is killed with SIGKILL and started again, then drains the
 * pipeline; {@link #assertStored} checks a store against what the applications answered. The
 * puller's store is the caller's: a {@code store:} section of {@code puller.yaml}.
 *
 * <pre>{@code
 * try (ThreeHostRun run = ThreeHostRun.start(tmp, "MyIT")) {
 *   PullerSetup p = run.puller(tmp.resolve("central"), "store:\n  path: store\nstate: state\n");
 *   run.driveWithPullerKilled(p, 3, 2_000, 3_500);
 *   run.assertStored(reader, "after 3 kills");
 *   run.passed();
 * }
 * }</pre>
 *
 * <p>{@link #close} kills every process it started; unless {@link #passed} was called, it prints
 * their standard error first.
 */
public final class ThreeHostRun implements AutoCloseable {
  public static final int REQUESTS = 360;
  public static final List<String> HOSTS = List.of("A", "B", "C");
  public static final List<String> SERVICES = List.of("svc-a", "svc-b", "svc-c");
  private static final String SECRET = "three-host-it-secret-0123456789ab";

  private final Path dir;
  private final String name;
  private final long t0 = System.currentTimeMillis();
  private final List<Child> children = new CopyOnWriteArrayList<>();
  private final Map<String, Child> shippers = new ConcurrentHashMap<>();
  private final Map<String, Integer> shipperRuns = new ConcurrentHashMap<>();
  private final Map<TraceId, Integer> expected = new ConcurrentHashMap<>();
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final Path appLog4j;
  private final Path childLog4j;
  private List<Child> apps = List.of();
  private URI front;
  private boolean passed;
  private Map<String, Long> cursorsAfterKills = Map.of();

  /** A puller's configuration: its directory, its {@code puller.yaml} and its HTTP port. */
  public record PullerSetup(Path dir, Path yaml, int httpPort) {}

  private ThreeHostRun(Path dir, String name) throws IOException {
    this.dir = dir;
    this.name = name;
    // Copied out: the test classes may be a jar when another module runs this harness.
    this.appLog4j = copyResource("three-host-app-log4j2.xml");
    this.childLog4j = copyResource("three-host-child-log4j2.xml");
  }

  /** Starts the three shippers, then the three applications (callee first); {@code name} prefixes the log. */
  public static ThreeHostRun start(Path dir, String name) throws Exception {
    ThreeHostRun run = new ThreeHostRun(dir, name);
    try {
      for (String host : HOSTS) {
        run.startShipper(host);
      }
      Child appC = run.startApp("C", "svc-c", "-");
      Child appB = run.startApp("B", "svc-b", "http://127.0.0.1:" + port(appC, 1));
      Child appA = run.startApp("A", "svc-a", "http://127.0.0.1:" + port(appB, 1));
      run.apps = List.of(appA, appB, appC);
      run.front = URI.create("http://127.0.0.1:" + port(appA, 1) + "/work");
      run.log("3 shippers and 3 applications started");
      return run;
    } catch (Exception | Error e) {
      run.close();
      throw e;
    }
  }

  /** The spans request {@code i} makes: svc-a SERVER + CLIENT, svc-b SERVER + k CLIENT, k × (svc-c SERVER + i % 3). */
  public static int expectedSpans(long i) {
    long k = 1 + i % 2;
    return (int) (2 + 1 + k + k * (1 + i % 3));
  }

  /** Every trace the applications answered, with its span count; filled by {@link #driveWithPullerKilled}. */
  public Map<TraceId, Integer> expected() {
    return Map.copyOf(expected);
  }

  public long expectedSpans() {
    return expected.values().stream().mapToLong(Integer::longValue).sum();
  }

  /** A host's directory: {@code spans/}, {@code journal/primary}, {@code journal/replica}. */
  public Path host(String host) {
    return dir.resolve(host);
  }

  /** When this run started, in ms since the epoch. */
  public long startMillis() {
    return t0;
  }

  /**
   * A puller's configuration in {@code pullerDir}: the three hosts, short waits, and {@code store}
   * (the {@code store:} and {@code state:} lines, paths relative to {@code pullerDir}).
   */
  public PullerSetup puller(Path pullerDir, String store) throws IOException {
    Files.createDirectories(pullerDir);
    int httpPort = freePort();
    StringBuilder hosts = new StringBuilder("hosts:\n");
    for (String host : HOSTS) {
      hosts.append("  - ").append(host).append("@127.0.0.1:").append(port(shippers.get(host), 1)).append('\n');
    }
    Path yaml = pullerDir.resolve("puller.yaml");
    Files.writeString(yaml, hosts + store + """
        auth:
          secret: "%s"
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
    return new PullerSetup(pullerDir, yaml, httpPort);
  }

  /**
   * The run: {@value #REQUESTS} requests to svc-a over about 12 s, three at a time, while the
   * puller is started and killed with SIGKILL {@code kills} times ({@code minUpMillis} to {@code
   * maxUpMillis} after it said it started, or later, as soon as it stored spans: so while it pulls
   * and writes), then started once more; keeps the cursors the killed pullers saved ({@link
   * #assertKilledPullersSavedCursors}). Waits until every request was answered as expected, the
   * applications stopped, every span file journaled, and the last puller pulled every host to its
   * end and stored what it held; then stops that puller with SIGTERM.
   */
  public void driveWithPullerKilled(PullerSetup puller, int kills, int minUpMillis, int maxUpMillis)
      throws Exception {
    List<String> failures = new CopyOnWriteArrayList<>();
    ExecutorService driver = Executors.newFixedThreadPool(3);
    try {
      for (int t = 0; t < 3; t++) {
        int first = t;
        driver.submit(() -> drive(first, failures));
      }
      driver.shutdown();

      Random random = new Random(11);
      for (int kill = 1; kill <= kills; kill++) {
        Child p = startPuller("puller-" + kill, puller);
        Thread.sleep(minUpMillis + random.nextInt(maxUpMillis - minUpMillis + 1));
        String[] m = {""};
        await("puller-" + kill + " stored spans", 60_000, () -> {
          m[0] = get(puller.httpPort(), "/metrics");
          return metricValues(m[0], "cairn_puller_spans_stored_total").stream().anyMatch(v -> v > 0);
        });
        p.kill();
        log("puller SIGKILLed (" + kill + ") after storing " + metricValues(m[0], "cairn_puller_spans_stored_total")
            + " spans (" + metricValues(m[0], "cairn_puller_spans_already_stored_total") + " already stored); pulled to "
            + metricValues(m[0], "cairn_puller_host_cursor") + ", saved " + metricValues(m[0], "cairn_puller_host_saved_cursor")
            + ", holding " + metricValues(m[0], "cairn_puller_held_records") + " records");
      }
      cursorsAfterKills = new CursorStore(puller.dir().resolve("state")).load();
      log("cursors after " + kills + " kills: " + cursorsAfterKills);
      Child last = startPuller("puller-" + (kills + 1), puller);
      assertTrue(driver.awaitTermination(60, TimeUnit.SECONDS), "the driver finished");
      assertEquals(List.of(), failures, "every request answered as expected");
      assertEquals(REQUESTS, expected.size());
      stopApps();
      log("driver done: " + expected.size() + " traces, " + expectedSpans() + " spans; applications stopped");

      awaitShippersCaughtUp();
      String m = awaitPullerCaughtUp(puller.httpPort());
      last.term();
      log("puller caught up and stopped; it stored " + metricValues(m, "cairn_puller_spans_stored_total")
          + " spans, found " + metricValues(m, "cairn_puller_spans_already_stored_total")
          + " already stored, dropped " + metricValues(m, "cairn_puller_duplicate_spans_total") + " duplicates");
    } finally {
      driver.shutdownNow();
    }
  }

  /** Starts a puller, waits until it pulled every host to its end and stored what it held, stops it. */
  public void pullToEnd(String name, PullerSetup puller) throws Exception {
    Child p = startPuller(name, puller);
    awaitPullerCaughtUp(puller.httpPort());
    p.term();
  }

  /** The killed pullers saved cursors past the first block of every host. */
  public void assertKilledPullersSavedCursors() {
    for (String host : HOSTS) {
      assertTrue(cursorsAfterKills.getOrDefault(host, 0L) > 1,
          "the killed pullers got somewhere on " + host + ": " + cursorsAfterKills);
    }
  }

  /** A host's primary disk is lost: its shipper stopped (SIGTERM), its primary journal deleted. */
  public void losePrimaryJournal(String host) throws Exception {
    shippers.get(host).term();
    deleteTree(host(host).resolve("journal/primary"));
  }

  /** Starts a host's shipper (again), on new ports; pullers configured afterwards pull from it. */
  public void startShipper(String host) throws Exception {
    Path yaml = PullerFixture.shipperYaml(host(host), host, SECRET, 0, "");
    List<String> command = javaCommand();
    command.addAll(List.of("-Dlog4j2.configurationFile=" + childLog4j,
        ThreeHostChild.class.getName(), "shipper", yaml.toString()));
    int run = shipperRuns.merge(host, 1, Integer::sum);
    shippers.put(host, start("shipper-" + host + "-" + run, command, "started ", 30_000));
  }

  /** A shipper's {@code /metrics} text. */
  private String shipperMetrics(String host) {
    return get(port(shippers.get(host), 2), "/metrics");
  }

  /** The shipper of {@code host} reports that it serves its replica journal. */
  public void assertServesFromReplica(String host) {
    String metrics = shipperMetrics(host);
    assertTrue(metrics.contains("cairn_shipper_journal_serving_from{copy=\"replica\"} 1"),
        host + "'s shipper serves from its replica:\n" + Stream.of(metrics.split("\n"))
            .filter(l -> l.contains("serving_from")).collect(Collectors.joining("\n")));
  }

  // ---------------------------------------------------------------------------------------------
  // What a store must hold

  /**
   * Every trace the applications answered is stored complete: exactly its spans (none lost, none
   * twice), one root on svc-a, every parent present, the three services; no other trace; the
   * dependency links count every call.
   */
  public void assertStored(SpanReader reader, String when) throws Exception {
    List<String> problems = new ArrayList<>();
    long spans = 0;
    for (Map.Entry<TraceId, Integer> e : expected.entrySet()) {
      Optional<Trace> found = reader.trace(e.getKey());
      if (found.isEmpty()) {
        problems.add(e.getKey() + ": missing");
        continue;
      }
      Trace t = found.get();
      spans += t.spans().size();
      problems.addAll(traceProblems(e.getKey(), t, e.getValue()));
    }
    assertTrue(problems.isEmpty(), when + ": " + problems.size() + " problems, first: "
        + problems.subList(0, Math.min(20, problems.size())));
    assertEquals(expectedSpans(), spans, when + ": spans stored");
    assertEquals(expected.size(),
        reader.findTraces(TraceQuery.builder().limit(TraceQuery.MAX_LIMIT).build()).size(),
        when + ": traces stored");
    long bToC = 0;
    for (int i = 0; i < REQUESTS; i++) {
      bToC += 1 + i % 2;
    }
    long end = (System.currentTimeMillis() + 60_000) * 1_000;
    List<DependencyLink> links = reader.dependencies(end, end - (t0 - 60_000) * 1_000);
    assertEquals(List.of(new DependencyLink("svc-a", "svc-b", REQUESTS, 0),
        new DependencyLink("svc-b", "svc-c", bToC, 0)), links, when + ": dependency links");
  }

  private static List<String> traceProblems(TraceId id, Trace t, int n) {
    List<String> problems = new ArrayList<>();
    Set<Long> ids = new HashSet<>();
    Set<String> services = new HashSet<>();
    int roots = 0;
    for (SpanRecord s : t.spans()) {
      ids.add(s.spanId());
      services.add(s.service());
      roots += s.parentSpanId() == 0 ? 1 : 0;
    }
    if (t.spans().size() != n || t.summary().spanCount() != n || ids.size() != n) {
      problems.add(id + ": " + t.spans().size() + " spans (" + ids.size() + " distinct, summary "
          + t.summary().spanCount() + "), expected " + n);
    }
    if (!t.summary().complete()) {
      problems.add(id + ": not complete " + t.summary().warnings());
    }
    if (roots != 1 || !"svc-a".equals(t.summary().rootService())) {
      problems.add(id + ": " + roots + " roots, root service '" + t.summary().rootService() + "'");
    }
    for (SpanRecord s : t.spans()) {
      if (s.parentSpanId() != 0 && !ids.contains(s.parentSpanId())) {
        problems.add(id + ": span " + Long.toHexString(s.spanId()) + " of " + s.service()
            + " lacks its parent " + Long.toHexString(s.parentSpanId()));
      }
    }
    if (!services.equals(Set.copyOf(SERVICES)) || !t.summary().services().equals(SERVICES)) {
      problems.add(id + ": services " + services + ", summary " + t.summary().services());
    }
    return problems;
  }

  // ---------------------------------------------------------------------------------------------
  // The driver and the applications

  private void drive(int first, List<String> failures) {
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
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        failures.add("request " + i + ": " + e);
      }
    }
  }

  /** STOP to each application: it drains its server and shuts Log4j2 down, writing its last block. */
  private void stopApps() throws Exception {
    for (Child app : apps) {
      app.send("STOP");
    }
    for (Child app : apps) {
      app.awaitLine("STOPPED", 20_000);
      assertTrue(app.process.waitFor(10, TimeUnit.SECONDS), app.name + " exited");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Waiting for the pipeline to drain

  /** Every span file of every host journaled: no followed file has bytes left to read. */
  private void awaitShippersCaughtUp() throws Exception {
    for (String host : HOSTS) {
      await("shipper " + host + " journaled every span file", 30_000, () -> {
        String m = shipperMetrics(host);
        return metricValues(m, "cairn_shipper_file_lag_bytes").stream().allMatch(v -> v == 0)
            && metricValues(m, "cairn_shipper_journal_last_seq").stream().allMatch(v -> v > 0);
      });
    }
  }

  /**
   * Every host pulled to its end and nothing held by the assembler, twice in a row 500 ms apart;
   * the puller's last metrics.
   */
  private String awaitPullerCaughtUp(int port) throws Exception {
    int[] inARow = {0};
    String[] last = {""};
    await("the puller pulled every host to its end and stored what it held", 60_000, () -> {
      String m = get(port, "/metrics");
      last[0] = m;
      boolean idle = HOSTS.stream().allMatch(h -> metricValues(m, "cairn_puller_host_lag_blocks{host=\"" + h + "\"}")
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
    return last[0];
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

  /** A line of progress on standard output, with the seconds since the run started. */
  public void log(String what) {
    System.out.printf("%s %6.1f s: %s%n", name, (System.currentTimeMillis() - t0) / 1000.0, what);
  }

  // ---------------------------------------------------------------------------------------------
  // Processes

  private Child startApp(String host, String service, String next) throws Exception {
    List<String> command = javaCommand();
    command.addAll(List.of("-Dlog4j2.configurationFile=" + appLog4j,
        "-Dspans.dir=" + host(host).resolve("spans"), "-Dapp.service=" + service,
        ThreeHostApp.class.getName(), service, next));
    return start("app-" + service, command, "STARTED ", 30_000);
  }

  private Child startPuller(String name, PullerSetup puller) throws Exception {
    List<String> command = javaCommand();
    command.addAll(List.of("-Dlog4j2.configurationFile=" + childLog4j,
        ThreeHostChild.class.getName(), "puller", puller.yaml().toString()));
    return start(name, command, "started", 30_000);
  }

  /**
   * A JVM on the test class path: it holds the {@code <SpanFile>} appender for the applications,
   * and the stores on it (Elasticsearch's, through its provider) for the puller.
   */
  private static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx192m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path")));
    return command;
  }

  private Child start(String name, List<String> command, String startedPrefix, long millis) throws Exception {
    Child c = new Child(name, command, dir.resolve("logs").resolve(name + ".err"));
    children.add(c);
    c.startedLine = c.awaitLine(startedPrefix, millis);
    return c;
  }

  /** The {@code n}th number of a child's started line ({@code started <pull port> <http port>}). */
  private static int port(Child c, int n) {
    return Integer.parseInt(c.startedLine.split(" ")[n]);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private Path copyResource(String resource) throws IOException {
    Path to = Files.createDirectories(dir.resolve("conf")).resolve(resource);
    try (InputStream in = ThreeHostRun.class.getResourceAsStream("/" + resource)) {
      if (in == null) {
        throw new IOException("no " + resource + " on the test class path");
      }
      Files.copy(in, to);
    }
    return to;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** The test reached its end: {@link #close} need not print the processes' standard error. */
  public void passed() {
    passed = true;
  }

  /** Kills every process started; prints their standard error unless the test {@link #passed}. */
  @Override
  public void close() {
    for (Child c : children) {
      c.process.destroyForcibly();
    }
    for (Child c : children) {
      try {
        c.process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (!passed) {
      for (Child c : children) {
        System.err.println("===== " + c.name + " (exit " + (c.process.isAlive() ? "alive" : c.process.exitValue())
            + ") stderr:\n" + c.stderrText());
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
