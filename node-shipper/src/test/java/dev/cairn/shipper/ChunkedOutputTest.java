package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChunkedOutputTest {
  private final PooledByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;

  @Test
  void randomWritesAcrossChunkBoundaries_produceTheSameBytesAsOneBuffer() {
    Random random = new Random(3);
    ChunkedOutput out = new ChunkedOutput();
    for (int round = 0; round < 3; round++) {
      ByteBuffer model = ByteBuffer.allocate(8 << 20);
      out.begin(alloc);
      out.writeInt(0);
      model.putInt(0);
      out.writeLong(0);
      model.putLong(0);
      while (model.position() < 3_000_000) {
        switch (random.nextInt(6)) {
          case 0 -> {
            int v = random.nextInt();
            out.writeByte(v);
            model.put((byte) v);
          }
          case 1 -> {
            int v = random.nextInt();
            out.writeShort(v);
            model.putShort((short) v);
          }
          case 2 -> {
            int v = random.nextInt();
            out.writeInt(v);
            model.putInt(v);
          }
          case 3 -> {
            long v = random.nextLong();
            out.writeLong(v);
            model.putLong(v);
          }
          case 4 -> {
            byte[] b = new byte[random.nextInt(200_000)];
            random.nextBytes(b);
            int from = b.length == 0 ? 0 : random.nextInt(b.length);
            out.writeBytes(b, from, b.length - from);
            model.put(b, from, b.length - from);
          }
          default -> {
            byte[] b = new byte[random.nextInt(100_000) + 10];
            random.nextBytes(b);
            ByteBuffer src = ByteBuffer.wrap(b, 5, b.length - 5);
            out.writeBytes(src);
            assertEquals(5, src.position(), "position kept");
            assertEquals(b.length, src.limit(), "limit kept");
            model.put(b, 5, b.length - 5);
          }
        }
        assertEquals(model.position(), out.position());
      }
      out.setInt(0, 0xCAFEBABE);
      model.putInt(0, 0xCAFEBABE);
      out.setLong(4, 0x0123456789ABCDEFL);
      model.putLong(4, 0x0123456789ABCDEFL);
      ByteBuf frame = out.finish();
      try {
        assertTrue(frame.nioBufferCount() > 1, "several chunks");
        assertArrayEquals(java.util.Arrays.copyOf(model.array(), model.position()), ByteBufUtil.getBytes(frame));
      } finally {
        frame.release();
      }
    }
  }

  @Test
  void release_givesTheChunksBack_andTheOutputCanBeginAgain() {
    ChunkedOutput out = new ChunkedOutput();
    out.begin(alloc);
    out.writeBytes(new byte[100_000], 0, 100_000);
    assertThrows(IllegalStateException.class, () -> out.begin(alloc), "an unfinished frame is not silently dropped");
    out.release();
    out.begin(alloc);
    out.writeLong(7);
    ByteBuf b = out.finish();
    assertEquals(8, b.readableBytes());
    assertEquals(1, b.refCnt());
    b.release();
  }

  @Test
  void setBeyondWhatWasWritten_isRefused() {
    ChunkedOutput out = new ChunkedOutput();
    out.begin(alloc);
    out.writeInt(1);
    assertThrows(IndexOutOfBoundsException.class, () -> out.setInt(2, 5));
    out.release();
  }
}
