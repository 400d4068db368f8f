package dev.cairn.store.elasticsearch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Elasticsearch server for tests: the integ-test-zip distribution the build unpacks into
 * {@code target/} (system property {@code cairn.es.home}), single node, security off, bound to
 * 127.0.0.1 on free ports, heap 256-512 MB. One node per test JVM ({@link #shared()}), stopped by a
 * shutdown hook; if the JVM dies without running it, the node still stops: it runs under a small
 * shell that waits for EOF on its stdin (our pipe, closed by the kernel when this JVM dies) and then
 * stops Elasticsearch. Elasticsearch refuses to run as root, so as root the node runs as the system
 * user {@code cairn-es}, created when missing.
 *
 * <pre>{@code
 * URI url = EsNode.shared().url();
 * }</pre>
 */
final class EsNode {
  static final String USER = "cairn-es";
  private static final long START_TIMEOUT_MILLIS = 180_000;
  private static final long STOP_TIMEOUT_MILLIS = 60_000;
  /** Waits for EOF on stdin, then stops Elasticsearch (started with its stdin from /dev/null). */
  private static final String WATCHDOG = """
      "$1/bin/elasticsearch" -p "$2" </dev/null &
      es=$!
      cat >/dev/null
      kill $es 2>/dev/null
      wait $es
      """;

  private static EsNode shared;

  private final Path home;
  private final Path run;
  private final int httpPort;
  private final int transportPort;
  private final boolean asRoot;
  private Process process;

  private EsNode(Path home, Path run, boolean asRoot) throws IOException {
    this.home = home;
    this.run = run;
    this.httpPort = freePort();
    this.transportPort = freePort();
    this.asRoot = asRoot;
  }

  /** The node of this JVM, started on first use. */
  static synchronized EsNode shared() {
    if (shared == null) {
      String h = System.getProperty("cairn.es.home");
      if (h == null || !Files.isDirectory(Path.of(h, "bin"))) {
        throw new IllegalStateException("no Elasticsearch distribution at cairn.es.home=" + h
            + ": run the tests through Maven (the store-elasticsearch pom unpacks it into target/)");
      }
      try {
        Path home = Path.of(h).toAbsolutePath();
        Path base = home.getParent();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
          ensureUser();
          run("chown", "-R", USER, home.toString());
          if (exec(List.of("runuser", "-u", USER, "--", "test", "-x",
              home.resolve("bin/elasticsearch").toString())) != 0) {
            // the checkout is somewhere the user cannot reach (under /root, say): use a copy
            base = Path.of(System.getProperty("java.io.tmpdir"), "cairn-es");
            Path copy = base.resolve(home.getFileName());
            if (!Files.exists(copy.resolve("bin/elasticsearch"))) {
              Files.createDirectories(base);
              run("cp", "-a", home.toString(), copy.toString());
            }
            run("chown", "-R", USER, base.toString());
            home = copy;
          }
        }
        EsNode node = new EsNode(home, prepareRunDirectory(home, base), root);
        node.writeConfig();
        if (root) {
          run("chown", "-R", USER, node.run.toString());
        }
        node.start();
        Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "cairn-es-stop"));
        shared = node;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return shared;
  }

  /** Creates the system user Elasticsearch runs as when it is missing. */
  private static void ensureUser() throws IOException {
    if (exec(List.of("id", "-u", USER)) != 0) {
      String useradd = Files.isExecutable(Path.of("/usr/sbin/useradd")) ? "/usr/sbin/useradd"
          : "useradd";
      run(useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
    }
  }

  private static void run(String... cmd) throws IOException {
    int code = exec(List.of(cmd));
    if (code != 0) {
      throw new IOException(String.join(" ", cmd) + " exited with " + code);
    }
  }

  private static int exec(List<String> cmd) throws IOException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + " did not finish in 120 s");
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + cmd, e);
    }
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + httpPort);
  }

  Path dataDirectory() {
    return run.resolve("data");
  }

  /** Stops the node (as an operator would, SIGTERM) and starts it again on the same data and port. */
  synchronized void restart() throws IOException {
    stop();
    start();
  }

  synchronized void start() throws IOException {
    if (process != null && process.isAlive()) {
      return;
    }
    Path log = run.resolve("console.log");
    List<String> cmd = new ArrayList<>();
    if (asRoot) {
      cmd.addAll(List.of("runuser", "-u", USER, "--"));
    }
    cmd.addAll(List.of("env",
        "ES_JAVA_HOME=" + System.getProperty("java.home"),
        "ES_PATH_CONF=" + run.resolve("config"),
        "ES_TMPDIR=" + run.resolve("tmp"),
        "ES_JAVA_OPTS=-Xms256m -Xmx512m",
        "/bin/sh", "-c", WATCHDOG, "sh", home.toString(), run.resolve("es.pid").toString()));
    process = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Elasticsearch exited with " + process.exitValue()
            + " while starting; the end of " + log + ":\n" + tail(log));
      }
      if (healthy()) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        stop();
        throw new IllegalStateException("Elasticsearch was not up within "
            + START_TIMEOUT_MILLIS / 1000 + " s; the end of " + log + ":\n" + tail(log));
      }
      sleep(250);
    }
  }

  /** Stops the node and waits for it; kills it when it does not stop in time. */
  synchronized void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    process = null;
    List<ProcessHandle> tree = new ArrayList<>();
    tree.add(p.toHandle());
    p.descendants().forEach(tree::add);
    try {
      p.getOutputStream().close(); // EOF for the watchdog: it stops Elasticsearch
    } catch (IOException ignored) {
      // already closed
    }
    try {
      if (!p.waitFor(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        tree.forEach(ProcessHandle::destroyForcibly);
      }
      for (ProcessHandle h : tree) {
        h.onExit().get(STOP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      tree.forEach(ProcessHandle::destroyForcibly);
    }
  }

  private boolean healthy() {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url()
          + "/_cluster/health?wait_for_status=yellow&timeout=1s").toURL().openConnection();
      c.setConnectTimeout(1000);
      c.setReadTimeout(5000);
      try {
        return c.getResponseCode() == 200;
      } finally {
        c.disconnect();
      }
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A fresh run directory (config, data, logs, tmp) under {@code target/}, owned by the user
   * Elasticsearch runs as; run directories of earlier JVMs are deleted, after stopping a node
   * whose pid file says it still runs.
   */
  private static Path prepareRunDirectory(Path home, Path base) throws IOException {
    try (Stream<Path> old = Files.list(base)) {
      for (Path dir : old.filter(d -> d.getFileName().toString().startsWith("es-run-")).toList()) {
        if (jvmAlive(dir.getFileName().toString().substring("es-run-".length()))) {
          continue; // another test JVM's node
        }
        killStale(dir.resolve("es.pid"));
        deleteTree(dir);
      }
    }
    Path run = base.resolve("es-run-" + ProcessHandle.current().pid());
    Files.createDirectories(run.resolve("data"));
    Files.createDirectories(run.resolve("logs"));
    Files.createDirectories(run.resolve("tmp"));
    Path config = run.resolve("config");
    Files.createDirectories(config);
    try (Stream<Path> files = Files.list(home.resolve("config"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Files.copy(f, config.resolve(f.getFileName()));
      }
    }
    Files.createDirectories(config.resolve("jvm.options.d"));
    return run;
  }

  private void writeConfig() throws IOException {
    Files.writeString(run.resolve("config/elasticsearch.yml"), String.join("\n",
        "cluster.name: cairn-test",
        "node.name: cairn-test",
        "network.host: 127.0.0.1",
        "http.port: " + httpPort,
        "transport.port: " + transportPort,
        "discovery.type: single-node",
        "xpack.security.enabled: false",
        "cluster.routing.allocation.disk.threshold_enabled: false",
        "action.destructive_requires_name: false",
        "path.data: " + run.resolve("data"),
        "path.logs: " + run.resolve("logs"),
        ""), StandardCharsets.UTF_8);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean jvmAlive(String pid) {
    try {
      return ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void killStale(Path pidFile) {
    try {
      long pid = Long.parseLong(Files.readString(pidFile).trim());
      ProcessHandle.of(pid)
          .filter(h -> h.info().commandLine().orElse("").contains("elasticsearch"))
          .ifPresent(ProcessHandle::destroyForcibly);
    } catch (IOException | NumberFormatException e) {
      // no pid file: nothing ran there, or it stopped cleanly
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Elasticsearch", e);
    }
  }
}
