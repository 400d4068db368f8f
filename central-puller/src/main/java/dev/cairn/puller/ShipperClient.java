package dev.cairn.puller;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.wire.MessageType;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The puller's connection to one shipper over the pull protocol (docs/protocol.md): connects
 * (optionally TLS, verifying the certificate and host name against a PEM CA), authenticates both
 * ways (the shipper must prove it knows the shared secret too), then sends PULL, FETCH and STATUS
 * and completes their futures in the order the shipper answers. Requests may be pipelined; at most
 * 16 are on the wire at once, more wait in the client.
 *
 * <p>Futures complete on the connection's event loop: do not block in stages chained to them (use
 * the {@code *Async} variants for slow work). Failures are {@link ShipperException}s: an ERROR from
 * the shipper (with its code), a protocol error, a lost connection (every pending request fails at
 * once), a timeout. A failed connection stays failed: make a new client.
 *
 * <p>Answers own their bytes: each {@link Entry}'s block is a heap copy taken while the frame was
 * decoded, and the frame is released right after, so callers keep entries as long as they like and
 * release nothing.
 *
 * <pre>{@code
 * ShipperClient c = ShipperClient.builder("edge-1.internal", 7390, secret).clientName("puller-1")
 *     .tls(Path.of("/etc/cairn/ca.pem")).connect().get();
 * try {
 *   Batch b = c.pull(cursor, 8 << 20, 10_000).get();
 *   for (Entry e : b.entries()) store(e.toBlock());
 *   cursor = b.nextCursor();
 * } finally { c.close(); }
 * }</pre>
 */
final class ShipperClient implements Closeable {
  /** A journal entry: the block exactly as the application wrote it, and where it came from. */
  record Entry(long seq, UUID fileId, long offset, byte[] block) {
    /** The block with its CRCs checked, ready for {@code BlockDecoder}. */
    Block toBlock() throws FormatException {
      return Block.wrap(offset, block);
    }
  }

  /**
   * PULL's answer.
   *
   * @param nextCursor the cursor of the next PULL
   * @param firstSeq the oldest seq the journal held (entries below it that were wanted are lost)
   * @param lastSeq the newest seq in the journal (0 = never anything)
   * @param entries ascending and contiguous
   */
  record Batch(long nextCursor, long firstSeq, long lastSeq, List<Entry> entries) {
    /** Blocks deleted by retention before they were pulled from {@code cursor} (docs/protocol.md, gaps). */
    long lostSince(long cursor) {
      return Math.max(0, firstSeq - Math.max(cursor, 1));
    }
  }

  /** FETCH's answer: {@code resumeSeq} 0 when complete, else FETCH again from it. */
  record Fetched(long resumeSeq, List<Entry> entries) {}

  private final Channel channel;
  private final ShipperClientHandler handler;
  private final ShipperClientHandler.Session session;
  private final EventLoopGroup ownGroup;
  private final int maxBytes;
  private final String peer;

  private ShipperClient(Channel channel, ShipperClientHandler handler, ShipperClientHandler.Session session,
      EventLoopGroup ownGroup, int maxBytes, String peer) {
    this.channel = channel;
    this.handler = handler;
    this.session = session;
    this.ownGroup = ownGroup;
    this.maxBytes = maxBytes;
    this.peer = peer;
  }

  static Builder builder(String host, int port, byte[] secret) {
    return new Builder(host, port, secret);
  }

  /** The shipper's name, from HELLO (authenticated: it is inside both proofs). */
  String shipperName() {
    return session.hello().shipperName();
  }

  /** The shipper's host name, from HELLO. */
  String shipperHost() {
    return session.hello().host();
  }

  int protocolVersion() {
    return session.authOk().version();
  }

  /** The shipper's cap on PULL's and FETCH's maxBytes. */
  int maxBatchBytes() {
    return session.authOk().maxBatchBytes();
  }

  /** The shipper's cap on PULL's maxWaitMillis. */
  int maxWaitMillis() {
    return session.authOk().maxWaitMillis();
  }

  boolean isOpen() {
    return channel.isActive();
  }

  /**
   * Entries from {@code cursor} (0 or 1: the oldest). {@code maxBytes} 0 or above the client's
   * maximum ({@link Builder#maxBytes}) means that maximum; the first entry comes even if larger.
   * {@code maxWaitMillis} &gt; 0 long-polls when caught up.
   */
  CompletableFuture<Batch> pull(long cursor, int maxBytes, int maxWaitMillis) {
    Pull p = new Pull(cursor, cap(maxBytes), maxWaitMillis);
    return request(p, MessageType.BATCH, m -> {
      WireMessage.Batch b = (WireMessage.Batch) m;
      return new Batch(b.nextCursor(), b.firstSeq(), b.lastSeq(), entries(b.entries()));
    });
  }

  /** Every retained block with {@code seq >= fromSeq} holding records of these traces (1 to 4096). */
  CompletableFuture<Fetched> fetch(Collection<TraceId> traceIds, long fromSeq, int maxBytes) {
    Fetch f;
    try {
      f = new Fetch(fromSeq, cap(maxBytes), List.copyOf(traceIds));
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return request(f, MessageType.FETCH_RESULT, m -> {
      FetchResult r = (FetchResult) m;
      return new Fetched(r.resumeSeq(), entries(r.entries()));
    });
  }

  /** The shipper's key/value status (docs/protocol.md lists the keys), in its order. */
  CompletableFuture<Map<String, String>> status() {
    return request(new Status(), MessageType.STATUS_RESULT, m -> ((StatusResult) m).fields());
  }

  private int cap(int requested) {
    return requested <= 0 || requested > maxBytes ? maxBytes : requested;
  }

  private static List<Entry> entries(List<BlockEntry> wire) {
    List<Entry> out = new ArrayList<>(wire.size());
    for (BlockEntry e : wire) {
      // ClientWireCodec copied every block into an array of its own.
      ByteBuffer b = e.block();
      out.add(new Entry(e.seq(), e.fileId(), e.offset(), b.array()));
    }
    return List.copyOf(out);
  }

  private <T> CompletableFuture<T> request(WireMessage m, MessageType answer, Function<WireMessage, T> map) {
    CompletableFuture<WireMessage> f = new CompletableFuture<>();
    try {
      channel.eventLoop().execute(() -> handler.send(m, answer, f));
    } catch (RejectedExecutionException e) {
      f.completeExceptionally(new ShipperException("the client of the shipper at " + peer + " is closed", e));
    }
    return f.thenApply(map);
  }

  /**
   * Closes the connection, failing pending requests, and stops the client's own event loop if it
   * has one. Bounded: waits at most about 5 seconds (not at all on an event loop thread).
   */
  @Override
  public void close() {
    boolean mayWait = !channel.eventLoop().inEventLoop();
    try {
      channel.eventLoop().execute(handler::closing);
    } catch (RejectedExecutionException ignored) {
      // the loop is already shut down, and the channel with it
    }
    ChannelFuture closed = channel.close();
    if (mayWait) {
      closed.awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    if (ownGroup != null) {
      var down = ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      if (mayWait) {
        down.awaitUninterruptibly(3, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public String toString() {
    return "ShipperClient[" + peer + ", shipper " + shipperName() + "]";
  }

  /** How to reach and authenticate with one shipper. */
  static final class Builder {
    private final String host;
    private final int port;
    private final byte[] secret;
    private String clientName = "cairn-puller";
    private Path trustedCaPem;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration handshakeTimeout = Duration.ofSeconds(10);
    private int maxBytes = 8 << 20;
    private EventLoopGroup group;

    private Builder(String host, int port, byte[] secret) {
      this.host = requireNonNull(host, "host");
      this.port = port;
      this.secret = requireNonNull(secret, "secret").clone();
    }

    /** Shown in the shipper's logs; at most 256 UTF-8 bytes. */
    Builder clientName(String name) {
      this.clientName = requireNonNull(name, "clientName");
      return this;
    }

    /** TLS, trusting the CA certificate(s) in this PEM file; the host name is verified too. */
    Builder tls(Path caCertPem) {
      this.trustedCaPem = requireNonNull(caCertPem, "tls");
      return this;
    }

    Builder connectTimeout(Duration d) {
      this.connectTimeout = requireNonNull(d, "connectTimeout");
      return this;
    }

    /** From the TCP connection to AUTH_OK, TLS included. */
    Builder handshakeTimeout(Duration d) {
      this.handshakeTimeout = requireNonNull(d, "handshakeTimeout");
      return this;
    }

    /**
     * The most bytes of entries one answer may hold (64 KiB … 256 MiB, default 8 MiB): requests ask
     * for at most this, and the frame decoder accepts {@code Wire.maxResponseFrame(maxBytes)}.
     */
    Builder maxBytes(int maxBytes) {
      this.maxBytes = maxBytes;
      return this;
    }

    /** An event loop group shared with other clients (not shut down by {@link #close()}); default: one of its own. */
    Builder eventLoopGroup(EventLoopGroup group) {
      this.group = requireNonNull(group, "eventLoopGroup");
      return this;
    }

    /**
     * Connects and authenticates. The future fails with a {@link ShipperException} when the shipper
     * cannot be reached, refuses this puller, or cannot prove it knows the secret.
     */
    CompletableFuture<ShipperClient> connect() {
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be 1 to 65535: " + port);
      }
      if (secret.length < 16) {
        throw new IllegalArgumentException("secret must be at least 16 bytes: " + secret.length);
      }
      if (clientName.getBytes(StandardCharsets.UTF_8).length > Wire.MAX_NAME_BYTES) {
        throw new IllegalArgumentException("clientName is longer than " + Wire.MAX_NAME_BYTES + " UTF-8 bytes");
      }
      if (maxBytes < (64 << 10) || maxBytes > (256 << 20)) {
        throw new IllegalArgumentException("maxBytes must be 64 KiB to 256 MiB: " + maxBytes);
      }
      String peer = host + ":" + port;
      SslContext ssl = null;
      if (trustedCaPem != null) {
        try {
          ssl = SslContextBuilder.forClient().trustManager(trustedCaPem.toFile())
              .endpointIdentificationAlgorithm("HTTPS").build();
        } catch (Exception e) {
          return CompletableFuture.failedFuture(new ShipperException(
              "TLS: cannot load the trusted CA certificate " + trustedCaPem + " (PEM): " + e.getMessage(), e));
        }
      }
      EventLoopGroup own = group == null
          ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cairn-puller-" + peer, true),
              NioIoHandler.newFactory())
          : null;
      ShipperClientHandler handler = new ShipperClientHandler(secret, clientName, peer, handshakeTimeout.toMillis());
      Bootstrap b = new Bootstrap()
          .group(own != null ? own : group)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
          .option(ChannelOption.TCP_NODELAY, true)
          .option(ChannelOption.SO_KEEPALIVE, true)
          .handler(new ShipperClientInitializer(ssl, host, port, Wire.maxResponseFrame(maxBytes), handler));
      CompletableFuture<ShipperClient> result = new CompletableFuture<>();
      int limit = maxBytes;
      b.connect(host, port).addListener((ChannelFuture f) -> {
        if (!f.isSuccess()) {
          result.completeExceptionally(new ShipperException("cannot connect to the shipper at " + peer + ": "
              + f.cause().getMessage(), f.cause()));
          shutdown(own);
          return;
        }
        handler.handshake().whenComplete((session, error) -> {
          if (error == null) {
            result.complete(new ShipperClient(f.channel(), handler, session, own, limit, peer));
          } else {
            f.channel().close();
            result.completeExceptionally(error);
            shutdown(own);
          }
        });
      });
      return result;
    }

    private static void shutdown(EventLoopGroup own) {
      if (own != null) {
        own.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      }
    }
  }
}
