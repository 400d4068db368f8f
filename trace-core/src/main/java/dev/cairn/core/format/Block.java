package dev.cairn.core.format;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One verified block (header and payload CRCs checked) as it lies in a file: the unit journaled,
 * shipped and pulled. The bytes are a view into the reader's buffer, valid until the reader's next
 * call; {@link #copy()} keeps them.
 */
public final class Block {
  private final long offset;
  private final BlockHeader header;
  private final byte[] array;
  private final int arrayOffset;

  Block(long offset, BlockHeader header, byte[] array, int arrayOffset) {
    this.offset = offset;
    this.header = header;
    this.array = array;
    this.arrayOffset = arrayOffset;
  }

  /** Wraps whole-block bytes (header and payload) that came from elsewhere, e.g. a journal. */
  public static Block wrap(long offset, byte[] bytes) throws FormatException {
    BlockHeader.Probe p = BlockHeader.probe(bytes, 0, bytes.length);
    if (p == BlockHeader.Probe.NEWER_VERSION) {
      throw new FormatException("block format version " + (bytes[4] & 0xFF)
          + " is newer than this reader supports (" + BlockHeader.VERSION + "); upgrade Cairn");
    }
    if (p != BlockHeader.Probe.VALID || BlockHeader.blockLength(bytes, 0) != bytes.length) {
      throw new FormatException("not a valid block (" + bytes.length + " bytes)");
    }
    BlockHeader h = BlockHeader.read(bytes, 0);
    if (BlockHeader.crc(bytes, h.headerLength(), h.payloadLength()) != h.payloadCrc()) {
      throw new FormatException("block payload CRC mismatch");
    }
    return new Block(offset, h, bytes, 0);
  }

  public long offset() {
    return offset;
  }

  public BlockHeader header() {
    return header;
  }

  public int length() {
    return header.blockLength();
  }

  /** The whole block, header included, as a read-only buffer over the shared bytes. */
  public ByteBuffer bytes() {
    return ByteBuffer.wrap(array, arrayOffset, length()).slice().asReadOnlyBuffer();
  }

  byte[] array() {
    return array;
  }

  int arrayOffset() {
    return arrayOffset;
  }

  /** A block that owns a copy of its bytes. */
  public Block copy() {
    return new Block(offset, header, Arrays.copyOfRange(array, arrayOffset, arrayOffset + length()), 0);
  }

  @Override
  public String toString() {
    return "Block{offset=" + offset + ", records=" + header.recordCount() + ", bytes=" + length() + "}";
  }
}
