package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The demo shop's services as child JVMs of this one ({@link DemoService}), each in
 * {@code <dir>/<service>/} with the {@code log4j2.xml} written for it, its business log and its
 * console output ({@code process.log}). Launched all at once (a service waits for those it calls
 * before it listens); stopped with SIGTERM, then, after a bound, killed.
 */
final class DemoServices implements Closeable {
  private static final Logger LOG = LogManager.getLogger(DemoServices.class);
  static final String PROCESS_LOG = "process.log";
  /** How long a service may take to listen, JVM start included (a loaded 2-core machine). */
  static final long START_TIMEOUT_SECONDS = 60;
  static final long STOP_TIMEOUT_SECONDS = 10;
  /**
   * Small heaps and the quick JIT only: four JVMs share the machine with Cairn itself. The
   * services run Cairn's application side (tracer, {@code <SpanFile>}), which needs none of the
   * {@code --add-opens} the shipper's Chronicle Queue does.
   */
  static final List<String> JVM_OPTIONS = List.of("-Xmx96m", "-XX:+UseSerialGC",
      "-XX:TieredStopAtLevel=1", "-Dlog4j2.shutdownHookEnabled=false");

  /** One service's process. */
  record Child(String service, Path dir, Process process) {}

  private final List<Child> children;

  private DemoServices(List<Child> children) {
    this.children = children;
  }

  /**
   * Launches every service of {@link DemoShop#SERVICES} at once, each writing spans under
   * {@code <spans>/<service>}; {@link #awaitReady} waits until they listen.
   */
  static DemoServices launch(Path dir, Path spans) throws IOException {
    List<Child> launched = new ArrayList<>();
    try {
      for (String service : DemoShop.SERVICES) {
        Map<String, Path> callees = new LinkedHashMap<>();
        for (String callee : DemoShop.CALLS.get(service)) {
          callees.put(callee, dir.resolve(callee).toAbsolutePath());
        }
        launched.add(new Child(service, dir.resolve(service),
            launch(service, dir.resolve(service), spans, callees)));
      }
    } catch (IOException | RuntimeException e) {
      stop(launched.stream().map(Child::process).toList());
      throw e;
    }
    return new DemoServices(List.copyOf(launched));
  }

  /**
   * Waits until every service listens.
   *
   * @throws IOException when a service exited or did not listen in time (the message holds the
   *     end of its output); the caller closes
   */
  void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    for (Child c : children) {
      while (DemoService.ready(c.dir()).isEmpty()) {
        Path log = c.dir().resolve(PROCESS_LOG);
        if (!c.process().isAlive()) {
          throw new IOException(c.service() + " exited with status " + c.process().exitValue()
              + " before it listened; the end of " + log + ":\n" + tail(log));
        }
        if (System.nanoTime() > deadline) {
          throw new IOException(c.service() + " did not listen within " + START_TIMEOUT_SECONDS
              + " s; the end of " + log + ":\n" + tail(log));
        }
        Thread.sleep(25);
      }
    }
  }

  private static Process launch(String service, Path dir, Path spans, Map<String, Path> callees)
      throws IOException {
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve(DemoService.READY_FILE));
    Path config = dir.resolve("log4j2.xml");
    Files.writeString(config, DemoLogging.config(service, spans.resolve(service),
        dir.resolve(service + ".log")), UTF_8);
    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.addAll(JVM_OPTIONS);
    command.add("-Dlog4j2.configurationFile=" + config.toAbsolutePath());
    command.add("-cp");
    command.add(classPath());
    command.add(DemoService.class.getName());
    command.add(service);
    command.add(dir.toAbsolutePath().toString());
    callees.forEach((name, calleeDir) -> command.add(name + "=" + calleeDir));
    Path log = dir.resolve(PROCESS_LOG);
    // stdin stays a pipe from this JVM: its end tells the service that the demo is gone.
    Process p = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    LOG.debug("started {} (pid {}): {}", service, p.pid(), command);
    return p;
  }

  /**
   * This JVM's class path (cairn.jar under bin/cairn) with absolute entries: a service runs in its
   * own directory, and {@code java -jar launcher/target/cairn.jar} gives a relative one.
   */
  static String classPath() {
    return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
        .filter(e -> !e.isEmpty())
        .map(e -> Path.of(e).toAbsolutePath().toString())
        .collect(Collectors.joining(File.pathSeparator));
  }

  /** The JVM running this demo, so the services run on the same Java. */
  static String javaCommand() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  List<Child> children() {
    return children;
  }

  /** The base URI of a service that listens. */
  URI uri(String service) throws IOException {
    Child child = children.stream().filter(c -> c.service().equals(service)).findFirst()
        .orElseThrow();
    return DemoService.ready(child.dir()).orElseThrow(
        () -> new IllegalStateException(service + " does not listen"));
  }

  /** SIGTERM to every service, front first; those still running after the bound are killed. */
  @Override
  public void close() {
    List<Process> processes = new ArrayList<>();
    for (int i = children.size() - 1; i >= 0; i--) {
      processes.add(children.get(i).process());
    }
    stop(processes);
  }

  private static void stop(List<Process> processes) {
    for (Process p : processes) {
      p.destroy();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_TIMEOUT_SECONDS);
    for (Process p : processes) {
      try {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
          LOG.warn("a demo service (pid {}) did not stop within {} s of SIGTERM: killed", p.pid(),
              STOP_TIMEOUT_SECONDS);
          p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
  }
}
