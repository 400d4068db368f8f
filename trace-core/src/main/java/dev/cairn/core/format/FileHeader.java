package dev.cairn.core.format;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.ProcessInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * The header at the start of every span file: a random file ID that names the file for its whole
 * life (renames and rotation do not change it) and the process that wrote it. Layout in
 * {@code docs/format.md}.
 *
 * <pre>{@code
 * byte[] bytes = new FileHeader(UUID.randomUUID(), nowMicros, process).encode();
 * FileHeader back = FileHeader.decode(bytes, 0, bytes.length);
 * }</pre>
 */
public record FileHeader(UUID fileId, long createdMicros, ProcessInfo process) {
  /** "CAIRN-SF": Cairn span file. */
  public static final long MAGIC = 0x434149524E2D5346L;
  public static final int VERSION = 1;
  /** Offset of the 16-byte file ID: stable across versions, so a tailer can identify a file early. */
  public static final int FILE_ID_OFFSET = 12;
  /** Bytes needed to read the header length (magic, version, flags, length). */
  public static final int PREFIX_LENGTH = 12;
  public static final int MAX_LENGTH = 65_535;

  public FileHeader {
    requireNonNull(fileId, "fileId");
    requireNonNull(process, "process");
  }

  public byte[] encode() {
    ByteWriter w = new ByteWriter(256);
    w.i64(MAGIC);
    w.u8(VERSION);
    w.u8(0);
    int lengthAt = w.position();
    w.u16(0);
    w.i64(fileId.getMostSignificantBits());
    w.i64(fileId.getLeastSignificantBits());
    w.i64(createdMicros);
    string(w, process.service());
    string(w, process.host());
    string(w, process.instance());
    w.varint(process.pid());
    w.i64(process.startMicros());
    w.varint(process.tags().size());
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(process.tags()).entrySet()) {
      string(w, e.getKey());
      string(w, e.getValue());
    }
    int total = w.position() + 4;
    if (total > MAX_LENGTH) {
      throw new IllegalArgumentException("file header of " + total + " bytes exceeds " + MAX_LENGTH
          + ": too many or too long process tags");
    }
    byte[] b = w.array();
    b[lengthAt] = (byte) (total >>> 8);
    b[lengthAt + 1] = (byte) total;
    CRC32C crc = new CRC32C();
    crc.update(b, 0, w.position());
    w.i32((int) crc.getValue());
    return java.util.Arrays.copyOf(b, total);
  }

  private static void string(ByteWriter w, String s) {
    int lenAt = w.position();
    w.u16(0);
    int n = w.utf8(s, 4096);
    w.array()[lenAt] = (byte) (n >>> 8);
    w.array()[lenAt + 1] = (byte) n;
  }

  /**
   * The total header length announced by the first {@link #PREFIX_LENGTH} bytes.
   *
   * @throws FormatException when the bytes are not a Cairn span file or come from a newer version
   */
  public static int length(byte[] b, int off) throws FormatException {
    if (ByteReader.getLong(b, off) != MAGIC) {
      throw new FormatException("not a Cairn span file (bad magic at offset 0)");
    }
    int version = b[off + 8] & 0xFF;
    if (version > VERSION) {
      throw new FormatException("span file format version " + version
          + " is newer than this reader supports (" + VERSION + "); upgrade Cairn to read it");
    }
    int len = ((b[off + 10] & 0xFF) << 8) | (b[off + 11] & 0xFF);
    if (len < PREFIX_LENGTH + 16 + 8 + 4) {
      throw new FormatException("file header length " + len + " is too small");
    }
    return len;
  }

  /** Decodes a header whose first {@code len} bytes are at {@code off}; checks its CRC32C. */
  public static FileHeader decode(byte[] b, int off, int len) throws FormatException {
    int expected = length(b, off);
    if (len < expected) {
      throw new FormatException("file header truncated: " + len + " of " + expected + " bytes");
    }
    CRC32C crc = new CRC32C();
    crc.update(b, off, expected - 4);
    if ((int) crc.getValue() != ByteReader.getInt(b, off + expected - 4)) {
      throw new FormatException("file header CRC mismatch: the header is corrupt");
    }
    ByteReader r = new ByteReader(b, off + PREFIX_LENGTH, expected - PREFIX_LENGTH - 4);
    UUID id = new UUID(r.i64(), r.i64());
    long created = r.i64();
    String service = string(r);
    String host = string(r);
    String instance = string(r);
    long pid = r.varint();
    long start = r.i64();
    int tagCount = r.count(4096, "process tag count");
    Map<String, String> tags = new LinkedHashMap<>();
    for (int i = 0; i < tagCount; i++) {
      tags.put(string(r), string(r));
    }
    return new FileHeader(id, created, new ProcessInfo(service, host, instance, pid, start, tags));
  }

  private static String string(ByteReader r) throws FormatException {
    return r.utf8(r.u16());
  }
}
