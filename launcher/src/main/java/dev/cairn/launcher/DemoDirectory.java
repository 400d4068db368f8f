package dev.cairn.launcher;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * The demo's directory. Each run starts from an empty one: the demo marks a directory it owns
 * with {@value #MARKER} and empties it at the next start; a directory that holds anything without
 * that mark is refused, so that a mistyped {@code --dir} never costs the user a file.
 */
final class DemoDirectory {
  static final String MARKER = ".cairn-demo";

  private DemoDirectory() {}

  /** Why the directory cannot be used; the message is for the user. */
  static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /**
   * Makes {@code dir} an empty directory owned by the demo: creates it, or deletes what an earlier
   * run left in it.
   *
   * @return whether an earlier run's files were deleted
   * @throws Refused when {@code dir} is not a directory, or holds files without the demo's mark;
   *     nothing was deleted then
   */
  static boolean prepare(Path dir) throws Refused, IOException {
    boolean earlier = false;
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        throw new Refused(dir + " exists and is not a directory");
      }
      if (Files.exists(dir.resolve(MARKER), LinkOption.NOFOLLOW_LINKS)) {
        earlier = true;
        deleteContents(dir);
      } else if (!isEmpty(dir)) {
        throw new Refused(dir + " is not empty and was not written by cairn demo (it has no "
            + MARKER + " file). Choose another --dir, or empty this one.");
      }
    }
    Files.createDirectories(dir);
    Files.writeString(dir.resolve(MARKER), "written by cairn demo; its next run empties this"
        + " directory\n");
    return earlier;
  }

  private static boolean isEmpty(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }

  /** Deletes everything below {@code dir}, not following symbolic links, keeping {@code dir}. */
  private static void deleteContents(Path dir) throws IOException {
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        if (!d.equals(dir)) {
          Files.delete(d);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
