package dev.cairn.launcher;

import dev.cairn.ui.UiConfig;
import dev.cairn.ui.UiServer;
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
 * {@code cairn ui}: the query server alone, reading the store a puller writes (read-only, so it
 * runs next to the puller). Keys: docs/ui-config.md; the API: docs/api.md.
 */
@Command(
    name = "ui",
    description = {
        "Serves the web UI, the Jaeger query API and Cairn's API over HTTP (default 127.0.0.1:16686), "
            + "reading the store a puller writes. Runs until SIGTERM or SIGINT.",
        "Settings come from the --config file, then CAIRN_UI_<KEY> environment variables, "
            + "then -Dcairn.ui.<key> properties, then --set flags, --store, --es-url and --http; see docs/ui-config.md."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "1:the server could not start (store unreadable, HTTP port in use, ...)",
        "2:bad configuration (the key is named) or bad arguments",
        "130/143:stopped by SIGINT/SIGTERM"})
final class UiCommand implements Callable<Integer> {
  private static final Logger LOG = LogManager.getLogger(UiCommand.class);

  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "<file>", description = "ui.yaml")
  Path config;

  @Option(names = "--store", paramLabel = "<dir>", description = "The store directory (store.path).")
  Path store;

  @Option(names = "--es-url", paramLabel = "<url>",
      description = "Read from Elasticsearch at this URL (store.type=elasticsearch, "
          + "store.elasticsearch.urls); several separated by commas.")
  String esUrl;

  @Option(names = "--http", paramLabel = "<host:port>", description = "Where to listen (http); default 127.0.0.1:16686.")
  String http;

  @Option(names = "--set", paramLabel = "<key=value>",
      description = "Sets a key, overriding the file and the environment; repeatable.")
  List<String> sets = new ArrayList<>();

  /** Counted down to stop the server without a signal; for tests. */
  final CountDownLatch stopRequested = new CountDownLatch(1);

  /** The started server while it runs; for tests. */
  volatile UiServer server;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    String command = spec.qualifiedName();
    List<String> all = new ArrayList<>(sets);
    if (store != null) {
      all.add("store.path=" + store);
    }
    if (http != null) {
      all.add("http=" + http);
    }
    if (esUrl != null) {
      all.add("store.type=elasticsearch");
      all.add("store.elasticsearch.urls=" + esUrl);
    }
    UiConfig cfg;
    try {
      cfg = UiConfig.load(config, all);
    } catch (UiConfig.ConfigException e) {
      err.println(command + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_USAGE;
    }
    UiServer ui;
    try {
      ui = UiServer.start(cfg);
    } catch (IOException | RuntimeException e) {
      LOG.error("The query server could not start: {}", e.getMessage(), e);
      err.println(command + ": cannot start: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    server = ui;
    spec.commandLine().getOut().println("cairn ui: http://" + ui.address().getHostString() + ":"
        + ui.address().getPort() + "/ (store " + (cfg.storePath() != null ? cfg.storePath()
        : cfg.storeType() + " " + cfg.storeSettings().get("urls")) + ")");
    spec.commandLine().getOut().flush();
    Daemons.runUntilStopped("ui", ui, stopRequested, 10);
    return CairnCommand.EXIT_OK;
  }
}
