package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The tailer's checkpoint file: how far each span file has been journaled, as of a journal
 * sequence number. A shortcut, not the truth: on restart the journal's entries after
 * {@link Checkpoint#lastSeq()} are replayed on top of it, so a checkpoint that lags the journal
 * loses nothing and duplicates nothing.
 *
 * <p>{@link #save} is atomic and durable: the bytes go to {@code <file>.tmp}, which is fsynced,
 * renamed over the file, and the directory is fsynced. A reader sees the old or the new checkpoint,
 * never a mix; a crash leaves at worst a stale {@code .tmp}, which is ignored and overwritten.
 *
 * <p>Layout (big-endian): magic {@code CRNCKPT1}, lastSeq, watchingSinceMillis, file count, files,
 * writer count, writers, then CRC32C of everything before it. A file whose magic or CRC does not
 * check is reported and treated as absent (the journal then rebuilds the positions).
 *
 * <pre>{@code
 * CheckpointStore store = new CheckpointStore(Path.of("/var/lib/cairn/tailer.checkpoint"));
 * Optional<CheckpointStore.Checkpoint> last = store.load();
 * store.save(new CheckpointStore.Checkpoint(42, now, files, writers));
 * }</pre>
 */
final class CheckpointStore {
  private static final Logger log = LogManager.getLogger(CheckpointStore.class);
  private static final long MAGIC = 0x43524E434B505431L; // "CRNCKPT1"

  private final Path file;
  private final Path tmp;

  CheckpointStore(Path file) {
    this.file = requireNonNull(file, "file").toAbsolutePath();
    this.tmp = this.file.resolveSibling(this.file.getFileName() + ".tmp");
  }

  Path file() {
    return file;
  }

  /**
   * Everything the tailer needs to resume.
   *
   * @param lastSeq every journal entry up to this sequence number is reflected in {@code files}
   * @param watchingSinceMillis when this shipper first watched the files (its first checkpoint):
   *     writers started later must have every file numbered from 0 seen, or the missing ones were
   *     lost
   * @param files every file known, finished ones included until forgotten
   * @param writers the highest file number seen per writer
   */
  record Checkpoint(long lastSeq, long watchingSinceMillis, List<FileState> files,
      List<WriterState> writers) {
    Checkpoint {
      files = List.copyOf(files);
      writers = List.copyOf(writers);
    }
  }

  /**
   * One span file's progress.
   *
   * @param fileId the ID from the file's header
   * @param path where it was last seen; "" when unknown
   * @param nextOffset where reading resumes: the end of the last block journaled, or of skipped
   *     damage after it
   * @param size the file's size when last seen
   * @param finished its writer will not append again and its tail was classified: not read again
   *     unless it grows
   * @param missingSinceMillis when it was last found missing from the listing; -1 while present
   * @param writer who wrote it, when its name is the appender's
   * @param writerSeq its number in the writer's sequence; -1 without a writer
   */
  record FileState(UUID fileId, String path, long nextOffset, long size, boolean finished,
      long missingSinceMillis, Optional<WriterKey> writer, long writerSeq) {
    FileState {
      requireNonNull(fileId, "fileId");
      requireNonNull(path, "path");
      requireNonNull(writer, "writer");
    }
  }

  /**
   * What is known of one writer.
   *
   * @param maxSeq the highest file number seen
   * @param newestCreatedMicros the latest creation time in its files' headers; -1 when unknown
   * @param lastSeenMillis when any of its files was last listed
   */
  record WriterState(WriterKey key, long maxSeq, long newestCreatedMicros, long lastSeenMillis) {}

  /** The last saved checkpoint; empty when there is none or it is unreadable (logged). */
  Optional<Checkpoint> load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      log.error("Cannot read the tailer checkpoint {}: {}; positions are rebuilt from the journal",
          file, e.toString());
      return Optional.empty();
    }
    try {
      return Optional.of(decode(bytes));
    } catch (IOException | RuntimeException e) {
      log.error("The tailer checkpoint {} is damaged ({}); positions are rebuilt from the journal",
          file, e.getMessage());
      return Optional.empty();
    }
  }

  /** Replaces the checkpoint atomically and durably. */
  void save(Checkpoint c) throws IOException {
    byte[] bytes = encode(c);
    Path dir = file.getParent();
    Files.createDirectories(dir);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    // The rename is durable only once the directory entry is.
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  static byte[] encode(Checkpoint c) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128 + c.files().size() * 160);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(MAGIC);
      out.writeLong(c.lastSeq());
      out.writeLong(c.watchingSinceMillis());
      out.writeInt(c.files().size());
      for (FileState f : c.files()) {
        out.writeLong(f.fileId().getMostSignificantBits());
        out.writeLong(f.fileId().getLeastSignificantBits());
        string(out, f.path());
        out.writeLong(f.nextOffset());
        out.writeLong(f.size());
        out.writeBoolean(f.finished());
        out.writeLong(f.missingSinceMillis());
        out.writeBoolean(f.writer().isPresent());
        if (f.writer().isPresent()) {
          writer(out, f.writer().get());
          out.writeLong(f.writerSeq());
        }
      }
      out.writeInt(c.writers().size());
      for (WriterState w : c.writers()) {
        writer(out, w.key());
        out.writeLong(w.maxSeq());
        out.writeLong(w.newestCreatedMicros());
        out.writeLong(w.lastSeenMillis());
      }
      CRC32C crc = new CRC32C();
      crc.update(bytes.toByteArray());
      out.writeInt((int) crc.getValue());
    } catch (IOException e) {
      throw new IllegalStateException("cannot happen: in-memory stream", e);
    }
    return bytes.toByteArray();
  }

  static Checkpoint decode(byte[] bytes) throws IOException {
    if (bytes.length < 12) {
      throw new EOFException("only " + bytes.length + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes, 0, bytes.length - 4);
    if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
      throw new IOException("CRC mismatch");
    }
    DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
    if (in.readLong() != MAGIC) {
      throw new IOException("not a Cairn tailer checkpoint (bad magic)");
    }
    long lastSeq = in.readLong();
    long since = in.readLong();
    int n = in.readInt();
    List<FileState> files = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      UUID id = new UUID(in.readLong(), in.readLong());
      String path = string(in);
      long next = in.readLong();
      long size = in.readLong();
      boolean finished = in.readBoolean();
      long missing = in.readLong();
      Optional<WriterKey> writer = Optional.empty();
      long seq = -1;
      if (in.readBoolean()) {
        writer = Optional.of(writer(in));
        seq = in.readLong();
      }
      files.add(new FileState(id, path, next, size, finished, missing, writer, seq));
    }
    int w = in.readInt();
    List<WriterState> writers = new ArrayList<>(w);
    for (int i = 0; i < w; i++) {
      writers.add(new WriterState(writer(in), in.readLong(), in.readLong(), in.readLong()));
    }
    if (in.available() != 0) {
      throw new IOException(in.available() + " unexpected bytes at the end");
    }
    return new Checkpoint(lastSeq, since, files, writers);
  }

  private static void writer(DataOutputStream out, WriterKey k) throws IOException {
    string(out, k.directory());
    string(out, k.prefix());
    out.writeLong(k.pid());
    out.writeLong(k.startMicros());
  }

  private static WriterKey writer(DataInputStream in) throws IOException {
    return new WriterKey(string(in), string(in), in.readLong(), in.readLong());
  }

  private static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String string(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 1 << 20) {
      throw new IOException("string length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, UTF_8);
  }
}
