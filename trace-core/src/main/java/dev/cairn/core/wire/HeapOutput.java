package dev.cairn.core.wire;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A {@link WireOutput} over a growing heap array. */
final class HeapOutput implements WireOutput {
  private byte[] buf;
  private int pos;

  HeapOutput(int initialCapacity) {
    buf = new byte[Math.max(16, initialCapacity)];
  }

  private void ensure(int n) {
    if (buf.length - pos < n) {
      long wanted = Math.max((long) buf.length * 2, (long) pos + n);
      if (wanted > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("frame larger than 2 GiB");
      }
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }

  @Override
  public int position() {
    return pos;
  }

  @Override
  public void writeByte(int v) {
    ensure(1);
    buf[pos++] = (byte) v;
  }

  @Override
  public void writeShort(int v) {
    ensure(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
  }

  @Override
  public void writeInt(int v) {
    ensure(4);
    setInt(pos, v);
    pos += 4;
  }

  @Override
  public void writeLong(long v) {
    ensure(8);
    setLong(pos, v);
    pos += 8;
  }

  @Override
  public void writeBytes(byte[] src, int offset, int length) {
    ensure(length);
    System.arraycopy(src, offset, buf, pos, length);
    pos += length;
  }

  @Override
  public void writeBytes(ByteBuffer src) {
    int n = src.remaining();
    ensure(n);
    src.duplicate().get(buf, pos, n);
    pos += n;
  }

  @Override
  public void setInt(int at, int v) {
    buf[at] = (byte) (v >>> 24);
    buf[at + 1] = (byte) (v >>> 16);
    buf[at + 2] = (byte) (v >>> 8);
    buf[at + 3] = (byte) v;
  }

  @Override
  public void setLong(int at, long v) {
    setInt(at, (int) (v >>> 32));
    setInt(at + 4, (int) v);
  }

  ByteBuffer toByteBuffer() {
    return ByteBuffer.wrap(buf, 0, pos);
  }
}
