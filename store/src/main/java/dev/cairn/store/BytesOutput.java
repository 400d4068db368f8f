package dev.cairn.store;

import java.util.Arrays;
import org.apache.lucene.store.DataOutput;

/**
 * A growable byte array to encode small values into: Lucene's {@code ByteBuffersDataOutput} starts
 * every output with a 1 KiB block and copies itself into larger blocks as it grows, which for a
 * 100-byte summary or a 200 KiB log record is most of the work.
 */
final class BytesOutput extends DataOutput {
  private byte[] bytes;
  private int size;

  BytesOutput(int expected) {
    bytes = new byte[Math.max(16, expected)];
  }

  @Override
  public void writeByte(byte b) {
    if (size == bytes.length) {
      bytes = Arrays.copyOf(bytes, bytes.length * 2);
    }
    bytes[size++] = b;
  }

  @Override
  public void writeBytes(byte[] b, int offset, int length) {
    if (size + length > bytes.length) {
      bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + length));
    }
    System.arraycopy(b, offset, bytes, size, length);
    size += length;
  }

  /** What was written, in an array of its own length. */
  byte[] toArray() {
    return bytes.length == size ? bytes : Arrays.copyOf(bytes, size);
  }
}
