package dev.cairn.launcher;

import dev.cairn.core.internal.ConfigValues;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn all-in-one}: Cairn for one machine in one JVM. A shipper tails the span files under
 * {@code <data>/spans}, a puller pulls them over loopback and stores complete traces in the
 * embedded store, and the query server serves the UI and the Jaeger-compatible API from it.
 *
 * <pre>{@code
 * bin/cairn all-in-one                                   # UI on http://127.0.0.1:16686/
 * bin/cairn all-in-one --data /var/lib/cairn --ui 0.0.0.0:16686 --set shipper.retention.maxSize=50GB
 * }</pre>
 */
@Command(
    name = "all-in-one",
    description = {
        "Runs Cairn for one machine in one JVM: a shipper tailing every span file under "
            + "<data>/spans, a puller storing complete traces in the embedded store under <data>, "
            + "and the UI with its JSON API. Runs until SIGTERM or SIGINT.",
        "Point each application's <SpanFile directory=...> at <data>/spans/<application>."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "1:a part could not start (port in use, directory not writable, ...)",
        "2:bad arguments or a bad --set (the key is named)",
        "130/143:stopped by SIGINT/SIGTERM after an orderly shutdown"})
final class AllInOneCommand implements Callable<Integer> {
  private static final Logger LOG = LogManager.getLogger(AllInOneCommand.class);
  /** The longest a SIGTERM waits for everything to close (the puller flushes to the store). */
  static final long CLOSE_TIMEOUT_SECONDS = 60;
  static final String SHIPPER_PREFIX = "shipper.";
  static final String PULLER_PREFIX = "puller.";

  @Spec CommandSpec spec;

  @Option(names = "--data", paramLabel = "<dir>", defaultValue = "./cairn-data",
      description = "Cairn's directory (default: ${DEFAULT-VALUE}): spans/ for the applications' "
          + "span files, journal/, store/, puller-state/ and the generated pull.secret.")
  Path data;

  @Mixin UiOption ui;

  @Option(names = "--retention", paramLabel = "<duration>", defaultValue = "72h",
      description = "How long traces and journal blocks are kept, like 72h or 7d (default: "
          + "${DEFAULT-VALUE}).")
  String retention;

  @Option(names = "--set", paramLabel = "<part.key=value>",
      description = "Sets a key of the shipper (shipper.<key>=<value>, docs/shipper-config.md) or "
          + "the puller (puller.<key>=<value>, docs/puller-config.md); repeatable.")
  List<String> sets = new ArrayList<>();

  /** Counted down to stop without a signal; for tests. */
  final CountDownLatch stopRequested = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String command = spec.qualifiedName();
    InetSocketAddress uiAddress = ui.address(spec.commandLine());
    Duration keep;
    try {
      keep = ConfigValues.duration(retention);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--retention: " + e.getMessage());
    }
    List<String> shipperSets = new ArrayList<>();
    List<String> pullerSets = new ArrayList<>();
    for (String s : sets) {
      if (s.startsWith(SHIPPER_PREFIX)) {
        shipperSets.add(s.substring(SHIPPER_PREFIX.length()));
      } else if (s.startsWith(PULLER_PREFIX)) {
        pullerSets.add(s.substring(PULLER_PREFIX.length()));
      } else {
        throw new CommandLine.ParameterException(spec.commandLine(), "--set " + s
            + ": the key must start with " + SHIPPER_PREFIX + " or " + PULLER_PREFIX);
      }
    }
    AllInOne.Options options;
    try {
      options = new AllInOne.Options(data, uiAddress, keep, shipperSets, pullerSets);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    AllInOne aio;
    try {
      aio = AllInOne.start(options);
    } catch (AllInOne.BadConfig e) {
      err.println(command + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_USAGE;
    } catch (IOException | RuntimeException e) {
      LOG.error("Cairn could not start: {}", e.getMessage(), e);
      err.println(command + ": cannot start: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    out.println("Cairn UI: " + aio.uiUrl());
    out.println("Span files: point each application's <SpanFile directory=\"...\"> at "
        + options.spans() + "/<application>");
    out.flush();
    Daemons.runUntilStopped("all-in-one", aio, stopRequested, CLOSE_TIMEOUT_SECONDS);
    return CairnCommand.EXIT_OK;
  }
}
