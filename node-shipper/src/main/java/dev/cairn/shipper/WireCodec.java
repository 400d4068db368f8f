package dev.cairn.shipper;

import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Frames (type and body, the length already stripped by the frame decoder) to {@link WireMessage}s
 * and back, with trace-core's codec. A frame that does not decode fails with the codec's
 * {@link dev.cairn.core.wire.WireException} (wrapped by Netty), which the handler answers with an
 * ERROR and a close. Batches composed straight into buffers by the server pass through unchanged.
 */
@Sharable
final class WireCodec extends MessageToMessageCodec<ByteBuf, WireMessage> {
  static final WireCodec INSTANCE = new WireCodec();

  private WireCodec() {}

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) throws Exception {
    // Requests are small and hold no reference to the frame once decoded, so a view is enough.
    ByteBuffer view = frame.nioBufferCount() == 1
        ? frame.nioBuffer()
        : ByteBuffer.wrap(ByteBufUtil.getBytes(frame));
    out.add(Wire.decode(view));
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, WireMessage message, List<Object> out) {
    out.add(io.netty.buffer.Unpooled.wrappedBuffer(Wire.encode(message)));
  }
}
