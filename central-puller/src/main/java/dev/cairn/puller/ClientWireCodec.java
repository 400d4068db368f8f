package dev.cairn.puller;

import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.FetchResult;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Frames (type and body; the frame decoder stripped the length) to {@link WireMessage}s and back,
 * with trace-core's codec. Entries of BATCH and FETCH_RESULT get their blocks copied into heap
 * arrays of their own, so nothing decoded refers to the frame, which is released as soon as this
 * returns: answers handed to callers own their bytes and nothing can leak. The copy is one memcpy
 * per block, small next to receiving it. A frame that does not decode fails with the codec's
 * {@link dev.cairn.core.wire.WireException} (wrapped by Netty in a DecoderException).
 */
@Sharable
final class ClientWireCodec extends MessageToMessageCodec<ByteBuf, WireMessage> {
  static final ClientWireCodec INSTANCE = new ClientWireCodec();

  private ClientWireCodec() {}

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws Exception {
    ByteBuffer view = frame.nioBufferCount() == 1
        ? frame.nioBuffer()
        : ByteBuffer.wrap(ByteBufUtil.getBytes(frame));
    WireMessage m = Wire.decode(view);
    if (m instanceof Batch b) {
      m = new Batch(b.nextCursor(), b.firstSeq(), b.lastSeq(), copy(b.entries()));
    } else if (m instanceof FetchResult f) {
      m = new FetchResult(f.resumeSeq(), copy(f.entries()));
    }
    out.add(m);
  }

  private static List<BlockEntry> copy(List<BlockEntry> entries) {
    List<BlockEntry> copies = new ArrayList<>(entries.size());
    for (BlockEntry e : entries) {
      byte[] bytes = new byte[e.block().remaining()];
      e.block().duplicate().get(bytes);
      copies.add(new BlockEntry(e.seq(), e.fileId(), e.offset(), ByteBuffer.wrap(bytes)));
    }
    return copies;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, WireMessage message, List<Object> out) {
    out.add(Unpooled.wrappedBuffer(Wire.encode(message)));
  }
}
