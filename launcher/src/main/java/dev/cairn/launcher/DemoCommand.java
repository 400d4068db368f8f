package dev.cairn.launcher;

import dev.cairn.appender.SpanFileStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn demo}: the application side of Cairn end to end, in one JVM. Three instrumented
 * services (frontend, checkout, payments) call each other over loopback HTTP with W3C headers
 * while a load loop places orders; their spans and the log lines written inside them go through
 * the {@code <SpanFile>} appender to {@code <dir>/spans}, their business log with trace IDs to
 * {@code <dir>/business.log}. At the end the command reads the span files back and prints what
 * they hold, with two traces drawn as trees.
 *
 * <pre>{@code
 * bin/cairn demo                                   # 8 s, 50 orders/s, into ./cairn-demo
 * bin/cairn demo --dir /tmp/shop --seconds 30 --rate 200
 * }</pre>
 */
@Command(
    name = "demo",
    description = {
        "Runs a small shop of three services traced with Cairn (frontend -> checkout -> "
            + "payments, W3C headers over loopback HTTP) and an email sender, under load, in this "
            + "JVM. The <SpanFile> appender writes their spans, and the log lines written inside "
            + "them, to span files; their business log carries trace IDs.",
        "Then reads the span files back and prints what they hold, with an ok and a failed "
            + "trace drawn as trees.",
        "Re-running deletes the previous run's files in <dir>; a <dir> holding anything else is "
            + "refused."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:the shop ran and its span files read back clean",
        "1:the span files are not clean (corrupt, torn or unreadable), hold no span, or the shop "
            + "failed unexpectedly",
        "2:usage error, or <dir> holds files the demo did not write"})
final class DemoCommand implements Callable<Integer> {
  static final int MAX_SECONDS = 3600;
  static final int MAX_RATE = 10_000;

  @Spec CommandSpec spec;

  @Option(names = "--dir", paramLabel = "<dir>", defaultValue = "./cairn-demo",
      description = "Output directory (default: ${DEFAULT-VALUE}): span files in <dir>/spans, "
          + "the business log in <dir>/business.log.")
  Path dir;

  @Option(names = "--seconds", paramLabel = "<n>", defaultValue = "8",
      description = "How long to place orders, 1..." + MAX_SECONDS + " (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--rate", paramLabel = "<n>", defaultValue = "50",
      description = "Orders per second, 1..." + MAX_RATE + " (default: ${DEFAULT-VALUE}).")
  int rate;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (seconds < 1 || seconds > MAX_SECONDS) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--seconds must be between 1 and " + MAX_SECONDS + ": " + seconds);
    }
    if (rate < 1 || rate > MAX_RATE) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--rate must be between 1 and " + MAX_RATE + ": " + rate);
    }
    String command = spec.qualifiedName();
    try {
      return run(out, err, command);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println(command + ": interrupted");
      return CairnCommand.EXIT_PROBLEMS;
    } finally {
      out.flush();
      err.flush();
    }
  }

  private int run(PrintWriter out, PrintWriter err, String command) throws InterruptedException {
    int deleted;
    try {
      deleted = DemoDirectory.prepare(dir);
    } catch (DemoDirectory.Refused e) {
      err.println(command + ": " + e.getMessage());
      return CairnCommand.EXIT_USAGE;
    } catch (IOException e) {
      err.println(command + ": cannot prepare " + dir + ": " + e);
      return CairnCommand.EXIT_PROBLEMS;
    }
    Path spansDir = dir.resolve(DemoDirectory.SPANS);
    Path businessLog = dir.resolve(DemoDirectory.BUSINESS_LOG);
    out.printf(Locale.ROOT, "cairn demo: a shop of three services traced with Cairn, %d orders/s"
        + " for %d s%n", rate, seconds);
    if (deleted > 0) {
      out.println("  deleted the previous run's " + deleted + " files in " + dir);
    }
    out.println("  spans and the log lines inside them -> " + spansDir + "  (<SpanFile> appender)");
    out.println("  business log with trace IDs         -> " + businessLog);

    DemoLogging logging;
    try {
      logging = DemoLogging.start(dir);
    } catch (RuntimeException e) {
      err.println(command + ": cannot set up Log4j2: " + e.getMessage());
      return CairnCommand.EXIT_PROBLEMS;
    }
    DemoShop shop = null;
    DemoLoad.Result load = null;
    String failure = null;
    try {
      shop = DemoShop.start(logging);
      out.println("  " + shop.describe());
      out.flush();
      load = DemoLoad.run(shop, seconds, rate, out);
    } catch (IOException | RuntimeException e) {
      failure = e.toString();
    } finally {
      try {
        if (shop != null) {
          // Every order was answered: nothing runs in the servers any more.
          shop.stop(load != null && load.unanswered() == 0 ? 0 : 2);
        }
      } finally {
        // Stops the appenders: the span files and business.log are complete after this.
        logging.close();
      }
    }
    if (failure != null) {
      err.println(command + ": the shop failed: " + failure);
    }
    SpanFileStats stats = logging.spanFileStats();
    if (load != null && shop != null) {
      printLoad(out, load, shop, stats);
    }

    DemoReport report;
    try {
      report = DemoReport.read(dir);
    } catch (IOException e) {
      err.println(command + ": cannot read " + spansDir + ": " + e);
      return CairnCommand.EXIT_PROBLEMS;
    }
    report.printSummary(out, spansDir);
    report.printTraces(out);
    out.println();
    out.println("Next:");
    String[][] next = {
        {"bin/cairn inspect " + spansDir + " | head", "every record as a JSON line"},
        {"bin/cairn verify " + spansDir, "check every block and record"},
        {"less " + businessLog, "the business log, with trace and span IDs"}};
    int width = 0;
    for (String[] n : next) {
      width = Math.max(width, n[0].length());
    }
    for (String[] n : next) {
      out.println("  " + n[0] + " ".repeat(width - n[0].length()) + "   # " + n[1]);
    }
    out.flush();

    int status = CairnCommand.EXIT_OK;
    if (!report.clean()) {
      err.println(command + ": the span files are not clean: " + String.join("; ",
          report.problems()));
      status = CairnCommand.EXIT_PROBLEMS;
    }
    if (report.spans() == 0) {
      err.println(command + ": no span was written to " + spansDir);
      status = CairnCommand.EXIT_PROBLEMS;
    }
    if (failure != null) {
      status = CairnCommand.EXIT_PROBLEMS;
    } else if (load != null && (load.errors() > 0 || load.unanswered() > 0)) {
      err.println(command + ": " + load.errors() + " orders failed unexpectedly, "
          + load.unanswered() + " were not answered");
      status = CairnCommand.EXIT_PROBLEMS;
    }
    return status;
  }

  private static void printLoad(PrintWriter out, DemoLoad.Result load, DemoShop shop,
      SpanFileStats stats) {
    out.println();
    out.printf(Locale.ROOT, "Orders: %,d placed, %,d failed in payments%s%s; %,d confirmation"
            + " emails in %,d batches%n",
        load.placed(), load.failed(),
        load.errors() == 0 ? "" : String.format(Locale.ROOT, ", %,d errors", load.errors()),
        load.notSent() == 0 ? "" : String.format(Locale.ROOT,
            ", %,d not sent (%d already waiting)", load.notSent(), DemoLoad.MAX_IN_FLIGHT),
        shop.emailsSent(), shop.emailBatches());
    out.printf(Locale.ROOT, "Appender: %,d spans and %,d log lines written in %,d blocks, %,d"
            + " dropped%n", stats.spansWritten(), stats.logsWritten(), stats.blocksWritten(),
        stats.dropped() + stats.droppedNoAppender());
  }
}
