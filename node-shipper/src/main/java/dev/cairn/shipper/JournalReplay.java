package dev.cairn.shipper;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;

/**
 * Reads one copy of a shipper's journal — the primary or the replica, they have the same layout —
 * offline and read-only, for {@code cairn recover}. It reads through the same code the shipper
 * serves pulls with (the journal's copy and reader), so a replica is read exactly as a primary.
 *
 * <p>Unlike the shipper's own open, this never creates, repairs, locks or appends: Chronicle maps
 * the files read-only and nothing in the directory changes, not even a modification time. It may
 * read a journal a running shipper is appending to; it then reads the entries that were there when
 * it opened ({@link #lastSeq()}) and stops.
 *
 * <p>Not thread-safe: one thread opens it, reads it and closes it.
 *
 * <pre>{@code
 * try (JournalReplay replay = JournalReplay.open(Path.of("/backup/cairn/journal"))) {
 *   replay.seek(1);
 *   for (JournalReplay.Entry e; (e = replay.next()) != null; ) {
 *     decode(e.block());       // a view, valid until the next call
 *   }
 * }
 * }</pre>
 */
public final class JournalReplay implements Closeable {
  private final Path dir;
  private final JournalCopy copy;
  private final JournalReader reader;
  private final long lastSeq;

  /**
   * One journal entry: a block and where it came from.
   *
   * @param seq the journal sequence number (the same in the primary and the replica)
   * @param fileId the span file the block was read from (its header's ID)
   * @param offset the block's offset in that file
   * @param block the whole block (header and compressed payload), read-only, positioned at its
   *     first byte; valid until the next call to {@link #next()} — copy it to keep it
   */
  public record Entry(long seq, UUID fileId, long offset, ByteBuffer block) {}

  private JournalReplay(Path dir, JournalCopy copy) {
    this.dir = dir;
    this.copy = copy;
    this.reader = new JournalReader(copy);
    this.lastSeq = copy.lastSeq();
  }

  /**
   * Opens the journal copy in {@code dir} read-only.
   *
   * @throws IOException when {@code dir} holds no journal, or its queue cannot be opened or read
   *     (damaged: its entries do not form one run of sequence numbers)
   */
  public static JournalReplay open(Path dir) throws IOException {
    Objects.requireNonNull(dir, "dir");
    Path d = dir.toAbsolutePath().normalize();
    if (!Files.isDirectory(d)) {
      throw new IOException("no journal directory " + d);
    }
    if (!JournalCopy.hasQueueFiles(d, false)) {
      throw new IOException("no journal in " + d + " (no Chronicle cycle files *.cq4)");
    }
    JournalCopy copy = JournalCopy.openReadOnly("read-only", d, new JournalClock(System::currentTimeMillis));
    return new JournalReplay(d, copy);
  }

  public Path directory() {
    return dir;
  }

  /** The oldest entry's sequence number (after retention); 1 for an empty journal. */
  public long firstSeq() {
    return copy.firstSeq();
  }

  /** The newest entry's sequence number when the journal was opened; 0 when empty. */
  public long lastSeq() {
    return lastSeq;
  }

  /**
   * Positions the reader so that {@link #next()} returns entry {@code seq}, or the oldest one when
   * {@code seq} is older. Returns the sequence number the next entry will have.
   */
  public long seek(long seq) {
    return reader.seek(seq);
  }

  /**
   * The next entry, or null after {@link #lastSeq()}. Starts at {@link #firstSeq()} when not
   * positioned.
   */
  public Entry next() {
    JournalEntry e = reader.next();
    if (e == null || e.seq() > lastSeq) {
      return null;
    }
    return new Entry(e.seq(), e.fileId(), e.offset(), e.block().asReadOnlyBuffer());
  }

  /** Excerpts passed over because they could not be journal entries (logged); 0 normally. */
  public long skippedExcerpts() {
    return reader.skipped();
  }

  @Override
  public void close() {
    reader.close();
    copy.close();
  }

  @Override
  public String toString() {
    return "journal " + dir + " (read-only)";
  }
}
