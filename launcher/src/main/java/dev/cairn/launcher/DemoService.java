package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.Cairn;
import dev.cairn.CairnOpenTelemetry;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One service of the demo shop as a process of its own, started by {@code cairn demo}:
 *
 * <pre>{@code
 * java -Dlog4j2.configurationFile=<dir>/log4j2.xml -cp cairn.jar dev.cairn.launcher.DemoService \
 *     orders <dir> inventory=<inventory's dir> payments=<payments' dir>
 * }</pre>
 *
 * <p>It traces like any application would: {@code Cairn.openTelemetry(service)}, and a Log4j2
 * configuration with a {@code <SpanFile>} appender and {@code %traceId} in the log pattern. Once
 * the services it calls listen (their {@code ready} files), its HTTP server listens on 127.0.0.1
 * and it writes the port to {@code <dir>/ready}.
 *
 * <p>It never outlives the demo: it exits when its standard input (a pipe from the demo) reaches
 * its end or its parent process is gone, which is what happens when the demo is killed with
 * {@code kill -9}, as well as on SIGTERM.
 */
final class DemoService {
  /** The file the port is written to once the service listens. */
  static final String READY_FILE = "ready";
  /** How long a service waits for those it calls, JVM start included (a loaded 2-core machine). */
  static final long READY_TIMEOUT_SECONDS = 60;
  /** Exit status when the arguments are wrong or the server cannot start. */
  static final int EXIT_FAILED = 1;

  private DemoService() {}

  public static void main(String[] args) {
    if (args.length < 2) {
      System.err.println("usage: DemoService <service> <dir> [<callee>=<callee's dir>]...");
      System.exit(EXIT_FAILED);
    }
    String service = args[0];
    Path dir = Path.of(args[1]);
    Map<String, Path> callees = new LinkedHashMap<>();
    for (int i = 2; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      if (eq <= 0) {
        System.err.println("not <callee>=<callee's dir>: " + args[i]);
        System.exit(EXIT_FAILED);
      }
      callees.put(args[i].substring(0, eq), Path.of(args[i].substring(eq + 1)));
    }
    exitWithParent(System.in, ProcessHandle.current().parent());
    Logger log = LogManager.getLogger("shop." + service);
    CountDownLatch stopped = new CountDownLatch(1);
    CairnOpenTelemetry otel = Cairn.openTelemetry(service);
    DemoShop.Running running;
    try {
      // Every service JVM starts at once; only listening waits for the services it calls.
      Map<String, URI> downstream = new LinkedHashMap<>();
      for (Map.Entry<String, Path> c : callees.entrySet()) {
        downstream.put(c.getKey(), awaitReady(c.getKey(), c.getValue()));
      }
      running = DemoShop.serve(service, otel, downstream);
      running.start();
      writeReady(dir, running.server().port());
    } catch (IOException | RuntimeException | InterruptedException e) {
      log.error("{} could not start: {}", service, e.toString(), e);
      LogManager.shutdown();
      System.exit(EXIT_FAILED);
      return;
    }
    log.info("{} listening on {}", service, running.server().uri("/"));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      // Requests still running finish and their spans end before the appenders stop: the demo
      // starts this JVM with Log4j2's own shutdown hook switched off, and it is shut down here.
      try {
        running.stop(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      otel.close();
      log.info("{} stopped", service);
      LogManager.shutdown();
      stopped.countDown();
    }, service + "-shutdown"));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Exits this JVM (running its shutdown hooks) when {@code in} reaches its end or fails, or when
   * {@code parent} exits. Both threads are daemons.
   */
  static void exitWithParent(InputStream in, Optional<ProcessHandle> parent) {
    Thread stdin = new Thread(() -> {
      byte[] buffer = new byte[256];
      try {
        while (in.read(buffer) >= 0) {
          // Nothing is sent on the pipe; its end is the message.
        }
      } catch (IOException e) {
        // A broken pipe means the same as its end.
      }
      System.exit(0);
    }, "parent-stdin-watch");
    stdin.setDaemon(true);
    stdin.start();
    parent.ifPresent(p -> p.onExit().thenRun(() -> System.exit(0)));
  }

  /** The base URI of the service in {@code dir} once it listens, if it does. */
  static Optional<URI> ready(Path dir) throws IOException {
    try {
      int port = Integer.parseInt(Files.readString(dir.resolve(READY_FILE), UTF_8).strip());
      return Optional.of(URI.create("http://" + DemoHttp.HOST + ":" + port));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  private static URI awaitReady(String callee, Path dir) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(READY_TIMEOUT_SECONDS);
    for (Optional<URI> uri; (uri = ready(dir)).isEmpty(); Thread.sleep(25)) {
      if (System.nanoTime() > deadline) {
        throw new IOException(callee + " did not listen within " + READY_TIMEOUT_SECONDS + " s");
      }
    }
    return ready(dir).orElseThrow();
  }

  private static void writeReady(Path dir, int port) throws IOException {
    Path tmp = dir.resolve(READY_FILE + ".tmp");
    Files.writeString(tmp, Integer.toString(port), UTF_8);
    Files.move(tmp, dir.resolve(READY_FILE), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
  }
}
