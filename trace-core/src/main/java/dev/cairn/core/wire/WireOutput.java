package dev.cairn.core.wire;

import java.nio.ByteBuffer;

/**
 * Where {@link Wire} and {@link EntryFrameWriter} write frames: big-endian, growing as needed.
 * Positions count from where the output started. A server implements it over its own buffers
 * (node-shipper writes straight into a pooled Netty buffer); {@link Wire#encode} uses a heap array.
 */
public interface WireOutput {
  /** Bytes written so far. */
  int position();

  void writeByte(int v);

  void writeShort(int v);

  void writeInt(int v);

  void writeLong(long v);

  void writeBytes(byte[] src, int offset, int length);

  /** Writes {@code src}'s remaining bytes without changing its position. */
  void writeBytes(ByteBuffer src);

  /** Overwrites 4 bytes at {@code position} (a placeholder written earlier). */
  void setInt(int position, int v);

  /** Overwrites 8 bytes at {@code position} (a placeholder written earlier). */
  void setLong(int position, long v);
}
