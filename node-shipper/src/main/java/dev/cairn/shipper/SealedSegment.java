package dev.cairn.shipper;

import dev.cairn.core.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
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
 * two directory slots (kept on the heap) and binary-searches one bucket of about
 * {@value #TARGET_BUCKET} entries (512 bytes, usually one page) of the memory-mapped file. Two
 * trace IDs agreeing on those b + 32 bits of their key collide; the index may then return a block
 * that does not hold the trace, which its contract allows.
 *
 * <p>Written once (temp file, fsync, atomic rename, fsync of the directory), verified completely
 * (both CRCs, lengths, directory order) when opened, then only read. Any thread may call
 * {@link #find}: it uses absolute reads of a read-only mapping and immutable arrays.
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
  private final MappedByteBuffer map; // null when the segment has no entries
  private final int entriesAt;
  private final long fileBytes;

  private SealedSegment(Path path, long firstSeq, long lastSeq, int bucketBits, int count,
      int[] directory, MappedByteBuffer map, long fileBytes) {
    this.path = path;
    this.firstSeq = firstSeq;
    this.lastSeq = lastSeq;
    this.bucketBits = bucketBits;
    this.count = count;
    this.directory = directory;
    this.map = map;
    this.entriesAt = HEADER + directory.length * 4;
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

  /** Adds to {@code out}, ascending, this segment's sequence numbers of the key that are ≥ {@code fromSeq}. */
  void find(long key, long fromSeq, LongList out) {
    if (count == 0 || lastSeq < fromSeq) {
      return;
    }
    int b = bucket(key, bucketBits);
    int lo = directory[b];
    int end = directory[b + 1];
    int target = suffix(key, bucketBits);
    int hi = end;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (map.getInt(entriesAt + mid * 8) < target) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    for (int i = lo; i < end; i++) {
      long entry = map.getLong(entriesAt + i * 8);
      if ((int) (entry >>> 32) != target) {
        break;
      }
      long seq = firstSeq + (entry & 0xFFFFFFFFL);
      if (seq >= fromSeq) {
        out.add(seq);
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
    long[] range = parseName(file.getFileName().toString());
    if (range == null) {
      throw new FormatException("not an index segment file name");
    }
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
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
      MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
      CRC32C body = new CRC32C();
      body.update(map.slice(HEADER, (int) size - HEADER));
      if ((int) body.getValue() != h.getInt(40)) {
        throw new FormatException("CRC mismatch in directory or entries");
      }
      int[] directory = new int[buckets + 1];
      map.slice(HEADER, directory.length * 4).asIntBuffer().get(directory);
      if (directory[0] != 0 || directory[buckets] != count) {
        throw new FormatException("directory does not span the entries");
      }
      for (int k = 0; k < buckets; k++) {
        if (directory[k + 1] < directory[k]) {
          throw new FormatException("directory not ascending at bucket " + k);
        }
      }
      return new SealedSegment(file, first, last, bits, count, directory, count == 0 ? null : map, size);
    }
  }

  @Override
  public String toString() {
    return "SealedSegment{" + path.getFileName() + ", " + count + " entries}";
  }
}
