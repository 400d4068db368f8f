package dev.cairn.puller;

import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.MessageType;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireException;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Hello;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One connection's protocol state, on its event loop only: the handshake (HELLO, AUTH, AUTH_OK with
 * the server's proof checked), then requests answered in the order they were sent. At most
 * {@link #MAX_IN_FLIGHT} requests are on the wire at once (the shipper allows 16 waiting behind the
 * one in service); more wait here and go out as answers come back.
 *
 * <p>Whatever ends the connection (an ERROR that closes it, a protocol error, a lost connection, a
 * timeout, {@link ShipperClient#close()}) fails the handshake and every pending request with one
 * {@link ShipperException} saying why.
 */
final class ShipperClientHandler extends SimpleChannelInboundHandler<WireMessage> {
  private static final Logger LOG = LogManager.getLogger(ShipperClientHandler.class);
  static final int MAX_IN_FLIGHT = 16;

  /** The handshake's outcome: what HELLO announced and what AUTH_OK confirmed. */
  record Session(Hello hello, AuthOk authOk) {}

  private record Pending(WireMessage request, MessageType answer, CompletableFuture<WireMessage> future) {}

  private enum State { HELLO, AUTH_OK, READY, CLOSED }

  private final byte[] secret;
  private final String clientName;
  private final String peer;
  private final long handshakeTimeoutMillis;
  private final CompletableFuture<Session> handshake = new CompletableFuture<>();
  private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private ChannelHandlerContext ctx;
  private State state = State.HELLO;
  private Hello hello;
  private byte[] nonce;
  private int version;
  private ShipperException closedBecause;

  ShipperClientHandler(byte[] secret, String clientName, String peer, long handshakeTimeoutMillis) {
    this.secret = secret;
    this.clientName = clientName;
    this.peer = peer;
    this.handshakeTimeoutMillis = handshakeTimeoutMillis;
  }

  CompletableFuture<Session> handshake() {
    return handshake;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // Covers TLS, HELLO and AUTH_OK: a peer that accepts and says nothing cannot hold a puller.
    ctx.executor().schedule(() -> {
      if (!handshake.isDone()) {
        fail(new ShipperException("no handshake with the shipper at " + peer + " within "
            + handshakeTimeoutMillis + " ms (state " + state + "): is it a Cairn shipper, is TLS set alike on both sides?",
            -1, false));
      }
    }, handshakeTimeoutMillis, TimeUnit.MILLISECONDS);
    ctx.fireChannelActive();
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, WireMessage m) {
    switch (state) {
      case HELLO -> {
        if (m instanceof Hello h) {
          onHello(h);
        } else {
          handshakeAnswer(m, "HELLO");
        }
      }
      case AUTH_OK -> {
        if (m instanceof AuthOk ok) {
          onAuthOk(ok);
        } else {
          handshakeAnswer(m, "AUTH_OK");
        }
      }
      case READY -> onAnswer(m);
      case CLOSED -> { } // already failed; the channel is closing
    }
  }

  private void onHello(Hello h) {
    try {
      version = Wire.chooseVersion(h.minVersion(), h.maxVersion());
    } catch (WireException e) {
      protocolError(e.code(), "shipper " + h.shipperName() + " at " + peer + ": " + e.getMessage());
      return;
    }
    hello = h;
    nonce = WireAuth.newNonce();
    byte[] proof = WireAuth.clientProof(secret, h.challenge(), nonce, version, clientName, h.shipperName());
    state = State.AUTH_OK;
    ctx.writeAndFlush(new Auth(version, nonce, clientName, proof)).addListener(writeFailure("AUTH"));
  }

  private void onAuthOk(AuthOk ok) {
    byte[] expected = WireAuth.serverProof(secret, hello.challenge(), nonce, version, clientName, hello.shipperName());
    if (!WireAuth.matches(expected, ok.serverProof())) {
      protocolError(ErrorCode.AUTH_FAILED, "the peer at " + peer + " calling itself shipper '" + hello.shipperName()
          + "' did not prove it knows the shared secret (AUTH_OK's server proof does not match): refused;"
          + " it is not that shipper, or its secret differs from this puller's");
      return;
    }
    if (ok.version() != version) {
      protocolError(ErrorCode.UNSUPPORTED_VERSION, "shipper " + hello.shipperName() + " at " + peer
          + " confirmed protocol version " + ok.version() + " where " + version + " was chosen");
      return;
    }
    state = State.READY;
    LOG.debug("authenticated with shipper {} ({}) at {}, protocol {}", hello.shipperName(), hello.host(), peer, version);
    handshake.complete(new Session(hello, ok));
  }

  private void handshakeAnswer(WireMessage m, String expected) {
    if (m instanceof ErrorMessage e) {
      fail(fromShipper(e, "during the handshake"));
    } else {
      protocolError(ErrorCode.UNEXPECTED_MESSAGE, "the shipper at " + peer + " sent " + m.type()
          + " where " + expected + " was expected");
    }
  }

  private void onAnswer(WireMessage m) {
    if (m instanceof ErrorMessage e) {
      if (e.code() < 100) {
        fail(fromShipper(e, "and closed the connection"));
        return;
      }
      Pending p = inFlight.poll();
      if (p == null) {
        protocolError(ErrorCode.UNEXPECTED_MESSAGE, "the shipper at " + peer + " sent ERROR " + e.code()
            + " with no request pending: " + e.message());
        return;
      }
      p.future.completeExceptionally(fromShipper(e, "answering " + p.request.type()));
      sendWaiting();
      return;
    }
    Pending p = inFlight.peek();
    if (p == null || p.answer != m.type()) {
      protocolError(ErrorCode.UNEXPECTED_MESSAGE, "the shipper at " + peer + " sent " + m.type() + " while "
          + (p == null ? "no request was pending" : p.answer + " was expected"));
      return;
    }
    inFlight.poll();
    p.future.complete(m);
    sendWaiting();
  }

  /** On the event loop: sends a request, or queues it behind {@link #MAX_IN_FLIGHT} others. */
  void send(WireMessage request, MessageType answer, CompletableFuture<WireMessage> future) {
    Pending p = new Pending(request, answer, future);
    if (state == State.CLOSED) {
      future.completeExceptionally(closedBecause);
    } else if (state != State.READY) {
      future.completeExceptionally(new IllegalStateException("not authenticated yet"));
    } else if (inFlight.size() < MAX_IN_FLIGHT) {
      write(p);
    } else {
      waiting.add(p);
    }
  }

  private void sendWaiting() {
    while (state == State.READY && inFlight.size() < MAX_IN_FLIGHT && !waiting.isEmpty()) {
      write(waiting.poll());
    }
  }

  private void write(Pending p) {
    inFlight.add(p);
    ctx.writeAndFlush(p.request).addListener(writeFailure(p.request.type().toString()));
  }

  private ChannelFutureListener writeFailure(String what) {
    return f -> {
      if (!f.isSuccess()) {
        fail(new ShipperException("cannot send " + what + " to the shipper at " + peer + ": " + f.cause(), f.cause()));
      }
    };
  }

  /** On the event loop: this client is closing the connection. */
  void closing() {
    fail(new ShipperException("the connection to the shipper at " + peer + " was closed by this client", -1, false));
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof SslHandshakeCompletionEvent e && !e.isSuccess()) {
      fail(new ShipperException("TLS handshake with the shipper at " + peer + " failed: " + e.cause().getMessage(), e.cause()));
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    int pending = inFlight.size() + waiting.size();
    fail(new ShipperException("the connection to the shipper at " + peer + " was lost"
        + (handshake.isDone() ? "" : " during the handshake")
        + (pending > 0 ? " with " + pending + " request(s) pending" : ""), -1, false));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongFrameException) {
      protocolError(ErrorCode.FRAME_TOO_LARGE, "the shipper at " + peer + " sent a frame larger than this client's maximum: "
          + cause.getMessage());
    } else if (cause instanceof DecoderException && cause.getCause() instanceof WireException w) {
      protocolError(w.code(), "the shipper at " + peer + " sent a bad frame: " + w.getMessage());
    } else if (state != State.CLOSED) {
      LOG.warn("connection to the shipper at {}: {}", peer, cause.toString());
      fail(new ShipperException("connection to the shipper at " + peer + " failed: " + cause.getMessage(), cause));
    }
  }

  /** Tells the shipper why (an ERROR, best effort), then closes and fails everything. */
  private void protocolError(ErrorCode code, String message) {
    if (state == State.CLOSED) {
      return;
    }
    LOG.warn("{} ({}); closing the connection", message, code);
    ctx.writeAndFlush(ErrorMessage.of(code, message));
    fail(new ShipperException(message, code.code(), false));
  }

  private ShipperException fromShipper(ErrorMessage e, String when) {
    String name = e.errorCode().map(Enum::name).orElse("code " + e.code());
    String hint = e.code() == ErrorCode.AUTH_FAILED.code()
        ? "; check that this puller and the shipper have the same shared secret" : "";
    return new ShipperException("the shipper at " + peer + " answered " + name + " " + when + ": "
        + e.message() + hint, e.code(), true);
  }

  private void fail(ShipperException why) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    closedBecause = why;
    handshake.completeExceptionally(why);
    for (Pending p : inFlight) {
      p.future.completeExceptionally(why);
    }
    for (Pending p : waiting) {
      p.future.completeExceptionally(why);
    }
    inFlight.clear();
    waiting.clear();
    ctx.close();
  }
}
