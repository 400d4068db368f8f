package dev.cairn.puller;

import dev.cairn.core.wire.Wire;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;

/**
 * The pipeline of one connection to a shipper: TLS when configured (verifying the certificate and
 * the host name), framing (at most {@code Wire.maxResponseFrame(maxBytes)}, refused as soon as a
 * larger length is read), the wire codec, then the connection's {@link ShipperClientHandler}.
 * One initializer per connection: it carries that connection's handler.
 */
final class ShipperClientInitializer extends ChannelInitializer<SocketChannel> {
  private final SslContext ssl;
  private final String host;
  private final int port;
  private final int maxFrameLength;
  private final ShipperClientHandler handler;

  ShipperClientInitializer(SslContext ssl, String host, int port, int maxFrameLength, ShipperClientHandler handler) {
    this.ssl = ssl;
    this.host = host;
    this.port = port;
    this.maxFrameLength = maxFrameLength;
    this.handler = handler;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      // The peer's host name is given for SNI and for the host name check (endpoint identification).
      p.addLast("tls", ssl.newHandler(ch.alloc(), host, port));
    }
    // Netty's maximum counts the length field itself; the protocol's counts type and body.
    p.addLast("frames", new LengthFieldBasedFrameDecoder(
        maxFrameLength + Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, 0,
        Wire.LENGTH_FIELD_BYTES, true));
    p.addLast("codec", ClientWireCodec.INSTANCE);
    p.addLast("client", handler);
  }
}
