package dev.cairn.shipper;

import dev.cairn.core.format.FormatException;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * An immutable, sorted index segment on disk: {@code seg-<firstSeq>-<lastSeq>.idx}. It maps the
 * keys of the trace IDs in blocks {@code firstSeq..lastSeq} to those blocks' sequence numbers.
 *
 * <p>Layout (big-endian), version 1:
 *
 * <pre>
 *  0  8  magic "CAIRNIDX"
 *  8  4  version (1)
 * 12  4  bucket bits b (0..24)
 * 16  8  first sequence number covered
 * 24  8  last sequence number covered
 * 32  4  entry count n
 * 36  4  reserved (0)
 * 40  4  CRC32C of every byte after the header (directory and entries)
 * 44  4  CRC32C of header bytes [0, 44)
 * 48     directory: 2^b + 1 × u32, the index of the first entry of each bucket, then n
 *  …     entries: n × (i32 suffix, u32 seq - firstSeq), sorted by (bucket, suffix, seq)
 * </pre>
 *
 * The bucket of a key is its top b bits; the suffix is the 32 bits below them. So a lookup reads
 * two directory slots (kept on the heap: 4 bytes per {@value #TARGET_BUCKET} entries) and then
 * one bucket of about {@value #TARGET_BUCKET} entries (512 bytes) with one positional read, and
 * binary-searches it. Two trace IDs agreeing on those b + 32 bits of their key collide; the index
 * may then return a block that does not hold the trace, which its contract allows.
 *
 * <p>Positional reads rather than a memory mapping: a page fault on a mapping reads ahead as much
 * as the device's read-ahead setting (8 MiB here), which turns a cold 512-byte probe into
 * megabytes; a read of a mapped file someone truncated kills the thread with an error; and the
 * disk space of a deleted, still-mapped file comes back only when the mapping is collected.
 *
 * <p>Written once (temp file, fsync, atomic rename, fsync of the directory), verified completely
 * (both CRCs, lengths, directory order) when opened, then only read. Any thread may call
 * {@link #find}: it uses positional reads (no shared position) and immutable arrays.
 */
final class SealedSegment {
  static final long MAGIC = 0x434149524E494458L; // "CAIRNIDX"
  static final int VERSION = 1;
  static final int HEADER = 48;
  static final int TARGET_BUCKET = 64;
  static final int MAX_BUCKET_BITS = 24;
  static final String PREFIX = "seg-";
  static final String SUFFIX = ".idx";

  private final Path path;
  private final long firstSeq;
  private final long lastSeq;
  private final int bucketBits;
  private final int count;
  private final int[] directory;
  private final long entriesAt;
  private final long fileBytes;
  private final Object reopenLock = new Object();
  private volatile FileChannel channel;
  private volatile boolean retired;

  private SealedSegment(Path path, long firstSeq, long lastSeq, int bucketBits, int count,
      int[] directory, FileChannel channel, long fileBytes) {
    this.path = path;
    this.firstSeq = firstSeq;
    this.lastSeq = lastSeq;
    this.bucketBits = bucketBits;
    this.count = count;
    this.directory = directory;
    this.channel = channel;
    this.entriesAt = HEADER + directory.length * 4L;
    this.fileBytes = fileBytes;
  }

  static String fileName(long firstSeq, long lastSeq) {
    return String.format("%s%020d-%020d%s", PREFIX, firstSeq, lastSeq, SUFFIX);
  }

  /** The (firstSeq, lastSeq) a segment file name announces, or null if it is not one. */
  static long[] parseName(String name) {
    if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) {
      return null;
    }
    String[] parts = name.substring(PREFIX.length(), name.length() - SUFFIX.length()).split("-");
    if (parts.length != 2) {
      return null;
    }
    try {
      long first = Long.parseLong(parts[0]);
      long last = Long.parseLong(parts[1]);
      return first >= 1 && last >= first - 1 ? new long[] {first, last} : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  Path path() {
    return path;
  }

  long firstSeq() {
    return firstSeq;
  }

  long lastSeq() {
    return lastSeq;
  }

  int count() {
    return count;
  }

  long fileBytes() {
    return fileBytes;
  }

  long heapBytes() {
    return 64 + directory.length * 4L;
  }

  static int bucketBits(int entries) {
    int b = 0;
    while (b < MAX_BUCKET_BITS && (entries >>> b) > TARGET_BUCKET) {
      b++;
    }
    return b;
  }

  static int bucket(long key, int bits) {
    return bits == 0 ? 0 : (int) (key >>> (64 - bits));
  }

  static int suffix(long key, int bits) {
    return (int) ((key << bits) >>> 32);
  }

  /** File offset and length in bytes of the bucket that would hold {@code key} (measurements). */
  long[] bucketBytes(long key) {
    int b = bucket(key, bucketBits);
    return new long[] {entriesAt + directory[b] * 8L, (directory[b + 1] - directory[b]) * 8L};
  }

  /**
   * Adds to {@code out}, ascending, this segment's sequence numbers of the key that are ≥
   * {@code fromSeq}: one positional read of the key's bucket (about 512 bytes).
   *
   * @throws IOException when the file cannot be read, or the segment was {@link #retire retired}
   */
  void find(long key, long fromSeq, LongList out) throws IOException {
    if (count == 0 || lastSeq < fromSeq) {
      return;
    }
    int b = bucket(key, bucketBits);
    int start = directory[b];
    int n = directory[b + 1] - start;
    if (n == 0) {
      return;
    }
    ByteBuffer buf = scratch(n * 8);
    readFully(buf, entriesAt + start * 8L);
    int target = suffix(key, bucketBits);
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (buf.getInt(mid * 8) < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (int i = lo; i < n; i++) {
      long entry = buf.getLong(i * 8);
      if ((int) (entry >>> 32) != target) {
        break;
      }
      long seq = firstSeq + (entry & 0xFFFFFFFFL);
      if (seq >= fromSeq) {
        out.add(seq);
      }
    }
  }

  private static final ThreadLocal<ByteBuffer> SCRATCH =
      ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(16 * 1024));

  // A bucket is ~512 bytes; one of a trace in thousands of blocks can be far larger.
  private static ByteBuffer scratch(int bytes) {
    ByteBuffer buf = SCRATCH.get();
    if (buf.capacity() < bytes) {
      if (bytes > 1 << 20) {
        return ByteBuffer.allocate(bytes);
      }
      buf = ByteBuffer.allocateDirect(Integer.highestOneBit(bytes - 1) << 1);
      SCRATCH.set(buf);
    }
    buf.clear().limit(bytes);
    return buf;
  }

  private void readFully(ByteBuffer buf, long at) throws IOException {
    try {
      read(channel, buf, at);
      return;
    } catch (ClosedChannelException e) {
      if (retired) {
        throw e;
      }
    }
    // A reader interrupted during a read closes a FileChannel for every thread (this one, or
    // another just before): open it again and retry once with this thread's interrupt set aside.
    boolean interrupted = Thread.interrupted();
    try {
      FileChannel ch;
      synchronized (reopenLock) {
        ch = channel;
        if (!ch.isOpen() && !retired) {
          ch = FileChannel.open(path, StandardOpenOption.READ);
          channel = ch;
        }
      }
      read(ch, buf, at);
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void read(FileChannel ch, ByteBuffer buf, long at) throws IOException {
    int want = buf.limit();
    buf.position(0);
    while (buf.position() < want) {
      if (ch.read(buf, at + buf.position()) < 0) {
        throw new EOFException("index segment shorter than its directory says");
      }
    }
  }

  /** Closes the file: the segment left the index (retention, close). Finds still using it fail. */
  void retire() {
    retired = true;
    synchronized (reopenLock) {
      try {
        channel.close();
      } catch (IOException e) {
        // Closing a read-only channel loses nothing.
      }
    }
  }

  /**
   * Writes the entries of a frozen segment as {@code dir/seg-<first>-<last>.idx}: sorted, then
   * written to a temp file, fsynced, renamed into place and the directory fsynced, so the file
   * either exists whole or not at all, whatever happens to the process or the machine.
   */
  static Path write(Path dir, MutableSegment m) throws IOException {
    int n = m.size();
    int bits = bucketBits(n);
    int buckets = 1 << bits;
    int[] directory = new int[buckets + 1];
    for (int i = 0; i < n; i++) {
      directory[bucket(m.key(i), bits) + 1]++;
    }
    for (int k = 0; k < buckets; k++) {
      directory[k + 1] += directory[k];
    }
    // Counting sort by bucket (entries arrive ascending by seq), then each small bucket by
    // (suffix, seq): one long per entry, the same 8 bytes that go to disk.
    long[] packed = new long[n];
    int[] fill = Arrays.copyOf(directory, buckets);
    for (int i = 0; i < n; i++) {
      long key = m.key(i);
      packed[fill[bucket(key, bits)]++] = ((long) suffix(key, bits) << 32) | (m.seqDelta(i) & 0xFFFFFFFFL);
    }
    int w = 0;
    for (int k = 0; k < buckets; k++) {
      int start = directory[k];
      int end = directory[k + 1];
      Arrays.sort(packed, start, end);
      directory[k] = w;
      for (int j = start; j < end; j++) {
        // Two trace IDs of one block may share a key: one entry is enough.
        if (j == start || packed[j] != packed[j - 1]) {
          packed[w++] = packed[j];
        }
      }
    }
    directory[buckets] = w;
    return write(dir, m.firstSeq(), m.lastSeq(), bits, directory, packed, w);
  }

  private static Path write(Path dir, long firstSeq, long lastSeq, int bits, int[] directory,
      long[] packed, int count) throws IOException {
    Path target = dir.resolve(fileName(firstSeq, lastSeq));
    Path tmp = dir.resolve(target.getFileName() + ".tmp");
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate(1 << 20);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
      ch.position(HEADER);
      for (int d : directory) {
        if (buf.remaining() < 4) {
          flush(ch, buf, crc);
        }
        buf.putInt(d);
      }
      for (int i = 0; i < count; i++) {
        if (buf.remaining() < 8) {
          flush(ch, buf, crc);
        }
        buf.putLong(packed[i]);
      }
      flush(ch, buf, crc);
      ByteBuffer header = ByteBuffer.allocate(HEADER);
      header.putLong(MAGIC).putInt(VERSION).putInt(bits).putLong(firstSeq).putLong(lastSeq)
          .putInt(count).putInt(0).putInt((int) crc.getValue());
      CRC32C hc = new CRC32C();
      hc.update(header.array(), 0, 44);
      header.putInt((int) hc.getValue()).flip();
      while (header.hasRemaining()) {
        ch.write(header, header.position());
      }
      ch.force(true);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    fsyncDirectory(dir);
    return target;
  }

  private static void flush(FileChannel ch, ByteBuffer buf, CRC32C crc) throws IOException {
    buf.flip();
    crc.update(buf.array(), 0, buf.limit());
    while (buf.hasRemaining()) {
      ch.write(buf);
    }
    buf.clear();
  }

  /** Makes a rename or delete in {@code dir} durable. */
  static void fsyncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /**
   * Opens and verifies a segment file: header and body CRCs, lengths, the directory's order, and
   * that the header's range is the one its name announces.
   *
   * @throws FormatException when the file is not a whole, valid segment
   */
  static SealedSegment open(Path file) throws IOException, FormatException {
    return open(file, true);
  }

  /** As {@link #open(Path)}; {@code verifyBody} false skips reading the whole file (measurements only). */
  static SealedSegment open(Path file, boolean verifyBody) throws IOException, FormatException {
    long[] range = parseName(file.getFileName().toString());
    if (range == null) {
      throw new FormatException("not an index segment file name");
    }
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    try {
      long size = ch.size();
      if (size < HEADER) {
        throw new FormatException(size + " bytes, shorter than the " + HEADER + "-byte header");
      }
      ByteBuffer h = ByteBuffer.allocate(HEADER);
      while (h.hasRemaining()) {
        if (ch.read(h, h.position()) < 0) {
          throw new FormatException("header cut short");
        }
      }
      CRC32C hc = new CRC32C();
      hc.update(h.array(), 0, 44);
      if (h.getLong(0) != MAGIC) {
        throw new FormatException("bad magic");
      }
      if ((int) hc.getValue() != h.getInt(44)) {
        throw new FormatException("header CRC mismatch");
      }
      int version = h.getInt(8);
      if (version != VERSION) {
        throw new FormatException("index segment version " + version + " is not " + VERSION);
      }
      int bits = h.getInt(12);
      long first = h.getLong(16);
      long last = h.getLong(24);
      int count = h.getInt(32);
      if (first != range[0] || last != range[1]) {
        throw new FormatException("header says seq " + first + ".." + last + ", the name " + range[0]
            + ".." + range[1]);
      }
      if (bits < 0 || bits > MAX_BUCKET_BITS || count < 0) {
        throw new FormatException("bucket bits " + bits + " or entry count " + count + " out of range");
      }
      int buckets = 1 << bits;
      long expected = HEADER + 4L * (buckets + 1) + 8L * count;
      if (size != expected) {
        throw new FormatException(size + " bytes, header announces " + expected);
      }
      if (expected > Integer.MAX_VALUE) {
        throw new FormatException("segment of " + expected + " bytes is larger than 2 GiB");
      }
      if (verifyBody) {
        CRC32C body = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
        for (long at = HEADER; at < size; ) {
          chunk.clear().limit((int) Math.min(chunk.capacity(), size - at));
          read(ch, chunk, at);
          chunk.flip();
          body.update(chunk);
          at += chunk.limit();
        }
        if ((int) body.getValue() != h.getInt(40)) {
          throw new FormatException("CRC mismatch in directory or entries");
        }
      }
      ByteBuffer dirBytes = ByteBuffer.allocate((buckets + 1) * 4);
      read(ch, dirBytes, HEADER);
      int[] directory = new int[buckets + 1];
      dirBytes.flip();
      dirBytes.asIntBuffer().get(directory);
      if (directory[0] != 0 || directory[buckets] != count) {
        throw new FormatException("directory does not span the entries");
      }
      for (int k = 0; k < buckets; k++) {
        if (directory[k + 1] < directory[k]) {
          throw new FormatException("directory not ascending at bucket " + k);
        }
      }
      SealedSegment segment = new SealedSegment(file, first, last, bits, count, directory, ch, size);
      ch = null; // the segment owns it now
      return segment;
    } finally {
      if (ch != null) {
        ch.close();
      }
    }
  }

  @Override
  public String toString() {
    return "SealedSegment{" + path.getFileName() + ", " + count + " entries}";
  }
}
