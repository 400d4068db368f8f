package dev.cairn.shipper;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.wire.EntryFrameWriter;
import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Serves the journal to central pullers over the pull protocol (docs/protocol.md): HELLO and an
 * HMAC handshake, then PULL (long-polled when the puller is caught up), FETCH by trace ID and
 * STATUS. Optional TLS from PEM files. The shipper never connects out; pullers connect here.
 *
 * <p>Threads: Netty's event loops do framing, the handshake and bookkeeping; journal and index
 * reads run on a small pool ({@code readerThreads}), each thread with its own
 * {@link Journal.Reader}. A batch is composed straight from the journal into pooled buffers and
 * written with one gathering write. Each connection has at most one request in service; further
 * requests wait in order (at most {@link PullHandler#MAX_PIPELINED}), and the next is served only
 * once the previous answer left, so a slow puller holds at most one batch of memory.
 *
 * <pre>{@code
 * PullServer server = PullServer.builder(journal, index, secret, metrics)
 *     .listen("0.0.0.0", 7464).shipperName("edge-1").tls(certPem, keyPem).build();
 * server.start();
 * try { ... } finally { server.close(); }
 * }</pre>
 */
final class PullServer implements Closeable {
  private static final Logger LOG = LogManager.getLogger(PullServer.class);
  /** Shortest shared secret accepted: shorter ones could be guessed from one captured handshake. */
  static final int MIN_SECRET_BYTES = 16;

  private final Journal journal;
  private final TraceIndex index;
  private final byte[] secret;
  private final ShipperMetrics metrics;
  private final String listenHost;
  private final int listenPort;
  private final Path certPem;
  private final Path keyPem;
  private final int maxFrameLength;
  private final int maxBatchBytes;
  private final int maxWaitMillis;
  private final int authTimeoutMillis;
  private final int maxConnections;
  private final long idleTimeoutMillis;
  private final int readerThreads;
  private final int ioThreads;
  private final String shipperName;
  private final String hostName;
  private final Supplier<Map<String, String>> statusFields;

  private final Set<LongPoll> parked = ConcurrentHashMap.newKeySet();
  private final AtomicLong lastSeqServed = new AtomicLong();
  private final ChannelGroup channels = new DefaultChannelGroup("cairn-pull", GlobalEventExecutor.INSTANCE);
  private final Set<Journal.Reader> readers = ConcurrentHashMap.newKeySet();
  private final JournalLedger ledger;
  private final ThreadLocal<Worker> worker = ThreadLocal.withInitial(Worker::new);
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean closed;
  private EventLoopGroup acceptGroup;
  private EventLoopGroup ioGroup;
  private ExecutorService readPool;
  private Channel serverChannel;
  private Instant startedAt;

  private PullServer(Builder b) {
    this.journal = b.journal;
    this.ledger = new JournalLedger(b.journal);
    this.index = b.index;
    this.secret = b.secret.clone();
    this.metrics = b.metrics;
    this.listenHost = b.host;
    this.listenPort = b.port;
    this.certPem = b.certPem;
    this.keyPem = b.keyPem;
    this.maxFrameLength = b.maxFrameLength;
    this.maxBatchBytes = b.maxBatchBytes;
    this.maxWaitMillis = b.maxWaitMillis;
    this.authTimeoutMillis = b.authTimeoutMillis;
    this.maxConnections = b.maxConnections;
    // A puller long-polls for at most maxWait; silence well beyond it means the puller is gone.
    this.idleTimeoutMillis = b.idleTimeoutMillis > 0 ? b.idleTimeoutMillis
        : Math.max(300_000L, 2L * b.maxWaitMillis);
    this.readerThreads = b.readerThreads;
    this.ioThreads = b.ioThreads;
    this.shipperName = b.shipperName;
    this.hostName = b.hostName;
    this.statusFields = b.statusFields;
  }

  /**
   * @param secret the shared secret pullers prove they know; at least {@value #MIN_SECRET_BYTES} bytes
   */
  static Builder builder(Journal journal, TraceIndex index, byte[] secret, ShipperMetrics metrics) {
    return new Builder(journal, index, secret, metrics);
  }

  /**
   * Binds the listen address and starts serving.
   *
   * @throws IOException when the address cannot be bound or the TLS files cannot be loaded; the
   *     message names the address or file
   */
  PullServer start() throws IOException {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    SslContext ssl = certPem == null ? null : sslContext();
    acceptGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("cairn-pull-accept", true),
        NioIoHandler.newFactory());
    ioGroup = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("cairn-pull-io", true),
        NioIoHandler.newFactory());
    readPool = Executors.newFixedThreadPool(readerThreads, readerThreadFactory());
    ServerBootstrap bootstrap = new ServerBootstrap()
        .group(acceptGroup, ioGroup)
        .channel(NioServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 128)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childHandler(new PullServerInitializer(this, ssl));
    ChannelFuture bind = bootstrap.bind(listenHost, listenPort).awaitUninterruptibly();
    if (!bind.isSuccess()) {
      shutdownThreads();
      throw new IOException("pull server cannot listen on " + listenHost + ":" + listenPort + ": "
          + bind.cause().getMessage(), bind.cause());
    }
    serverChannel = bind.channel();
    channels.add(serverChannel);
    startedAt = Instant.now();
    journal.onAppend(this::appended);
    LOG.info("pull server '{}' listening on {} ({}), max frame {} bytes, max batch {} bytes, max wait {} ms",
        shipperName, address(), ssl == null ? "plain TCP" : "TLS with " + certPem, maxFrameLength,
        maxBatchBytes, maxWaitMillis);
    return this;
  }

  private SslContext sslContext() throws IOException {
    try {
      return SslContextBuilder.forServer(certPem.toFile(), keyPem.toFile()).build();
    } catch (IOException | RuntimeException e) {
      throw new IOException("pull server TLS: cannot load certificate " + certPem + " and key " + keyPem
          + " (PEM, key in PKCS#8): " + e.getMessage(), e);
    }
  }

  private ThreadFactory readerThreadFactory() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(() -> {
        try {
          r.run();
        } finally {
          worker.get().close();
        }
      }, "cairn-pull-read-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The bound address; with port 0 requested, the port the system chose. */
  InetSocketAddress address() {
    return (InetSocketAddress) serverChannel.localAddress();
  }

  int port() {
    return address().getPort();
  }

  /** The highest sequence number sent to any puller since start (0 = none): what retention may count as unread. */
  long lastSeqServed() {
    return lastSeqServed.get();
  }

  /** Connections open now. */
  int openConnections() {
    return Math.max(0, channels.size() - (serverChannel == null ? 0 : 1));
  }

  /**
   * Stops accepting, closes every connection (parked long-polls included), waits for reads in
   * progress and stops the threads; bounded to a few seconds.
   */
  @Override
  public void close() {
    if (closed || serverChannel == null) {
      // Never started, or start failed (and already stopped its threads).
      closed = true;
      return;
    }
    closed = true;
    serverChannel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    // Pullers learn why the connection ends (in place of the answer they wait for, if any).
    channels.writeAndFlush(ErrorMessage.of(ErrorCode.SHUTTING_DOWN, "the shipper is stopping"))
        .awaitUninterruptibly(2, TimeUnit.SECONDS);
    channels.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    shutdownThreads();
    LOG.info("pull server '{}' stopped", shipperName);
  }

  private void shutdownThreads() {
    if (readPool != null) {
      readPool.shutdown();
      try {
        if (!readPool.awaitTermination(3, TimeUnit.SECONDS)) {
          readPool.shutdownNow();
          LOG.warn("pull server: journal reads still running after 3 s; interrupted");
        }
      } catch (InterruptedException e) {
        readPool.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
    // Readers of threads that never ended (interrupted mid-read) are closed here instead.
    for (Journal.Reader r : readers) {
      closeQuietly(r);
    }
    acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    ioGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    acceptGroup.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
    ioGroup.terminationFuture().awaitUninterruptibly(3, TimeUnit.SECONDS);
  }

  private void closeQuietly(Journal.Reader r) {
    if (readers.remove(r)) {
      try {
        r.close();
      } catch (RuntimeException e) {
        LOG.warn("pull server: closing a journal reader failed: {}", e.toString());
      }
    }
  }

  // ------------------------------------------------------------------ called by the handlers

  void opened(Channel ch) {
    channels.add(ch);
    metrics.connections.increment();
  }

  /** PULL, on the connection's event loop: read now, answer empty now, or park until an append. */
  void pull(PullHandler h, long cursor, int requestedBytes, int requestedWait) {
    long c = Math.max(1, cursor);
    int maxBytes = capBytes(requestedBytes);
    int wait = Math.min(requestedWait, maxWaitMillis);
    long last = journal.lastSeq();
    if (last >= c) {
      readBatch(h, c, maxBytes);
    } else if (c > last + 1 || wait == 0) {
      // Caught up without waiting, or ahead of the journal (it was replaced): say so at once.
      h.respond(emptyBatch(c, last));
    } else {
      park(h, c, maxBytes, wait);
    }
  }

  void fetch(PullHandler h, Fetch f) {
    int maxBytes = capBytes(f.maxBytes());
    submit(h, "FETCH", () -> composeFetch(h.alloc(), f, maxBytes));
  }

  void status(PullHandler h) {
    submit(h, "STATUS", () -> composeStatus(h));
  }

  /** The connection closed: forget its parked PULL. */
  void cancel(LongPoll p) {
    if (p != null && p.claim()) {
      parked.remove(p);
      p.cancelTimeout();
    }
  }

  private int capBytes(int requested) {
    return requested <= 0 ? maxBatchBytes : Math.min(requested, maxBatchBytes);
  }

  private Batch emptyBatch(long cursor, long last) {
    return new Batch(cursor, Math.min(journal.firstSeq(), cursor), last, List.of());
  }

  // ------------------------------------------------------------------ long-poll

  /** A PULL waiting for the journal to reach its cursor; answered once, by whoever claims it. */
  static final class LongPoll {
    final PullHandler handler;
    final long cursor;
    final int maxBytes;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private volatile ScheduledFuture<?> timeout;

    LongPoll(PullHandler handler, long cursor, int maxBytes) {
      this.handler = handler;
      this.cursor = cursor;
      this.maxBytes = maxBytes;
    }

    boolean claim() {
      return claimed.compareAndSet(false, true);
    }

    void cancelTimeout() {
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  private void park(PullHandler h, long cursor, int maxBytes, int waitMillis) {
    LongPoll p = new LongPoll(h, cursor, maxBytes);
    h.parked(p);
    // In the set before the timer exists: whoever claims first answers; a timer that loses the
    // race fires later as a no-op.
    parked.add(p);
    p.timeout = h.executor().schedule(() -> {
      if (p.claim()) {
        parked.remove(p);
        h.respond(emptyBatch(cursor, journal.lastSeq()));
      }
    }, waitMillis, TimeUnit.MILLISECONDS);
    // An append between the caller's check and the add above would have found nothing parked.
    if (journal.lastSeq() >= cursor) {
      wake(p);
    }
  }

  /** Journal.onAppend: runs on the ingest thread after every append, so it must cost nothing when idle. */
  private void appended() {
    if (closed || parked.isEmpty()) {
      return;
    }
    long last = journal.lastSeq();
    for (LongPoll p : parked) {
      if (p.cursor <= last) {
        wake(p);
      }
    }
  }

  private void wake(LongPoll p) {
    if (p.claim()) {
      parked.remove(p);
      p.cancelTimeout();
      readBatch(p.handler, p.cursor, p.maxBytes);
    }
  }

  // ------------------------------------------------------------------ reads, off the event loop

  /** Per read thread: its journal reader and reusable frame composition state. */
  private final class Worker {
    private Journal.Reader reader;
    final EntryFrameWriter writer = new EntryFrameWriter();
    final ChunkedOutput out = new ChunkedOutput();

    Journal.Reader reader() {
      if (reader == null) {
        reader = journal.reader();
        readers.add(reader);
      }
      return reader;
    }

    void close() {
      if (reader != null) {
        closeQuietly(reader);
        reader = null;
      }
    }
  }

  private interface Read {
    Object compose() throws Exception;
  }

  private void submit(PullHandler h, String what, Read read) {
    try {
      readPool.execute(() -> {
        Object response;
        try {
          response = read.compose();
        } catch (Exception | LinkageError e) {
          LOG.warn("pull server: {} for {} failed; answered UNAVAILABLE", what, h.who(), e);
          // The reader may be left mid-entry or broken: the next request on this thread opens a new one.
          worker.get().close();
          response = ErrorMessage.of(ErrorCode.UNAVAILABLE, what + " failed on the shipper: " + e);
        }
        h.respond(response);
      });
    } catch (RejectedExecutionException e) {
      h.respond(ErrorMessage.of(ErrorCode.SHUTTING_DOWN, "the shipper is stopping"));
    }
  }

  private void readBatch(PullHandler h, long cursor, int maxBytes) {
    submit(h, "PULL from " + cursor, () -> composeBatch(h, cursor, maxBytes));
  }

  /** Entries from {@code cursor} into one BATCH frame: at least one entry, then while under maxBytes. */
  private ByteBuf composeBatch(PullHandler h, long cursor, int maxBytes) {
    Worker w = worker.get();
    Journal.Reader reader = w.reader();
    w.out.begin(h.alloc());
    boolean done = false;
    try {
      long start = reader.seek(cursor);
      // A gap is reported only where the reader skipped deleted entries: retention running after
      // this read must not make the puller count entries it did receive as lost.
      long firstSeq = start > cursor ? start : Math.min(journal.firstSeq(), cursor);
      long next = Math.max(start, cursor);
      long blockBytes = 0;
      // A reader sees an entry as soon as Chronicle holds it, a moment before the journal counts it
      // in lastSeq(). Serving it then would put the puller's cursor past lastSeq() + 1, which its
      // next PULL reads as a replaced journal (pulled again from the start): stop at lastSeq().
      long last = journal.lastSeq();
      w.writer.beginBatch(w.out);
      for (JournalEntry e; (e = reader.next()) != null && e.seq() <= last; ) {
        int length = e.block().remaining();
        if (w.writer.count() > 0 && w.writer.entriesBytes() + Wire.entryBytes(length) > maxBytes) {
          break;
        }
        w.writer.add(e.seq(), e.fileId().getMostSignificantBits(), e.fileId().getLeastSignificantBits(),
            e.offset(), e.block());
        blockBytes += length;
        next = e.seq() + 1;
        if (w.writer.entriesBytes() >= maxBytes) {
          break;
        }
      }
      int count = w.writer.count();
      int frameBytes = w.writer.finishBatch(next, firstSeq, Math.max(last, next - 1));
      ByteBuf frame = w.out.finish();
      done = true;
      h.served(next);
      if (count > 0) {
        lastSeqServed.accumulateAndGet(next - 1, Math::max);
        metrics.blocksServed.add(count);
      }
      metrics.bytesServed.add(frameBytes);
      return frame;
    } finally {
      if (!done) {
        w.out.release();
      }
    }
  }

  private ByteBuf composeFetch(ByteBufAllocator alloc, Fetch f, int maxBytes) {
    long[] seqs = lookup(f.traceIds(), f.fromSeq());
    Worker w = worker.get();
    Journal.Reader reader = w.reader();
    w.out.begin(alloc);
    boolean done = false;
    try {
      w.writer.beginFetchResult(w.out);
      long resume = 0;
      long positioned = -1;
      for (long seq : seqs) {
        // Blocks of one trace are often neighbours: read on without seeking again.
        if (seq != positioned && reader.seek(seq) != seq) {
          positioned = -1;
          continue;  // retention deleted it since the index was asked
        }
        JournalEntry e = reader.next();
        positioned = e == null ? -1 : e.seq() + 1;
        if (e == null || e.seq() != seq) {
          continue;
        }
        int length = e.block().remaining();
        if (w.writer.count() > 0 && w.writer.entriesBytes() + Wire.entryBytes(length) > maxBytes) {
          resume = seq;
          break;
        }
        w.writer.add(e.seq(), e.fileId().getMostSignificantBits(), e.fileId().getLeastSignificantBits(),
            e.offset(), e.block());
      }
      int count = w.writer.count();
      int frameBytes = w.writer.finishFetchResult(resume);
      ByteBuf frame = w.out.finish();
      done = true;
      metrics.blocksServed.add(count);
      metrics.bytesServed.add(frameBytes);
      return frame;
    } finally {
      if (!done) {
        w.out.release();
      }
    }
  }

  /** Sequence numbers of the blocks holding any of the traces, ascending, each once, from {@code fromSeq}. */
  private long[] lookup(List<TraceId> ids, long fromSeq) {
    long[][] found = new long[ids.size()][];
    int total = 0;
    for (int i = 0; i < found.length; i++) {
      found[i] = index.find(ids.get(i).high(), ids.get(i).low());
      total += found[i].length;
    }
    long[] all = new long[total];
    int n = 0;
    for (long[] f : found) {
      System.arraycopy(f, 0, all, n, f.length);
      n += f.length;
    }
    Arrays.sort(all);
    int unique = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] >= fromSeq && (unique == 0 || all[unique - 1] != all[i])) {
        all[unique++] = all[i];
      }
    }
    return Arrays.copyOf(all, unique);
  }

  private StatusResult composeStatus(PullHandler h) {
    int version = h.version();
    Map<String, String> f = new LinkedHashMap<>();
    f.put("shipper.name", shipperName);
    f.put("shipper.host", hostName);
    f.put("protocol.version", Integer.toString(version));
    f.put("server.startedAt", startedAt.toString());
    f.put("server.tls", Boolean.toString(certPem != null));
    f.put("server.connections", Integer.toString(openConnections()));
    f.put("server.maxBatchBytes", Integer.toString(maxBatchBytes));
    f.put("server.maxWaitMillis", Integer.toString(maxWaitMillis));
    f.put("server.lastSeqServed", Long.toString(lastSeqServed.get()));
    f.put("journal.firstSeq", Long.toString(journal.firstSeq()));
    f.put("journal.lastSeq", Long.toString(journal.lastSeq()));
    f.put("journal.servingFrom", journal.servingFrom().name().toLowerCase(java.util.Locale.ROOT));
    f.put("journal.primaryBytes", Long.toString(journal.primaryBytes()));
    f.put("journal.replicaBytes", Long.toString(journal.replicaBytes()));
    f.put("index.durableSeq", Long.toString(index.durableSeq()));
    f.put("pull.requests", Long.toString(metrics.pullRequests.sum()));
    f.put("pull.blocksServed", Long.toString(metrics.blocksServed.sum()));
    f.put("pull.bytesServed", Long.toString(metrics.bytesServed.sum()));
    f.put("pull.authFailures", Long.toString(metrics.authFailures.sum()));
    f.put("pull.protocolErrors", Long.toString(metrics.protocolErrors.sum()));
    // This connection's lag: what is left to pull after the last BATCH it was sent.
    long cursor = h.nextCursor();
    if (cursor > 0) {
      JournalLedger.Lag lag = ledger.lag(worker.get().reader(), cursor);
      f.put("lag.cursor", Long.toString(cursor));
      f.put("lag.blocks", Long.toString(lag.blocks()));
      f.put("lag.bytes", Long.toString(lag.bytes()));
      f.put("lag.bytesExact", Boolean.toString(lag.exact()));
      f.put("lag.oldestBlockMicros", Long.toString(lag.oldestBlockMicros()));
      long ageMillis = lag.oldestBlockMicros() == 0 ? 0
          : Math.max(0, System.currentTimeMillis() - lag.oldestBlockMicros() / 1000);
      f.put("lag.millis", Long.toString(ageMillis));
    }
    try {
      // The daemon's own fields (files tracked, lag, ...) come after; they cannot replace ours.
      statusFields.get().forEach(f::putIfAbsent);
    } catch (RuntimeException e) {
      LOG.warn("pull server: the daemon's status fields failed; STATUS answered without them", e);
    }
    return new StatusResult(f);
  }

  // ------------------------------------------------------------------ accessors for the handlers

  byte[] secret() {
    return secret;
  }

  String shipperName() {
    return shipperName;
  }

  String hostName() {
    return hostName;
  }

  int maxFrameLength() {
    return maxFrameLength;
  }

  int maxBatchBytes() {
    return maxBatchBytes;
  }

  int maxWaitMillis() {
    return maxWaitMillis;
  }

  int maxConnections() {
    return maxConnections;
  }

  long idleTimeoutMillis() {
    return idleTimeoutMillis;
  }

  int authTimeoutMillis() {
    return authTimeoutMillis;
  }

  ShipperMetrics metrics() {
    return metrics;
  }

  /** Builds a {@link PullServer}; every limit has a default (docs/protocol.md, "Limits"). */
  static final class Builder {
    private final Journal journal;
    private final TraceIndex index;
    private final byte[] secret;
    private final ShipperMetrics metrics;
    private String host = "127.0.0.1";
    private int port = 0;
    private Path certPem;
    private Path keyPem;
    private int maxFrameLength = Wire.DEFAULT_MAX_REQUEST_FRAME;
    private int maxBatchBytes = 8 << 20;
    private int maxWaitMillis = 30_000;
    private int authTimeoutMillis = 10_000;
    private int maxConnections = 256;
    private long idleTimeoutMillis;
    private int readerThreads = 2;
    private int ioThreads = Math.min(2, Runtime.getRuntime().availableProcessors());
    private String shipperName;
    private String hostName;
    private Supplier<Map<String, String>> statusFields = Map::of;

    private Builder(Journal journal, TraceIndex index, byte[] secret, ShipperMetrics metrics) {
      this.journal = requireNonNull(journal, "journal");
      this.index = requireNonNull(index, "index");
      this.secret = requireNonNull(secret, "secret");
      this.metrics = requireNonNull(metrics, "metrics");
    }

    /** Where to listen; port 0 picks a free port ({@link PullServer#port()} tells which). Default 127.0.0.1:0. */
    Builder listen(String host, int port) {
      this.host = requireNonNull(host, "host");
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be in [0, 65535]: " + port);
      }
      this.port = port;
      return this;
    }

    /** Serve TLS with this certificate chain and PKCS#8 private key, both PEM files. */
    Builder tls(Path certChainPem, Path privateKeyPem) {
      this.certPem = requireNonNull(certChainPem, "certChainPem");
      this.keyPem = requireNonNull(privateKeyPem, "privateKeyPem");
      return this;
    }

    /** Largest request frame (type and body) accepted; larger ones close the connection. Default 1 MiB. */
    Builder maxFrameLength(int bytes) {
      this.maxFrameLength = range(bytes, 1024, 64 << 20, "maxFrameLength");
      return this;
    }

    /** Cap on a BATCH's or FETCH_RESULT's entries (a single larger block is still sent). Default 8 MiB. */
    Builder maxBatchBytes(int bytes) {
      this.maxBatchBytes = range(bytes, 64 << 10, 256 << 20, "maxBatchBytes");
      return this;
    }

    /** Cap on how long a PULL may wait for new blocks. Default 30 s. */
    Builder maxWaitMillis(int millis) {
      this.maxWaitMillis = range(millis, 0, 600_000, "maxWaitMillis");
      return this;
    }

    /** How long a connection may stay unauthenticated. Default 10 s. */
    /** Connections served at once; one more is answered TOO_MANY_CONNECTIONS and closed. Default 256. */
    Builder maxConnections(int n) {
      this.maxConnections = range(n, 1, 65_536, "maxConnections");
      return this;
    }

    /**
     * How long an authenticated connection may send nothing while no request of it is pending
     * before it is closed. Default: 5 minutes, or twice maxWaitMillis if that is longer.
     */
    Builder idleTimeoutMillis(long millis) {
      if (millis < 1 || millis > 86_400_000L) {
        throw new IllegalArgumentException("idleTimeoutMillis must be in [1, 86400000]: " + millis);
      }
      this.idleTimeoutMillis = millis;
      return this;
    }

    Builder authTimeoutMillis(int millis) {
      this.authTimeoutMillis = range(millis, 1, 600_000, "authTimeoutMillis");
      return this;
    }

    /** Threads reading the journal for requests. Default 2. */
    Builder readerThreads(int n) {
      this.readerThreads = range(n, 1, 64, "readerThreads");
      return this;
    }

    /** Netty event loop threads for connections. Default min(2, cores). */
    Builder ioThreads(int n) {
      this.ioThreads = range(n, 1, 64, "ioThreads");
      return this;
    }

    /** The shipper's name in HELLO and STATUS (and in the handshake proofs). Default: the host name. */
    Builder shipperName(String name) {
      this.shipperName = requireNonNull(name, "shipperName");
      return this;
    }

    /** The host name in HELLO and STATUS. Default: the local host's name. */
    Builder hostName(String name) {
      this.hostName = requireNonNull(name, "hostName");
      return this;
    }

    /** Extra STATUS fields from the daemon (files tracked, lag, ...), computed per request. */
    Builder statusFields(Supplier<Map<String, String>> fields) {
      this.statusFields = requireNonNull(fields, "statusFields");
      return this;
    }

    PullServer build() {
      if (secret.length < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException("the pull secret must be at least " + MIN_SECRET_BYTES
            + " bytes (" + secret.length + " given); use 32 random bytes");
      }
      if (certPem != null) {
        for (Path p : List.of(certPem, keyPem)) {
          if (!Files.isReadable(p)) {
            throw new IllegalArgumentException("TLS file " + p + " does not exist or is not readable");
          }
        }
      }
      if (hostName == null) {
        hostName = localHostName();
      }
      if (shipperName == null) {
        shipperName = hostName;
      }
      for (String s : List.of(shipperName, hostName)) {
        if (s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Wire.MAX_NAME_BYTES) {
          throw new IllegalArgumentException("shipper and host names are at most " + Wire.MAX_NAME_BYTES
              + " UTF-8 bytes: " + s);
        }
      }
      return new PullServer(this);
    }

    private static int range(int v, int min, int max, String name) {
      if (v < min || v > max) {
        throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "]: " + v);
      }
      return v;
    }

    private static String localHostName() {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        String env = System.getenv("HOSTNAME");
        return env == null || env.isBlank() ? "localhost" : env;
      }
    }
  }
}
