package dev.cairn.shipper;

import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireException;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.SocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One puller connection: sends HELLO, accepts nothing but AUTH until the proof checks, then serves
 * PULL, FETCH and STATUS one at a time in arrival order. Anything the protocol does not allow
 * (oversize or malformed frame, unknown type, wrong message) is answered with an ERROR and the
 * connection is closed; other connections are not affected. State is touched only on the
 * connection's event loop, except {@link #respond} which any thread may call.
 */
final class PullHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LogManager.getLogger(PullHandler.class);
  /** Requests a client may send ahead of their answers. */
  static final int MAX_PIPELINED = 16;

  private final PullServer server;
  private final ArrayDeque<WireMessage> pending = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private byte[] challenge;
  private ScheduledFuture<?> authTimeout;
  private boolean authenticated;
  private int version;
  private String clientName;
  private boolean busy;
  private boolean failing;
  private PullServer.LongPoll parked;
  /** The next cursor of the last BATCH sent on this connection (0 before any): where its puller is. */
  private volatile long nextCursor;

  PullHandler(PullServer server) {
    this.server = server;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    server.opened(ctx.channel());
    if (server.openConnections() > server.maxConnections()) {
      fail(ErrorCode.TOO_MANY_CONNECTIONS, "this shipper serves at most " + server.maxConnections()
          + " connections; try again later", server.metrics().connectionsRefused);
      return;
    }
    challenge = WireAuth.newNonce();
    ctx.writeAndFlush(new Hello(Wire.MIN_VERSION, Wire.VERSION, server.maxFrameLength(), challenge,
        server.shipperName(), server.hostName()));
    authTimeout = ctx.executor().schedule(this::authTimedOut, server.authTimeoutMillis(), TimeUnit.MILLISECONDS);
    LOG.debug("pull client {} connected", remote());
    ctx.fireChannelActive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && authenticated && !busy && parked == null
        && pending.isEmpty()) {
      LOG.info("pull client {} sent nothing for {} ms: closing the connection", who(),
          server.idleTimeoutMillis());
      server.metrics().idleClosed.increment();
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (authTimeout != null) {
      authTimeout.cancel(false);
    }
    server.cancel(parked);
    parked = null;
    pending.clear();
    LOG.debug("pull client {} disconnected", who());
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (failing) {
      return;
    }
    WireMessage m = (WireMessage) msg;
    if (!authenticated) {
      if (m instanceof Auth a) {
        authenticate(a);
      } else {
        fail(ErrorCode.AUTH_REQUIRED, m.type() + " before AUTH: authenticate first", server.metrics().authFailures);
      }
    } else if (m instanceof Pull || m instanceof Fetch || m instanceof Status) {
      if (pending.size() >= MAX_PIPELINED) {
        fail(ErrorCode.TOO_MANY_REQUESTS, "more than " + MAX_PIPELINED + " requests waiting for answers",
            server.metrics().protocolErrors);
      } else {
        pending.add(m);
        serveNext();
      }
    } else {
      fail(ErrorCode.UNEXPECTED_MESSAGE, m.type() + " is not a request a puller may send here",
          server.metrics().protocolErrors);
    }
  }

  private void authenticate(Auth a) {
    authTimeout.cancel(false);
    if (!Wire.supports(a.version())) {
      fail(ErrorCode.UNSUPPORTED_VERSION, "protocol version " + a.version() + " is not spoken here ("
          + Wire.MIN_VERSION + " to " + Wire.VERSION + ")", server.metrics().protocolErrors);
      return;
    }
    clientName = printable(a.clientName());
    byte[] expected = WireAuth.clientProof(server.secret(), challenge, a.clientNonce(), a.version(),
        a.clientName(), server.shipperName());
    if (!WireAuth.matches(expected, a.proof())) {
      fail(ErrorCode.AUTH_FAILED, "authentication failed: the proof does not match this shipper's secret",
          server.metrics().authFailures);
      return;
    }
    authenticated = true;
    version = a.version();
    LOG.info("pull client {} authenticated as '{}' (protocol {})", remote(), clientName, version);
    ctx.writeAndFlush(new AuthOk(version, server.maxBatchBytes(), server.maxWaitMillis(),
        WireAuth.serverProof(server.secret(), challenge, a.clientNonce(), version, a.clientName(),
            server.shipperName())));
  }

  private void authTimedOut() {
    if (!authenticated && !failing && ctx.channel().isActive()) {
      fail(ErrorCode.AUTH_TIMEOUT, "no AUTH within " + server.authTimeoutMillis() + " ms",
          server.metrics().authFailures);
    }
  }

  private void serveNext() {
    if (busy || failing || pending.isEmpty()) {
      return;
    }
    busy = true;
    WireMessage m = pending.poll();
    ShipperMetrics metrics = server.metrics();
    if (m instanceof Pull p) {
      metrics.pullRequests.increment();
      server.pull(this, p.cursor(), p.maxBytes(), p.maxWaitMillis());
    } else if (m instanceof Fetch f) {
      metrics.fetchRequests.increment();
      server.fetch(this, f);
    } else {
      metrics.statusRequests.increment();
      server.status(this);
    }
  }

  /** Sends the answer to the request in service (a frame buffer or a message); any thread. */
  void respond(Object response) {
    ctx.writeAndFlush(response).addListener((ChannelFutureListener) this::responseWritten);
  }

  private void responseWritten(ChannelFuture f) {
    busy = false;
    if (!f.isSuccess()) {
      if (!(f.cause() instanceof java.nio.channels.ClosedChannelException)) {
        LOG.debug("pull client {}: answer not sent: {}", who(), f.cause().toString());
      }
      ctx.close();
      return;
    }
    serveNext();
  }

  /** On the event loop: the PULL in service is parked (forgotten if the connection closes). */
  void parked(PullServer.LongPoll p) {
    parked = p;
  }

  EventExecutor executor() {
    return ctx.executor();
  }

  ByteBufAllocator alloc() {
    return ctx.alloc();
  }

  int version() {
    return version;
  }

  /** Any thread: a BATCH ending before {@code cursor} was composed for this connection. */
  void served(long cursor) {
    nextCursor = cursor;
  }

  /** Where this connection's puller is: the next cursor of its last BATCH, 0 before any. */
  long nextCursor() {
    return nextCursor;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    if (c instanceof TooLongFrameException) {
      fail(ErrorCode.FRAME_TOO_LARGE, "frame larger than the maximum of " + server.maxFrameLength() + " bytes",
          server.metrics().protocolErrors);
    } else if (c instanceof WireException w) {
      fail(w.code(), w.getMessage(), server.metrics().protocolErrors);
    } else if (cause instanceof NotSslRecordException) {
      LOG.info("pull client {}: not a TLS record (a plain TCP client on the TLS port?); closing the connection", who());
      ctx.close();
    } else if (c instanceof SSLException) {
      LOG.info("pull client {}: TLS failed: {}; closing the connection", who(), c.getMessage());
      ctx.close();
    } else if (c instanceof IOException) {
      LOG.debug("pull client {}: {}", who(), c.toString());
      ctx.close();
    } else {
      LOG.warn("pull client {}: unexpected error; closing the connection", who(), c);
      ctx.close();
    }
  }

  /** Answers a protocol violation with ERROR, counts it once, and closes this connection. */
  private void fail(ErrorCode code, String message, LongAdder counter) {
    if (failing) {
      return;
    }
    failing = true;
    pending.clear();
    counter.increment();
    ctx.channel().config().setAutoRead(false);
    LOG.warn("pull client {}: {} ({}); closing the connection", who(), message, code);
    ctx.writeAndFlush(ErrorMessage.of(code, message)).addListener(ChannelFutureListener.CLOSE);
  }

  /** For logs: the address, and the name the client gave in AUTH (not trusted before the proof checks). */
  String who() {
    if (clientName == null) {
      return remote();
    }
    return (authenticated ? "'" : "claiming '") + clientName + "' at " + remote();
  }

  private String remote() {
    SocketAddress a = ctx == null ? null : ctx.channel().remoteAddress();
    return a == null ? "?" : a.toString();
  }

  private static String printable(String s) {
    return s.replaceAll("\\p{Cntrl}", "?");
  }
}
