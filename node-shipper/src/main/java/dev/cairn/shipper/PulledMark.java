package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The highest journal sequence number any puller has pulled, kept in a small file of the state
 * directory so that it survives restarts. Retention uses it to tell blocks deleted after a puller
 * had them from blocks deleted unread (lost to the central store).
 *
 * <p>The mark only moves up. It is saved atomically (temp file, fsync, rename, directory fsync)
 * and only now and then ({@link #saveIfChanged()}), so after a crash it may lag: retention then
 * counts a few blocks as unread that were read — an over-count, never a hidden loss.
 *
 * <p>Threads: {@link #advance} and {@link #get} from any thread; {@link #saveIfChanged} from one.
 */
final class PulledMark {
  private static final Logger LOG = LogManager.getLogger(PulledMark.class);
  static final String FILE_NAME = "pulled-seq";

  private final Path file;
  private final AtomicLong seq;
  private volatile long saved;

  private PulledMark(Path file, long seq) {
    this.file = file;
    this.seq = new AtomicLong(seq);
    this.saved = seq;
  }

  /** Loads the mark from {@code <stateDir>/pulled-seq}; 0 when absent, unreadable or damaged (logged). */
  static PulledMark load(Path stateDir) {
    Path file = stateDir.resolve(FILE_NAME);
    long seq = 0;
    try {
      String text = Files.readString(file, US_ASCII).strip();
      seq = Long.parseLong(text);
      if (seq < 0) {
        throw new NumberFormatException("negative");
      }
    } catch (NoSuchFileException e) {
      // First start: nothing pulled yet.
    } catch (IOException | NumberFormatException e) {
      LOG.warn("Pullers' high-water mark {} is unreadable ({}); starting from 0, so retention may count "
          + "blocks pullers already had as expired unread", file, e.toString());
      seq = 0;
    }
    return new PulledMark(file, seq);
  }

  /** The highest sequence number pulled, 0 when none. */
  long get() {
    return seq.get();
  }

  /** Records that a puller has had every block up to {@code pulledSeq}. */
  void advance(long pulledSeq) {
    seq.accumulateAndGet(pulledSeq, Math::max);
  }

  /** Writes the mark when it moved since the last save. */
  void saveIfChanged() throws IOException {
    long now = seq.get();
    if (now == saved) {
      return;
    }
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap((now + "\n").getBytes(US_ASCII));
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    } catch (IOException e) {
      // Some file systems cannot fsync a directory; the rename is still atomic there.
    }
    saved = now;
  }

  Path file() {
    return file;
  }
}
