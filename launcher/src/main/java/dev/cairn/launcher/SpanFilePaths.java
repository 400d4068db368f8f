package dev.cairn.launcher;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** Turns the {@code <file-or-dir>...} arguments of inspect and verify into the files to read. */
final class SpanFilePaths {
  /** The extension the SpanFile appender gives its files. */
  static final String EXTENSION = ".cairn";

  private SpanFilePaths() {}

  /**
   * The files to read and how many directory arguments could not be listed (reported on
   * {@code err}; the commands count them as failures).
   */
  record Expanded(List<Path> files, int unlistable) {}

  /**
   * A file argument is read whatever its name (the user named it); a directory stands for every
   * {@code *.cairn} regular file below it, recursively, sorted by path so that rolled files come
   * out in the order the appender named them. Arguments keep their command-line order.
   *
   * @throws CommandLine.ParameterException (exit status 2) when an argument does not exist
   */
  static Expanded expand(CommandSpec spec, List<Path> args, PrintWriter err) {
    for (Path p : args) {
      if (!Files.exists(p)) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "no such file or directory: " + p);
      }
    }
    String command = spec.qualifiedName();
    List<Path> files = new ArrayList<>();
    int unlistable = 0;
    for (Path p : args) {
      if (!Files.isDirectory(p)) {
        files.add(p);
        continue;
      }
      try (Stream<Path> walk = Files.walk(p)) {
        List<Path> found = walk
            .filter(f -> f.getFileName().toString().endsWith(EXTENSION) && Files.isRegularFile(f))
            .sorted()
            .toList();
        if (found.isEmpty()) {
          // Not an error (an application may not have written yet), but worth a word: a wrong
          // directory would otherwise look clean.
          err.println(command + ": " + p + ": no *" + EXTENSION + " files in this directory");
        }
        files.addAll(found);
      } catch (IOException | UncheckedIOException e) {
        // An unreadable subdirectory: read nothing of this argument rather than a silently
        // partial list.
        err.println(command + ": " + p + ": cannot list directory: " + e.getMessage());
        unlistable++;
      }
    }
    return new Expanded(files, unlistable);
  }
}
