package dev.cairn.launcher;

import dev.cairn.core.format.ReadProblem;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/** One-line problem reports on stderr, the same for every subcommand that reads span files. */
final class Problems {
  private Problems() {}

  /** {@code cairn verify: spans/a.cairn: corrupt: 120 bytes at offset 4096 are not a valid block...} */
  static void report(PrintWriter err, String command, Path file, ReadProblem p) {
    err.println(command + ": " + file + ": " + kind(p.kind()) + ": " + p.message());
  }

  /** A file that could not be read at all: missing or bad header, I/O error. */
  static void unreadable(PrintWriter err, String command, Path file, String why) {
    err.println(command + ": " + file + ": " + why);
  }

  /** Why an I/O operation on a file failed, in words (NIO's messages are often just the path). */
  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "cannot read: permission denied";
    }
    if (e instanceof NoSuchFileException) {
      return "cannot read: no such file (removed while reading?)";
    }
    return "cannot read: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }

  static String kind(ReadProblem.Kind kind) {
    return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
