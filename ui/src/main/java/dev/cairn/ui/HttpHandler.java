package dev.cairn.ui;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Hands each request to the query threads (a store query must never run on the event loop) and
 * writes the answer back. Requests of one connection are answered one after the other, in order,
 * as HTTP/1.1 requires of pipelined requests. When the query threads and their queue are full,
 * the answer is an immediate 503.
 */
@Sharable
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger LOG = LogManager.getLogger(HttpHandler.class);
  /** The answer of the connection's latest request: the next one is written after it. */
  private static final AttributeKey<CompletableFuture<Void>> LAST = AttributeKey.valueOf("cairn.ui.last");

  /**
   * Pages get a policy that runs only the server's own scripts: even if a page put span text into
   * HTML by mistake, an injected script or event handler would not run.
   */
  static final String PAGE_POLICY = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
      + " img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  private final Router router;
  private final ExecutorService queries;
  private final UiMetrics metrics;

  HttpHandler(Router router, ExecutorService queries, UiMetrics metrics) {
    this.router = router;
    this.queries = queries;
    this.metrics = metrics;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    long started = System.nanoTime();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    HttpMethod method = request.method();
    String uri = request.uri();
    boolean api = uri.startsWith("/api/");
    if (!request.decoderResult().isSuccess()) {
      answer(ctx, new Router.Routed("bad_request", Response.text(400, "malformed HTTP request\n")), false, false,
          started);
      return;
    }
    if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.HEAD)) {
      String msg = "method " + method + " not allowed: this server answers GET and HEAD only";
      answer(ctx, new Router.Routed("method_not_allowed",
          api ? Response.error(405, msg) : Response.text(405, msg + "\n")), keepAlive, false, started);
      return;
    }
    boolean head = method.equals(HttpMethod.HEAD);
    CompletableFuture<Void> previous = ctx.channel().attr(LAST).get();
    CompletableFuture<Void> done = new CompletableFuture<>();
    ctx.channel().attr(LAST).set(done);
    Runnable run = () -> {
      metrics.inFlight.increment();
      try {
        Router.Routed r = router.route(uri);
        answer(ctx, r, keepAlive, head, started).addListener(f -> done.complete(null));
      } catch (RuntimeException e) {
        LOG.error("answering {} failed", uri, e);
        ctx.close();
        done.complete(null);
      } finally {
        metrics.inFlight.decrement();
      }
    };
    Runnable submit = () -> {
      try {
        queries.execute(run);
      } catch (RejectedExecutionException e) {
        metrics.rejected.increment();
        String msg = "the server is busy: every query thread is taken and the queue is full; retry shortly";
        answer(ctx, new Router.Routed("busy", api ? Response.error(503, msg) : Response.text(503, msg + "\n")),
            keepAlive, head, started).addListener(f -> done.complete(null));
      }
    };
    if (previous != null && !previous.isDone()) {
      previous.thenRun(submit);
    } else if (uri.equals("/metrics") || uri.startsWith("/metrics?")) {
      // counters only, no store: answered here, so that a saturated server can still be watched
      run.run();
    } else {
      submit.run();
    }
  }

  private io.netty.channel.ChannelFuture answer(ChannelHandlerContext ctx, Router.Routed routed, boolean keepAlive,
      boolean head, long started) {
    Response r = routed.response();
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(r.status()), head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
    var h = response.headers();
    h.set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    h.set("X-Content-Type-Options", "nosniff");
    h.set(HttpHeaderNames.CACHE_CONTROL, routed.route().equals("static") ? "no-cache" : "no-store");
    if (r.contentType().startsWith("text/html")) {
      h.set("Content-Security-Policy", PAGE_POLICY);
      h.set("Referrer-Policy", "no-referrer");
    }
    if (r.status() == 405) {
      h.set(HttpHeaderNames.ALLOW, "GET, HEAD");
    }
    if (keepAlive) {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    } else {
      h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    io.netty.channel.ChannelFuture f = ctx.writeAndFlush(response);
    f.addListener(x -> metrics.request(routed.route(), r.status(), System.nanoTime() - started));
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    return f;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      ctx.close(); // an idle keep-alive connection holds a descriptor for nothing
    } else {
      super.userEventTriggered(ctx, evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    LOG.debug("HTTP connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
