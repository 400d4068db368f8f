package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The puller's cursors, one per host, in {@code <state>/cursors}: a line {@code name seq} per
 * host. Saved whole and atomically (a temporary file, fsync, rename, fsync of the directory), so
 * after a crash the file is the previous version or the new one, never a mix. A cursor is where
 * that host must be pulled from after a restart; the puller only ever saves
 * {@link TraceAssembler#safeCursor}, which never runs ahead of what the store acknowledged.
 */
final class CursorStore {
  static final String FILE = "cursors";

  private final Path dir;
  private final Path file;
  private Map<String, Long> lastSaved = Map.of();

  CursorStore(Path dir) throws IOException {
    this.dir = Files.createDirectories(dir);
    this.file = dir.resolve(FILE);
  }

  /** The saved cursors; empty when none were saved yet. A damaged line fails loudly: guessing would lose or repeat data. */
  Map<String, Long> load() throws IOException {
    Map<String, Long> out = new TreeMap<>();
    String text;
    try {
      text = Files.readString(file, UTF_8);
    } catch (NoSuchFileException e) {
      return out;
    }
    int n = 0;
    for (String line : text.split("\n")) {
      n++;
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.strip().split(" ");
      try {
        if (parts.length != 2) {
          throw new NumberFormatException();
        }
        out.put(parts[0], Long.parseLong(parts[1]));
      } catch (NumberFormatException e) {
        throw new IOException(file + " line " + n + " is not \"host seq\": " + line);
      }
    }
    lastSaved = Map.copyOf(out);
    return out;
  }

  /** Saves {@code cursors} when they differ from the last saved ones. */
  void save(Map<String, Long> cursors) throws IOException {
    if (cursors.equals(lastSaved)) {
      return;
    }
    StringBuilder b = new StringBuilder("# cairn puller cursors: host, next journal sequence to pull\n");
    new TreeMap<>(cursors).forEach((host, seq) -> b.append(host).append(' ').append(seq).append('\n'));
    Path tmp = dir.resolve(FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer buf = ByteBuffer.wrap(b.toString().getBytes(UTF_8));
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // Some file systems cannot open a directory; the rename is still atomic there.
    }
    lastSaved = Map.copyOf(cursors);
  }
}
