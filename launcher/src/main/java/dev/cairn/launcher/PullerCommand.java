package dev.cairn.launcher;

import dev.cairn.puller.Puller;
import dev.cairn.puller.PullerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn puller}: the central daemon. Loads the configuration (file, environment,
 * {@code -D}, {@code --set}), starts the puller and runs until SIGTERM or SIGINT, then closes it
 * in order (pulls stop, held traces are flushed to the store, final cursors saved). Keys and
 * metrics: docs/puller-config.md.
 */
@Command(
    name = "puller",
    description = {
        "Runs the central puller: pulls blocks from every shipper in hosts, rebuilds complete traces "
            + "and writes them to the store. Runs until SIGTERM or SIGINT.",
        "Settings come from the --config file, then CAIRN_PULLER_<KEY> environment variables, "
            + "then -Dcairn.puller.<key> properties, then --set flags; see docs/puller-config.md."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "1:the puller could not start (store or state not writable, HTTP port in use, ...)",
        "2:bad configuration (the key is named) or bad arguments",
        "130/143:stopped by SIGINT/SIGTERM after an orderly shutdown"})
final class PullerCommand implements Callable<Integer> {
  private static final Logger LOG = LogManager.getLogger(PullerCommand.class);
  /** The longest a SIGTERM waits for the puller to close (flushAll to the store, final cursors). */
  static final long CLOSE_TIMEOUT_SECONDS = 60;

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "<file>", description = "puller.yaml")
  Path config;

  @Option(names = "--set", paramLabel = "<key=value>",
      description = "Sets a key, overriding the file and the environment; repeatable.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--es-url", paramLabel = "<url>",
      description = "Store in Elasticsearch at this URL (store.type=elasticsearch, "
          + "store.elasticsearch.urls); several separated by commas.")
  String esUrl;

  /** Counted down to stop the daemon without a signal; for tests. */
  final CountDownLatch stopRequested = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    String command = spec.qualifiedName();
    PullerConfig cfg;
    try {
      List<String> all = new ArrayList<>(sets);
      if (esUrl != null) {
        all.add("store.type=elasticsearch");
        all.add("store.elasticsearch.urls=" + esUrl);
      }
      cfg = PullerConfig.load(config, all);
    } catch (PullerConfig.ConfigException e) {
      err.println(command + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_USAGE;
    }
    Puller puller;
    try {
      puller = Puller.start(cfg);
    } catch (IOException | RuntimeException e) {
      LOG.error("The puller could not start: {}", e.getMessage(), e);
      err.println(command + ": cannot start: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    Daemons.runUntilStopped("puller", puller, stopRequested, CLOSE_TIMEOUT_SECONDS);
    return CairnCommand.EXIT_OK;
  }
}
