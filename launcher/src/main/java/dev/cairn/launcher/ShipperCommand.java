package dev.cairn.launcher;

import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
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
 * {@code cairn shipper}: the per-host daemon. Loads the configuration (file, environment,
 * {@code -D}, {@code --set}), starts the shipper and runs until SIGTERM or SIGINT, then closes it
 * in order. Keys and metrics: docs/shipper-config.md.
 */
@Command(
    name = "shipper",
    description = {
        "Runs the shipper daemon: tails span files into a primary and a replica journal, indexes "
            + "trace IDs and serves the blocks to pullers. Runs until SIGTERM or SIGINT.",
        "Settings come from the --config file, then CAIRN_SHIPPER_<KEY> environment variables, "
            + "then -Dcairn.shipper.<key> properties, then --set flags; see docs/shipper-config.md."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "1:the shipper could not start (port in use, journal not writable, ...)",
        "2:bad configuration (the key is named) or bad arguments",
        "130/143:stopped by SIGINT/SIGTERM after an orderly shutdown"})
final class ShipperCommand implements Callable<Integer> {
  private static final Logger LOG = LogManager.getLogger(ShipperCommand.class);
  /** The longest a SIGTERM waits for the shipper to close; its own steps are bounded below this. */
  static final long CLOSE_TIMEOUT_SECONDS = 30;

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "<file>", description = "shipper.yaml")
  Path config;

  @Option(names = "--set", paramLabel = "<key=value>",
      description = "Sets a key, overriding the file and the environment; repeatable.")
  List<String> sets = new ArrayList<>();

  /** Counted down to stop the daemon without a signal; for tests. */
  final CountDownLatch stopRequested = new CountDownLatch(1);

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    String command = spec.qualifiedName();
    ShipperConfig cfg;
    try {
      cfg = ShipperConfig.load(config, sets);
    } catch (ShipperConfig.ConfigException e) {
      err.println(command + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_USAGE;
    }
    Shipper shipper;
    try {
      shipper = Shipper.start(cfg);
    } catch (IOException | RuntimeException e) {
      LOG.error("The shipper could not start: {}", e.getMessage(), e);
      err.println(command + ": cannot start: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    Daemons.runUntilStopped("shipper", shipper, stopRequested, CLOSE_TIMEOUT_SECONDS);
    return CairnCommand.EXIT_OK;
  }
}
