package dev.cairn.launcher;

import dev.cairn.store.StoreException;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.io.Closeable;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn demo}: {@code cairn all-in-one} plus a small shop of four services, each a JVM of
 * its own traced through its own {@code log4j2.xml}, calling each other over HTTP with W3C
 * headers under a steady load of orders, some slow, some failing. Runs until Ctrl-C/SIGTERM.
 *
 * <pre>{@code
 * bin/cairn demo                      # UI on http://127.0.0.1:16686/, files in ./cairn-demo
 * bin/cairn demo --rate 50 --ui 127.0.0.1:8080
 * }</pre>
 */
@Command(
    name = "demo",
    description = {
        "Runs Cairn all-in-one with a demo shop traced by it: gateway -> orders -> inventory and "
            + "payments, four JVMs calling each other over HTTP with W3C trace context and "
            + "baggage, each writing spans through the <SpanFile> appender of its own log4j2.xml. "
            + "Customers place orders at a steady rate; some are slow, some fail.",
        "Prints the UI's address, then links to a trace once the first is stored. Runs until "
            + "Ctrl-C or SIGTERM, which stop the services and Cairn in order.",
        "Each run starts from an empty <dir>; a <dir> holding anything the demo did not write "
            + "is refused."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "1:Cairn or a service could not start (port in use, directory not writable, ...)",
        "2:bad arguments, or <dir> holds files the demo did not write",
        "130/143:stopped by SIGINT/SIGTERM after an orderly shutdown"})
final class DemoCommand implements Callable<Integer> {
  private static final Logger LOG = LogManager.getLogger(DemoCommand.class);
  static final int MAX_RATE = 1000;
  /** The demo keeps a day of traces: it starts empty at each run anyway. */
  static final Duration RETENTION = Duration.ofDays(1);
  static final long CLOSE_TIMEOUT_SECONDS = 60;
  private static final long PROGRESS_SECONDS = 30;

  @Spec CommandSpec spec;

  @Option(names = "--dir", paramLabel = "<dir>", defaultValue = "./cairn-demo",
      description = "Where everything goes (default: ${DEFAULT-VALUE}): Cairn's data in "
          + "<dir>/data, each service's log4j2.xml and logs in <dir>/services/<service>.")
  Path dir;

  @Mixin UiOption ui;

  @Option(names = "--rate", paramLabel = "<n>", defaultValue = "20",
      description = "Orders per second, 1..." + MAX_RATE + " (default: ${DEFAULT-VALUE}).")
  int rate;

  /** Counted down to stop the demo without a signal; for tests. */
  final CountDownLatch stopRequested = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String command = spec.qualifiedName();
    if (rate < 1 || rate > MAX_RATE) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--rate must be between 1 and " + MAX_RATE + ": " + rate);
    }
    InetSocketAddress uiAddress = ui.address(spec.commandLine());
    long t0 = System.nanoTime();
    try {
      if (DemoDirectory.prepare(dir)) {
        out.println("cairn demo: emptied " + dir + " (the previous run's files)");
      }
    } catch (DemoDirectory.Refused e) {
      err.println(command + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_USAGE;
    } catch (IOException e) {
      err.println(command + ": cannot prepare " + dir + ": " + e);
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }

    Path log = dir.resolve("cairn.log");
    DemoLogging.logCairnTo(log);
    out.println("cairn demo: starting Cairn and four services; Cairn's log: " + log);
    out.flush();

    // The service JVMs boot while Cairn starts: their spans wait in their files meanwhile.
    AllInOne.Options options = new AllInOne.Options(dir.resolve("data"), uiAddress, RETENTION,
        List.of(), List.of());
    DemoServices services;
    try {
      services = DemoServices.launch(dir.resolve("services"), options.spans());
    } catch (IOException | RuntimeException e) {
      err.println(command + ": cannot start the services: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    AllInOne aio;
    try {
      aio = AllInOne.start(options);
    } catch (AllInOne.BadConfig | IOException | RuntimeException e) {
      LOG.warn("Cairn could not start: {}", e.getMessage(), e); // the stack trace, in cairn.log
      err.println(command + ": cannot start Cairn: " + e.getMessage());
      err.flush();
      services.close();
      return CairnCommand.EXIT_PROBLEMS;
    }
    URI gateway;
    try {
      services.awaitReady();
      gateway = services.uri(DemoShop.GATEWAY);
    } catch (IOException | RuntimeException e) {
      err.println(command + ": a service could not start: " + e.getMessage());
      err.flush();
      services.close();
      closeQuietly(aio);
      return CairnCommand.EXIT_PROBLEMS;
    }
    DemoLoad load = DemoLoad.start(gateway, rate);
    printStarted(out, aio, services);

    Thread watcher = new Thread(() -> watch(out, aio, load, t0), "demo-progress");
    watcher.setDaemon(true);
    watcher.start();
    Closeable demo = () -> {
      out.println("cairn demo: stopping the services and Cairn");
      out.flush();
      watcher.interrupt();
      try {
        load.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      services.close();
      aio.close();
    };
    Daemons.runUntilStopped("demo", demo, stopRequested, CLOSE_TIMEOUT_SECONDS);
    return CairnCommand.EXIT_OK;
  }

  private void printStarted(PrintWriter out, AllInOne aio, DemoServices services) {
    out.println();
    out.println("Cairn UI: " + aio.uiUrl());
    out.println();
    out.printf(Locale.ROOT, "A shop of %d services, each a JVM traced by Cairn, %d orders/s:%n",
        services.children().size(), rate);
    for (DemoServices.Child c : services.children()) {
      String uri;
      try {
        uri = services.uri(c.service()).toString();
      } catch (IOException e) {
        uri = "?";
      }
      out.printf(Locale.ROOT, "  %-10s %-24s pid %-7d %s%n", c.service(), uri, c.process().pid(),
          c.dir().resolve("log4j2.xml"));
    }
    out.println("Spans: " + aio.options().spans() + "/<service>   Cairn's data: "
        + aio.options().home());
    out.println("Waiting for the first complete trace... (Ctrl-C stops everything)");
    out.flush();
  }

  /**
   * Prints links once the first complete trace through every service is stored, then a line of
   * counts every {@value #PROGRESS_SECONDS} s. Runs until interrupted.
   */
  private void watch(PrintWriter out, AllInOne aio, DemoLoad load, long t0) {
    try {
      Optional<TraceSummary> first = Optional.empty();
      while (first.isEmpty()) {
        TimeUnit.MILLISECONDS.sleep(250);
        first = firstCompleteTrace(aio);
      }
      String base = aio.uiUrl();
      TraceSummary t = first.get();
      out.println();
      out.printf(Locale.ROOT, "First complete trace stored %.1f s after the start: %d spans "
          + "across %s%n", (System.nanoTime() - t0) / 1e9, t.spanCount(),
          String.join(", ", t.services()));
      out.println("  a trace          " + base + "trace/" + t.traceId());
      out.println("  the service map  " + base + "map");
      out.println("  a service        " + base + "services/" + DemoShop.ORDERS);
      out.println("  failed orders    " + base + "search?service=" + DemoShop.GATEWAY
          + "&errorOnly=true");
      long declined = DemoLoad.FIRST_ORDER + 6;
      out.println("  order " + declined + "       " + base + "search?tags=" + DemoShop.ORDER_ID + "%3D"
          + declined + "   (payments declined it)");
      out.flush();
      while (true) {
        TimeUnit.SECONDS.sleep(PROGRESS_SECONDS);
        DemoLoad.Counts c = load.counts();
        out.printf(Locale.ROOT, "orders: %,d sent, %,d placed, %,d declined by payments, %,d out"
                + " of stock%s%s%n", c.sent(), c.placed(), c.declined(), c.outOfStock(),
            c.errors() == 0 ? "" : String.format(Locale.ROOT, ", %,d errors", c.errors()),
            c.notSent() == 0 ? "" : String.format(Locale.ROOT, ", %,d not sent (%d waiting)",
                c.notSent(), DemoLoad.MAX_IN_FLIGHT));
        out.flush();
      }
    } catch (InterruptedException e) {
      // stopping
    }
  }

  /** The newest complete trace from the gateway through every service, if one is stored. */
  static Optional<TraceSummary> firstCompleteTrace(AllInOne aio) {
    try {
      return aio.reader().findTraces(TraceQuery.builder().service(DemoShop.GATEWAY).limit(50)
              .build()).stream()
          .filter(t -> t.complete() && t.services().containsAll(DemoShop.SERVICES))
          .findFirst();
    } catch (StoreException e) {
      LOG.warn("cannot search the store: {}", e.getMessage());
      return Optional.empty();
    }
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      LOG.warn("stopping: {}", e.toString());
    }
  }
}
