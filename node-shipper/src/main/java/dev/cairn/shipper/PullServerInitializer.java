package dev.cairn.shipper;

import dev.cairn.core.wire.Wire;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The pull server's pipeline, per connection: TLS when configured, then framing
 * ({@code u32 length} prefix, at most the configured frame length, failing fast so an oversize
 * frame is refused as soon as its length is read), then the wire codec, an idle detector (a
 * connection silent beyond the idle timeout with nothing pending is closed), then the connection's
 * {@link PullHandler}.
 */
final class PullServerInitializer extends ChannelInitializer<SocketChannel> {
  private final PullServer server;
  private final SslContext ssl;

  PullServerInitializer(PullServer server, SslContext ssl) {
    this.server = server;
    this.ssl = ssl;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    if (ssl != null) {
      p.addLast("tls", ssl.newHandler(ch.alloc()));
    }
    // Netty's maximum counts the length field itself; the protocol's counts type and body.
    p.addLast("frames", new LengthFieldBasedFrameDecoder(
        server.maxFrameLength() + Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, 0,
        Wire.LENGTH_FIELD_BYTES, true));
    p.addLast("codec", WireCodec.INSTANCE);
    p.addLast("idle", new IdleStateHandler(server.idleTimeoutMillis(), 0, 0, TimeUnit.MILLISECONDS));
    p.addLast("pull", new PullHandler(server));
  }
}
