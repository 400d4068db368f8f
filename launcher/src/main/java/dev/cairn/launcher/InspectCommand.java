package dev.cairn.launcher;

import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cairn inspect}: every record of span files as one JSON object per line on stdout. */
@Command(
    name = "inspect",
    description = {
        "Prints every span and log record of Cairn span files as one JSON object per line "
            + "(UTF-8) on standard output, in file order.",
        "Skipped regions (corrupt, unsupported-version, torn tail) and unreadable files are "
            + "reported on standard error, one line each; the records around them are still printed."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every file read; a torn tail (crashed writer) alone is not a failure",
        "1:a corrupt or unsupported-version block was skipped, or a file was unreadable",
        "2:usage error (no path, or a path that does not exist)"})
final class InspectCommand implements Callable<Integer> {
  // How often to ask whether stdout still takes output (a closed pipe, a full disk): asking
  // flushes, so not on every record.
  private static final int CHECK_OUTPUT_EVERY = 4096;

  @Spec CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "<file-or-dir>",
      description = "A span file, or a directory: every *.cairn file below it, in path order.")
  List<Path> paths;

  private PrintWriter out;
  private PrintWriter err;
  private long written;

  @Override
  public Integer call() {
    out = spec.commandLine().getOut();
    err = spec.commandLine().getErr();
    SpanFilePaths.Expanded in = SpanFilePaths.expand(spec, paths, err);
    int failed = in.unlistable();
    try {
      for (Path file : in.files()) {
        if (!inspect(file)) {
          failed++;
        }
      }
      checkOutput();
    } catch (OutputClosed e) {
      // Almost always a reader that has seen enough (`| head`): stop quietly with the status a
      // process killed by SIGPIPE would have, so pipelines behave as with any Unix tool.
      return CairnCommand.EXIT_OUTPUT_CLOSED;
    }
    out.flush();
    return failed == 0 ? CairnCommand.EXIT_OK : CairnCommand.EXIT_PROBLEMS;
  }

  /** Prints the file's records; false when the file could not be read or had bad blocks. */
  private boolean inspect(Path file) {
    String command = spec.qualifiedName();
    RecordJson[] json = new RecordJson[1];
    boolean[] bad = new boolean[1];
    try {
      SpanFileReader.read(file, new RecordVisitor() {
        @Override
        public void fileHeader(FileHeader header) {
          json[0] = new RecordJson(header);
        }

        @Override
        public void span(SpanRecord span) {
          line(json[0].span(span));
        }

        @Override
        public void log(LogRecord log) {
          line(json[0].log(log));
        }
      }, problem -> {
        Problems.report(err, command, file, problem);
        if (problem.kind() != ReadProblem.Kind.TORN_TAIL) {
          bad[0] = true;
        }
      });
    } catch (FormatException e) {
      Problems.unreadable(err, command, file, e.getMessage());
      return false;
    } catch (IOException e) {
      Problems.unreadable(err, command, file, Problems.describe(e));
      return false;
    }
    return !bad[0];
  }

  private void line(CharSequence json) {
    out.append(json).append('\n');
    if (++written % CHECK_OUTPUT_EVERY == 0) {
      checkOutput();
    }
  }

  private void checkOutput() {
    if (out.checkError()) {
      throw new OutputClosed();
    }
  }

  /** Unwinds out of the reader's callbacks when nobody reads the output any more. */
  private static final class OutputClosed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutputClosed() {
      super(null, null, false, false);
    }
  }
}
