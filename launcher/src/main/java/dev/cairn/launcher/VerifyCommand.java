package dev.cairn.launcher;

import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.SpanRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code cairn verify}: reads span files end to end, checking every header and block CRC and
 * decoding every record, and prints one summary line per file and a total line.
 */
@Command(
    name = "verify",
    description = {
        "Checks Cairn span files: file header, every block's CRCs, every record. Prints one line "
            + "per file and a total line on standard output; each skipped region on standard error.",
        "A torn tail (the file ends inside a block) is what a crashed or still-running writer "
            + "leaves: it is reported but is not a failure unless --strict."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:clean (torn tails allowed unless --strict)",
        "1:a corrupt or unsupported-version block, an invalid or unreadable file, "
            + "or with --strict a torn tail",
        "2:usage error (no path, or a path that does not exist)"})
final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--strict", description = "Fail (exit 1) on a torn tail too.")
  boolean strict;

  @Parameters(arity = "1..*", paramLabel = "<file-or-dir>",
      description = "A span file, or a directory: every *.cairn file below it, in path order.")
  List<Path> paths;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SpanFilePaths.Expanded in = SpanFilePaths.expand(spec, paths, err);
    Totals total = new Totals();
    total.failed = in.unlistable();
    for (Path file : in.files()) {
      out.println(file + ": " + verify(file, err, total));
      // A line per file as it is done: a large directory takes a while.
      out.flush();
    }
    out.println("total: files=" + total.files + " clean=" + total.clean + " torn=" + total.torn
        + " failed=" + total.failed + " blocks=" + total.blocks + " records="
        + (total.spans + total.logs) + " spans=" + total.spans + " logs=" + total.logs
        + " corrupt=" + total.corrupt + " unsupported=" + total.unsupported
        + " skippedBytes=" + total.skippedBytes);
    out.flush();
    boolean failed = total.failed > 0 || (strict && total.torn > 0);
    return failed ? CairnCommand.EXIT_PROBLEMS : CairnCommand.EXIT_OK;
  }

  /** Reads one file, adds it to the totals, returns its summary. */
  private String verify(Path file, PrintWriter err, Totals total) {
    String command = spec.qualifiedName();
    total.files++;
    long[] torn = {-1, 0};
    SpanFileReader.Result r;
    try {
      r = SpanFileReader.read(file, IGNORE, problem -> {
        Problems.report(err, command, file, problem);
        if (problem.kind() == ReadProblem.Kind.TORN_TAIL) {
          torn[0] = problem.offset();
          torn[1] = problem.length();
        }
      });
    } catch (FormatException e) {
      total.failed++;
      return "INVALID " + e.getMessage();
    } catch (IOException e) {
      total.failed++;
      return "UNREADABLE " + Problems.describe(e);
    }
    total.blocks += r.blocks();
    total.spans += r.spans();
    total.logs += r.logs();
    total.corrupt += r.corrupt();
    total.unsupported += r.unsupported();
    total.skippedBytes += r.skippedBytes();
    String status;
    if (r.corrupt() > 0 || r.unsupported() > 0) {
      total.failed++;
      status = r.corrupt() > 0 ? "CORRUPT" : "UNSUPPORTED";
    } else if (r.torn() > 0) {
      total.torn++;
      status = "TORN";
    } else {
      total.clean++;
      status = "OK";
    }
    return status + " blocks=" + r.blocks() + " records=" + (r.spans() + r.logs())
        + " spans=" + r.spans() + " logs=" + r.logs() + " corrupt=" + r.corrupt()
        + " unsupported=" + r.unsupported()
        + " torn=" + (torn[0] < 0 ? "no" : torn[1] + "B@" + torn[0])
        + " skippedBytes=" + r.skippedBytes();
  }

  private static final RecordVisitor IGNORE = (SpanRecord span) -> { };

  /** clean + torn + failed = files, plus directories that could not be listed in failed. */
  private static final class Totals {
    long files;
    long clean;
    long torn;
    long failed;
    long blocks;
    long spans;
    long logs;
    long corrupt;
    long unsupported;
    long skippedBytes;
  }
}
