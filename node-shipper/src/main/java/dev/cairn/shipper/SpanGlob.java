package dev.cairn.shipper;

import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One entry of the shipper's {@code spans} list: which span files to tail.
 *
 * <p>Syntax (matched against absolute, normalised paths; {@code /} separates segments):
 *
 * <ul>
 *   <li>A pattern ending in {@code /} names <b>directories</b>: every {@code *.cairn} file directly
 *       inside each matching directory is tailed ({@code /var/log/cairn/*}{@code /}).
 *   <li>A pattern without wildcards that names an existing directory is the same as the pattern
 *       with a trailing {@code /} ({@code /var/log/cairn/checkout}).
 *   <li>Any other pattern names <b>files</b> ({@code /var/log/cairn/**}{@code /*.cairn}).
 *   <li>{@code *} matches within one segment, {@code ?} one character of a segment,
 *       {@code [abc]} / {@code [a-z]} / {@code [!abc]} one character of a set, {@code {a,b}} either
 *       alternative, {@code **} any number of segments ({@code **}{@code /} also matches none, as in
 *       .gitignore). A relative pattern is resolved against the working directory.
 *   <li>Names ending in {@code .tmp} are never tailed: the appender writes a new file's header
 *       under such a name and links it to its real name once whole.
 *   <li>Symbolic links are followed; a loop ends the walk there. {@code **} descends at most
 *       {@value #MAX_DEPTH} levels.
 * </ul>
 */
final class SpanGlob {
  static final int MAX_DEPTH = 32;
  private static final String SPAN_SUFFIX = ".cairn";

  private final String pattern;
  private final Path base;
  private final Pattern regex;
  private final boolean directories;
  private final boolean literal;
  private final int depth;

  private SpanGlob(String pattern, Path base, Pattern regex, boolean directories, boolean literal,
      int depth) {
    this.pattern = pattern;
    this.base = base;
    this.regex = regex;
    this.directories = directories;
    this.literal = literal;
    this.depth = depth;
  }

  /** Parses a pattern; the exception names what is wrong with it. */
  static SpanGlob parse(String pattern) {
    if (pattern == null || pattern.isBlank()) {
      throw new IllegalArgumentException("span file pattern is empty");
    }
    String p = pattern.trim();
    boolean dirs = p.endsWith("/");
    // Resolve relative patterns textually: Path cannot hold wildcards on every platform.
    String absText = Path.of(p).isAbsolute() ? p : Path.of("").toAbsolutePath() + "/" + p;
    List<String> segments = new ArrayList<>();
    for (String s : absText.split("/")) {
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        if (!segments.isEmpty() && !hasMeta(segments.get(segments.size() - 1))) {
          segments.remove(segments.size() - 1);
        }
        continue;
      }
      segments.add(s);
    }
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("span file pattern '" + pattern
          + "' names the root directory");
    }
    int fixed = 0;
    while (fixed < segments.size() && !hasMeta(segments.get(fixed))) {
      fixed++;
    }
    boolean literal = fixed == segments.size();
    Path base = Path.of("/" + String.join("/", segments.subList(0, fixed)));
    boolean deep = segments.stream().anyMatch(s -> s.contains("**"));
    int depth = deep ? MAX_DEPTH : segments.size() - fixed;
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < segments.size(); i++) {
      String s = segments.get(i);
      if (s.equals("**")) {
        // "/**/" matches one slash or any segments between two; a trailing "/**" all below.
        re.append("(?:/.*)?");
        continue;
      }
      re.append('/');
      translate(s, re, pattern);
    }
    return new SpanGlob(pattern, base, Pattern.compile(re.toString()), dirs, literal, depth);
  }

  private static boolean hasMeta(String segment) {
    for (int i = 0; i < segment.length(); i++) {
      if ("*?[]{}".indexOf(segment.charAt(i)) >= 0) {
        return true;
      }
    }
    return false;
  }

  private static void translate(String s, StringBuilder re, String pattern) {
    boolean inGroup = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '*' -> {
          if (i + 1 < s.length() && s.charAt(i + 1) == '*') {
            re.append(".*");
            i++;
          } else {
            re.append("[^/]*");
          }
        }
        case '?' -> re.append("[^/]");
        case '[' -> {
          int close = s.indexOf(']', i + 2);
          if (close < 0) {
            throw new IllegalArgumentException("span file pattern '" + pattern
                + "': '[' without a closing ']'");
          }
          String set = s.substring(i + 1, close);
          re.append('[');
          if (set.startsWith("!")) {
            re.append('^');
            set = set.substring(1);
          }
          for (char ch : set.toCharArray()) {
            if (ch == '\\' || ch == '[' || ch == ']' || ch == '^' || ch == '&') {
              re.append('\\');
            }
            re.append(ch);
          }
          re.append(']');
          i = close;
        }
        case '{' -> {
          if (inGroup) {
            throw new IllegalArgumentException("span file pattern '" + pattern
                + "': nested '{' is not supported");
          }
          inGroup = true;
          re.append("(?:");
        }
        case '}' -> {
          if (!inGroup) {
            throw new IllegalArgumentException("span file pattern '" + pattern
                + "': '}' without '{'");
          }
          inGroup = false;
          re.append(')');
        }
        case ',' -> re.append(inGroup ? "|" : ",");
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    if (inGroup) {
      throw new IllegalArgumentException("span file pattern '" + pattern + "': '{' without '}'");
    }
  }

  String pattern() {
    return pattern;
  }

  /**
   * Adds every span file this pattern names now to {@code into}, with its attributes (symbolic
   * links followed). Files that vanish during the walk are left out.
   */
  void list(Map<Path, BasicFileAttributes> into) throws IOException {
    if (!Files.exists(base)) {
      return;
    }
    if (literal) {
      BasicFileAttributes a = Files.readAttributes(base, BasicFileAttributes.class);
      if (a.isDirectory()) {
        listDirectory(base, into);
      } else if (!directories && a.isRegularFile() && !isTemporary(base)) {
        into.put(base, a);
      }
      return;
    }
    Files.walkFileTree(base, EnumSet.of(FileVisitOption.FOLLOW_LINKS), depth,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (directories && !dir.equals(base) && regex.matcher(dir.toString()).matches()) {
              listDirectory(dir, into);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            if (attrs.isDirectory()) {
              // A directory at the depth limit is reported as a file.
              if (directories && regex.matcher(file.toString()).matches()) {
                listDirectory(file, into);
              }
            } else if (!directories && attrs.isRegularFile() && !isTemporary(file)
                && regex.matcher(file.toString()).matches()) {
              into.put(file, attrs);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            // Vanished while walking, unreadable, or a symbolic link loop: nothing to tail there.
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static void listDirectory(Path dir, Map<Path, BasicFileAttributes> into) throws IOException {
    try (var entries = Files.newDirectoryStream(dir, "*" + SPAN_SUFFIX)) {
      for (Path p : entries) {
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          if (a.isRegularFile()) {
            into.put(p, a);
          }
        } catch (IOException e) {
          // Deleted between listing and stat: the next scan will not see it either.
        }
      }
    } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
      // The directory went away meanwhile.
    }
  }

  private static boolean isTemporary(Path p) {
    return p.getFileName().toString().endsWith(".tmp");
  }

  @Override
  public String toString() {
    return pattern;
  }
}
