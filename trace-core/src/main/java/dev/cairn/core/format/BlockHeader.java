package dev.cairn.core.format;

import java.util.zip.CRC32C;

/**
 * The fixed header in front of every block. Layout (big-endian), version 1:
 *
 * <pre>
 *  0  4  magic "CRNB"
 *  4  1  format version
 *  5  1  flags: bits 0-3 codec (0 stored, 1 LZ4 block)
 *  6  2  header length (44 in version 1)
 *  8  4  payload length (bytes after the header)
 * 12  4  uncompressed payload length
 * 16  4  record count
 * 20  8  earliest timestamp, µs since the epoch
 * 28  8  latest timestamp, µs since the epoch
 * 36  4  CRC32C of the payload
 * 40  4  CRC32C of header bytes [0, 40)
 * </pre>
 *
 * Bytes 0-11 and "the header CRC is the header's last 4 bytes" hold in every version, so a reader
 * can verify and skip a block of a newer version it cannot decode.
 */
public record BlockHeader(
    int version,
    int codec,
    int headerLength,
    int payloadLength,
    int uncompressedLength,
    int recordCount,
    long minMicros,
    long maxMicros,
    int payloadCrc) {

  public static final int MAGIC = 0x43524E42;
  public static final int VERSION = 1;
  public static final int LENGTH = 44;
  public static final int CODEC_STORED = 0;
  public static final int CODEC_LZ4 = 1;
  /** Largest payload a reader accepts; anything larger is treated as corruption. */
  public static final int MAX_PAYLOAD = 16 << 20;
  static final int MAX_HEADER = 4096;

  /** Total bytes of the block, header included. */
  public int blockLength() {
    return headerLength + payloadLength;
  }

  void writeTo(byte[] b, int at) {
    ByteWriter.putInt(b, at, MAGIC);
    b[at + 4] = (byte) version;
    b[at + 5] = (byte) codec;
    b[at + 6] = (byte) (headerLength >>> 8);
    b[at + 7] = (byte) headerLength;
    ByteWriter.putInt(b, at + 8, payloadLength);
    ByteWriter.putInt(b, at + 12, uncompressedLength);
    ByteWriter.putInt(b, at + 16, recordCount);
    ByteWriter.putLong(b, at + 20, minMicros);
    ByteWriter.putLong(b, at + 28, maxMicros);
    ByteWriter.putInt(b, at + 36, payloadCrc);
    ByteWriter.putInt(b, at + 40, crc(b, at, 40));
  }

  /** Reads a version-1 header whose bytes were already checked by {@link #probe}. */
  static BlockHeader read(byte[] b, int at) {
    return new BlockHeader(
        b[at + 4] & 0xFF,
        b[at + 5] & 0x0F,
        ((b[at + 6] & 0xFF) << 8) | (b[at + 7] & 0xFF),
        ByteReader.getInt(b, at + 8),
        ByteReader.getInt(b, at + 12),
        ByteReader.getInt(b, at + 16),
        ByteReader.getLong(b, at + 20),
        ByteReader.getLong(b, at + 28),
        ByteReader.getInt(b, at + 36));
  }

  static int crc(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }

  /** Outcome of looking for a block header at a position. */
  enum Probe {
    /** A valid header of a version this reader decodes; its whole block length is known. */
    VALID,
    /** A valid header of a newer version: skip the block, report it. */
    NEWER_VERSION,
    /** Not enough bytes yet to decide. */
    NEED_MORE,
    /** Not a valid header. */
    INVALID
  }

  /** Checks the header at {@code at} among {@code avail} bytes: magic, lengths, header CRC. */
  static Probe probe(byte[] b, int at, int avail) {
    int prefix = Math.min(avail, 4);
    for (int i = 0; i < prefix; i++) {
      if (b[at + i] != (byte) (MAGIC >>> (24 - 8 * i))) {
        return Probe.INVALID;
      }
    }
    if (avail < 12) {
      return Probe.NEED_MORE;
    }
    int version = b[at + 4] & 0xFF;
    int headerLength = ((b[at + 6] & 0xFF) << 8) | (b[at + 7] & 0xFF);
    int payloadLength = ByteReader.getInt(b, at + 8);
    if (version == 0 || headerLength < 16 || headerLength > MAX_HEADER
        || (version == VERSION && headerLength != LENGTH)
        || payloadLength < 0 || payloadLength > MAX_PAYLOAD) {
      return Probe.INVALID;
    }
    if (avail < headerLength) {
      return Probe.NEED_MORE;
    }
    if (crc(b, at, headerLength - 4) != ByteReader.getInt(b, at + headerLength - 4)) {
      return Probe.INVALID;
    }
    if (version > VERSION) {
      return Probe.NEWER_VERSION;
    }
    int uncompressed = ByteReader.getInt(b, at + 12);
    int records = ByteReader.getInt(b, at + 16);
    int codec = b[at + 5] & 0x0F;
    if (uncompressed < 0 || uncompressed > MAX_PAYLOAD || records < 0 || records > uncompressed
        || codec > CODEC_LZ4 || (codec == CODEC_STORED && uncompressed != payloadLength)) {
      return Probe.INVALID;
    }
    return Probe.VALID;
  }

  /** The block length announced by a header that {@link #probe} accepted. */
  static int blockLength(byte[] b, int at) {
    return (((b[at + 6] & 0xFF) << 8) | (b[at + 7] & 0xFF)) + ByteReader.getInt(b, at + 8);
  }
}
