package dev.cairn.store;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The embedded store's write-ahead log: what makes a write durable before Lucene commits it.
 * Segment files {@code wal/wal-<generation hex>.log} under the store directory, each an 12-byte
 * header ({@code CAIRNWAL}, version) and then records of {@code [length u32][CRC32C u32][payload]}.
 * Appends are written by the writer thread and forced to disk by {@link #sync()}; a write is
 * acknowledged only after the sync covering its record. A Lucene commit records the generation
 * that follows it; older segments are deleted, and on open every record from that generation on is
 * applied again (idempotently). Replay stops at the first record that is cut short or fails its
 * CRC: a write that was never acknowledged, left by a crash.
 */
final class EmbeddedWal implements Closeable {
  private static final Logger LOG = LogManager.getLogger(EmbeddedWal.class);
  static final String DIRECTORY = "wal";
  private static final byte[] MAGIC = "CAIRNWAL".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;
  private static final int HEADER = MAGIC.length + 4;
  /** No record is this large: a length above it is garbage, not a record. */
  private static final int MAX_RECORD = 1 << 30;

  private final Path dir;
  private FileChannel channel;
  private long generation = -1;
  private long size;
  private final CRC32C crc = new CRC32C();
  private ByteBuffer frame = ByteBuffer.allocate(8);

  EmbeddedWal(Path storeDir) throws IOException {
    dir = storeDir.resolve(DIRECTORY);
    Files.createDirectories(dir);
  }

  /** What {@link #replay} found. */
  record Replayed(long records, long droppedBytes, long lastGeneration) {}

  interface RecordConsumer {
    void accept(byte[] payload) throws IOException, StoreException;
  }

  /**
   * Hands every valid record of the segments from {@code fromGeneration} on to {@code consumer}, in
   * order, stopping at the first invalid one (whose bytes, and any after them, are counted as
   * dropped and logged).
   */
  Replayed replay(long fromGeneration, RecordConsumer consumer) throws IOException, StoreException {
    long records = 0;
    long dropped = 0;
    long last = fromGeneration - 1;
    boolean stopped = false;
    for (long gen : generations()) {
      last = Math.max(last, gen);
      if (gen < fromGeneration) {
        continue;
      }
      Path file = segment(gen);
      long length = Files.size(file);
      if (stopped) {
        dropped += length;
        continue;
      }
      long at = 0;
      try (InputStream raw = Files.newInputStream(file);
           DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
        byte[] header = new byte[HEADER];
        in.readFully(header);
        if (!java.util.Arrays.equals(header, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
          throw new EOFException("not a write-ahead log segment");
        }
        at = HEADER;
        CRC32C check = new CRC32C();
        while (at < length) {
          int n = in.readInt();
          int expected = in.readInt();
          if (n <= 0 || n > MAX_RECORD || n > length - at - 8) {
            break;
          }
          byte[] payload = new byte[n];
          in.readFully(payload);
          check.reset();
          check.update(payload);
          if ((int) check.getValue() != expected) {
            break;
          }
          consumer.accept(payload);
          records++;
          at += 8 + n;
        }
      } catch (EOFException e) {
        // cut short: handled below like a bad record
      }
      if (at < length) {
        stopped = true;
        dropped += length - at;
        LOG.warn("write-ahead log {}: record at byte {} is cut short or fails its CRC; {} bytes from"
            + " there on are not replayed (a write not acknowledged before a crash)", file, at,
            length - at);
      }
    }
    return new Replayed(records, dropped, last);
  }

  /** Existing segment generations, ascending. */
  List<Long> generations() throws IOException {
    List<Long> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("wal-") && n.endsWith(".log") && n.length() == 24)
          .forEach(n -> out.add(Long.parseUnsignedLong(n.substring(4, 20), 16)));
    }
    out.sort(null);
    return out;
  }

  /** Starts appending to a new, empty segment of this generation (synced to disk with its header). */
  void start(long gen) throws IOException {
    closeChannel();
    Path file = segment(gen);
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    ByteBuffer h = ByteBuffer.allocate(HEADER).put(MAGIC).putInt(VERSION).flip();
    while (h.hasRemaining()) {
      channel.write(h);
    }
    channel.force(true);
    syncDirectory();
    generation = gen;
    size = HEADER;
  }

  long generation() {
    return generation;
  }

  /** Bytes in the current segment. */
  long size() {
    return size;
  }

  /** Appends a record (not yet durable: see {@link #sync()}). */
  void append(byte[] payload) throws IOException {
    crc.reset();
    crc.update(payload);
    frame.clear();
    frame.putInt(payload.length).putInt((int) crc.getValue()).flip();
    ByteBuffer body = ByteBuffer.wrap(payload);
    while (frame.hasRemaining() || body.hasRemaining()) {
      channel.write(new ByteBuffer[] {frame, body});
    }
    size += 8 + payload.length;
  }

  /** Forces the appended records to disk. Thread-safe against concurrent appends. */
  void sync() throws IOException {
    channel.force(false);
  }

  /** Deletes the segments older than {@code gen}. */
  void deleteBefore(long gen) throws IOException {
    for (long g : generations()) {
      if (g < gen) {
        Files.deleteIfExists(segment(g));
      }
    }
  }

  private Path segment(long gen) {
    return dir.resolve(String.format("wal-%016x.log", gen));
  }

  private void syncDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // not every platform can open a directory; the segment's own data is synced regardless
      LOG.debug("write-ahead log {}: directory sync not supported", dir, e);
    }
  }

  private void closeChannel() throws IOException {
    if (channel != null) {
      channel.close();
      channel = null;
    }
  }

  @Override
  public void close() throws IOException {
    closeChannel();
  }
}
