package dev.cairn.shipper;

import dev.cairn.core.wire.WireOutput;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link WireOutput} over pooled Netty buffers of bounded size: a batch of many megabytes is
 * written into a chain of chunks, never into one huge buffer that would be allocated outside the
 * pool or copied each time it grows. The chunks go out as one composite buffer (a gathering write).
 * Reused by one thread: {@link #begin} starts a frame, {@link #finish} or {@link #release} ends it.
 */
final class ChunkedOutput implements WireOutput {
  private static final int FIRST_CHUNK = 32 * 1024;
  private static final int CHUNK = 1024 * 1024;

  private final List<ByteBuf> chunks = new ArrayList<>();
  private ByteBufAllocator alloc;
  private ByteBuf current;
  private int position;

  void begin(ByteBufAllocator alloc) {
    if (!chunks.isEmpty()) {
      throw new IllegalStateException("previous frame neither finished nor released");
    }
    this.alloc = alloc;
    this.position = 0;
    this.current = null;
  }

  /** The frame's bytes; ownership passes to the caller (who writes them to a channel). */
  ByteBuf finish() {
    ByteBuf out;
    if (chunks.size() == 1) {
      out = chunks.get(0);
    } else {
      CompositeByteBuf c = alloc.compositeDirectBuffer(chunks.size());
      c.addComponents(true, chunks);
      out = c;
    }
    chunks.clear();
    current = null;
    return out;
  }

  /** Gives the chunks back to the pool (the frame will not be sent). */
  void release() {
    for (ByteBuf b : chunks) {
      b.release();
    }
    chunks.clear();
    current = null;
  }

  private ByteBuf room(int wanted) {
    if (current == null || !current.isWritable()) {
      int size = chunks.isEmpty() ? FIRST_CHUNK : CHUNK;
      current = alloc.directBuffer(Math.max(size, Math.min(wanted, CHUNK)));
      chunks.add(current);
    }
    return current;
  }

  @Override
  public int position() {
    return position;
  }

  @Override
  public void writeByte(int v) {
    room(1).writeByte(v);
    position++;
  }

  @Override
  public void writeShort(int v) {
    if (current != null && current.writableBytes() >= 2) {
      current.writeShort(v);
      position += 2;
    } else {
      writeByte(v >>> 8);
      writeByte(v);
    }
  }

  @Override
  public void writeInt(int v) {
    if (current != null && current.writableBytes() >= 4) {
      current.writeInt(v);
      position += 4;
    } else {
      writeShort(v >>> 16);
      writeShort(v);
    }
  }

  @Override
  public void writeLong(long v) {
    if (current != null && current.writableBytes() >= 8) {
      current.writeLong(v);
      position += 8;
    } else {
      writeInt((int) (v >>> 32));
      writeInt((int) v);
    }
  }

  @Override
  public void writeBytes(byte[] src, int offset, int length) {
    while (length > 0) {
      ByteBuf b = room(length);
      int n = Math.min(length, b.writableBytes());
      b.writeBytes(src, offset, n);
      offset += n;
      length -= n;
      position += n;
    }
  }

  @Override
  public void writeBytes(ByteBuffer src) {
    // Narrows src's limit chunk by chunk and restores it: no duplicate buffer per block.
    int pos = src.position();
    int lim = src.limit();
    try {
      while (src.position() < lim) {
        ByteBuf b = room(lim - src.position());
        int n = Math.min(lim - src.position(), b.writableBytes());
        src.limit(src.position() + n);
        b.writeBytes(src);
        src.limit(lim);
        position += n;
      }
    } finally {
      src.limit(lim);
      src.position(pos);
    }
  }

  @Override
  public void setInt(int at, int v) {
    for (int i = 0; i < 4; i++) {
      setByte(at + i, v >>> (24 - 8 * i));
    }
  }

  @Override
  public void setLong(int at, long v) {
    setInt(at, (int) (v >>> 32));
    setInt(at + 4, (int) v);
  }

  private void setByte(int at, int v) {
    // Placeholders sit at the frame's start, in the first chunk: the loop ends at once.
    for (ByteBuf b : chunks) {
      if (at < b.writerIndex()) {
        b.setByte(at, v);
        return;
      }
      at -= b.writerIndex();
    }
    throw new IndexOutOfBoundsException("position " + at + " not written yet");
  }
}
