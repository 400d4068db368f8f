package dev.cairn.ui;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.compression.StandardCompressionOptions;
import io.netty.handler.codec.http.HttpContentCompressor;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The query server's pipeline: HTTP framing with bounded lines and headers, gzip for clients that
 * accept it, whole requests of at most {@link #MAX_REQUEST_BYTES} (every route is a GET: a larger
 * body is refused with 413), then the handler.
 */
final class HttpInitializer extends ChannelInitializer<SocketChannel> {
  static final int MAX_REQUEST_BYTES = 8 * 1024;
  /** Long enough for a search URL with a JSON {@code tags} filter. */
  static final int MAX_INITIAL_LINE = 16 * 1024;
  static final int MAX_HEADERS = 16 * 1024;
  static final int IDLE_SECONDS = 120;

  private final HttpHandler handler;

  HttpInitializer(HttpHandler handler) {
    this.handler = handler;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    p.addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS));
    p.addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADERS, 8192));
    // answers smaller than a kilobyte are not worth compressing
    p.addLast("gzip", new HttpContentCompressor(1024,
        StandardCompressionOptions.gzip(), StandardCompressionOptions.deflate()));
    p.addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST_BYTES));
    p.addLast("handler", handler);
  }
}
