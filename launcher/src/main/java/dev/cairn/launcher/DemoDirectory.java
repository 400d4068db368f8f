package dev.cairn.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The demo's output directory: {@code spans/*.cairn} and {@code business.log}, nothing else. A
 * re-run deletes what an earlier run wrote there; a directory holding anything else is refused,
 * so that a mistyped {@code --dir} never costs the user a file.
 */
final class DemoDirectory {
  static final String SPANS = "spans";
  static final String BUSINESS_LOG = "business.log";
  /** How many foreign entries a refusal names. */
  private static final int NAMED = 5;

  private DemoDirectory() {}

  /** Why the directory cannot be used; the message is for the user. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /**
   * Makes {@code dir} ready for a run: creates it, or deletes the previous run's span files and
   * business log from it.
   *
   * @return how many previous files were deleted
   * @throws Refused when {@code dir} is not a directory or holds anything the demo did not write;
   *     nothing was deleted then
   */
  static int prepare(Path dir) throws Refused, IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir);
      return 0;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new Refused(dir + " exists and is not a directory");
    }
    List<Path> ours = new ArrayList<>();
    List<String> foreign = new ArrayList<>();
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path e : (Iterable<Path>) entries.sorted()::iterator) {
        String name = e.getFileName().toString();
        if (name.equals(BUSINESS_LOG) && Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
          ours.add(e);
        } else if (name.equals(SPANS) && Files.isDirectory(e, LinkOption.NOFOLLOW_LINKS)) {
          spanFiles(e, ours, foreign);
        } else {
          foreign.add(name);
        }
      }
    }
    if (!foreign.isEmpty()) {
      String named = String.join(", ", foreign.subList(0, Math.min(NAMED, foreign.size())))
          + (foreign.size() > NAMED ? " and " + (foreign.size() - NAMED) + " more" : "");
      throw new Refused(dir + " holds files the demo did not write (" + named + "); the demo only"
          + " replaces its own " + SPANS + "/*" + SpanFilePaths.EXTENSION + " and " + BUSINESS_LOG
          + ". Choose another --dir, or empty this one.");
    }
    for (Path p : ours) {
      Files.deleteIfExists(p);
    }
    return ours.size();
  }

  private static void spanFiles(Path spans, List<Path> ours, List<String> foreign)
      throws IOException {
    try (Stream<Path> entries = Files.list(spans)) {
      for (Path e : (Iterable<Path>) entries.sorted()::iterator) {
        String name = e.getFileName().toString();
        if (name.endsWith(SpanFilePaths.EXTENSION)
            && Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
          ours.add(e);
        } else {
          foreign.add(SPANS + "/" + name);
        }
      }
    }
  }

  /** The span files of a run, in path order (the order the appender named them). */
  static List<Path> spanFiles(Path dir) throws IOException {
    Path spans = dir.resolve(SPANS);
    if (!Files.isDirectory(spans)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(spans)) {
      return entries
          .filter(p -> p.getFileName().toString().endsWith(SpanFilePaths.EXTENSION)
              && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
          .sorted()
          .toList();
    }
  }
}
