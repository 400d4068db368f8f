package dev.cairn.ui;

import static java.util.Objects.requireNonNull;

import dev.cairn.store.SpanReader;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Cairn's query server: the Jaeger query API ({@code /api/…}), Cairn's own API
 * ({@code /api/cairn/…}), the web pages ({@code /static/…}, and the page for every other path),
 * {@code /health} and {@code /metrics}, over HTTP on one port (default 127.0.0.1:16686, Jaeger's).
 * Reads a {@link SpanReader} and never writes. Queries run on a small pool of query threads, off
 * the network threads; when every thread is busy and the queue is full, requests get a 503 at once.
 * The API is documented in docs/api.md.
 *
 * <pre>{@code
 * try (QueryServer server = QueryServer.builder(store.reader())
 *     .bind(new InetSocketAddress("127.0.0.1", 16686))   // port 0: any free port
 *     .status(statusSource)                              // optional
 *     .start()) {
 *   System.out.println("http://" + server.address().getHostString() + ":" + server.address().getPort());
 * }
 * }</pre>
 */
public final class QueryServer implements Closeable {
  private static final Logger LOG = LogManager.getLogger(QueryServer.class);

  private final EventLoopGroup acceptGroup;
  private final EventLoopGroup ioGroup;
  private final ThreadPoolExecutor queries;
  private final Channel channel;
  private volatile boolean closed;

  private QueryServer(EventLoopGroup acceptGroup, EventLoopGroup ioGroup, ThreadPoolExecutor queries,
      Channel channel) {
    this.acceptGroup = acceptGroup;
    this.ioGroup = ioGroup;
    this.queries = queries;
    this.channel = channel;
  }

  /** A builder for a server reading {@code reader}. */
  public static Builder builder(SpanReader reader) {
    return new Builder(reader);
  }

  /** The address the server listens on, with the actual port when port 0 was asked for. */
  public InetSocketAddress address() {
    return (InetSocketAddress) channel.localAddress();
  }

  /**
   * Stops accepting, closes the connections, and waits up to a few seconds for queries in progress.
   * Idempotent. Does not close the span reader: its owner does.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    queries.shutdown();
    try {
      if (!queries.awaitTermination(5, TimeUnit.SECONDS)) {
        queries.shutdownNow();
      }
      acceptGroup.terminationFuture().await(3, TimeUnit.SECONDS);
      ioGroup.terminationFuture().await(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.info("query server on {} stopped", channel.localAddress());
  }

  /**
   * Options of a {@link QueryServer}. Defaults: 127.0.0.1:16686, no status source, 4 query threads
   * with a queue of 64, at most 1,000 results per search and 31 days per time range.
   */
  public static final class Builder {
    private final SpanReader reader;
    private InetSocketAddress bind = new InetSocketAddress("127.0.0.1", 16686);
    private StatusSource status = StatusSource.none();
    private int queryThreads = 4;
    private int queueSize = 64;
    private int maxResults = Limits.DEFAULT.maxResults();
    private Duration maxTimeRange = Duration.ofNanos(Limits.DEFAULT.maxRangeMicros() * 1000);

    Builder(SpanReader reader) {
      this.reader = requireNonNull(reader, "reader");
    }

    /** Where to listen; port 0 picks a free port (see {@link QueryServer#address()}). */
    public Builder bind(InetSocketAddress address) {
      this.bind = requireNonNull(address, "address");
      return this;
    }

    /** What {@code /api/cairn/status} and {@code /health} report. */
    public Builder status(StatusSource status) {
      this.status = requireNonNull(status, "status");
      return this;
    }

    /** Threads running store queries (default 4). */
    public Builder queryThreads(int n) {
      this.queryThreads = n;
      return this;
    }

    /** Requests that may wait for a query thread before new ones get a 503 (default 64). */
    public Builder queueSize(int n) {
      this.queueSize = n;
      return this;
    }

    /** The most traces or summaries one search or lookup returns (default 1,000). */
    public Builder maxResults(int n) {
      this.maxResults = n;
      return this;
    }

    /** The widest time range one request may cover (default 31 days). */
    public Builder maxTimeRange(Duration range) {
      this.maxTimeRange = requireNonNull(range, "range");
      return this;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException when the address cannot be bound (in use, not local); the message names it
     * @throws IllegalArgumentException naming the option when a value is out of range
     */
    public QueryServer start() throws IOException {
      if (queryThreads < 1 || queryThreads > 256) {
        throw new IllegalArgumentException("queryThreads must be in [1, 256]: " + queryThreads);
      }
      if (queueSize < 0 || queueSize > 100_000) {
        throw new IllegalArgumentException("queueSize must be in [0, 100000]: " + queueSize);
      }
      if (maxResults < 1 || maxResults > dev.cairn.store.TraceQuery.MAX_LIMIT) {
        throw new IllegalArgumentException("maxResults must be in [1, " + dev.cairn.store.TraceQuery.MAX_LIMIT
            + "]: " + maxResults);
      }
      if (maxTimeRange.isNegative() || maxTimeRange.toMillis() < 60_000) {
        throw new IllegalArgumentException("maxTimeRange must be at least a minute: " + maxTimeRange);
      }
      Limits limits = new Limits(maxResults, maxTimeRange.toNanos() / 1000);
      UiMetrics metrics = new UiMetrics();
      Router router = new Router(new JaegerApi(reader, limits), new CairnApi(reader, limits, status),
          new StaticFiles(QueryServer.class.getClassLoader()), status, metrics);
      ThreadPoolExecutor queries = new ThreadPoolExecutor(queryThreads, queryThreads, 0, TimeUnit.MILLISECONDS,
          queueSize == 0 ? new java.util.concurrent.SynchronousQueue<>() : new ArrayBlockingQueue<>(queueSize),
          new DefaultThreadFactory("cairn-ui-query", true));
      EventLoopGroup accept = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cairn-ui-accept", true),
          NioIoHandler.newFactory());
      EventLoopGroup io = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("cairn-ui-io", true),
          NioIoHandler.newFactory());
      ServerBootstrap bootstrap = new ServerBootstrap()
          .group(accept, io)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 128)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new HttpInitializer(new HttpHandler(router, queries, metrics)));
      ChannelFuture bound = bootstrap.bind(bind).awaitUninterruptibly();
      if (!bound.isSuccess()) {
        accept.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        queries.shutdownNow();
        throw new IOException("query server cannot listen on " + bind.getHostString() + ":" + bind.getPort()
            + ": " + bound.cause().getMessage(), bound.cause());
      }
      QueryServer server = new QueryServer(accept, io, queries, bound.channel());
      LOG.info("query server listening on http://{}:{}", server.address().getHostString(),
          server.address().getPort());
      return server;
    }
  }
}
