package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.Wire;
import dev.cairn.core.wire.WireAuth;
import dev.cairn.core.wire.WireMessage;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pull server on loopback, driven by a blocking test client (PullClient). */
class PullServerIT {
  private static final byte[] SECRET = "pull-secret-for-tests-0123456789".getBytes(StandardCharsets.US_ASCII);
  /** The journal takes blocks of at least a block header. */
  private static final int MIN_BLOCK = 44;
  private static final UUID FILE = UUID.fromString("6f1c1d52-8f0e-4b43-9d7a-3f0a2b8c9e01");

  private Journal journal;
  private TraceIndex index;
  private final ShipperMetrics metrics = new ShipperMetrics();
  private final List<PullClient> clients = new ArrayList<>();
  /** The one thread that appends, as in the shipper: Chronicle appenders belong to their thread. */
  private final ExecutorService ingest = Executors.newSingleThreadExecutor(r -> new Thread(r, "test-ingest"));
  private final Random random = new Random(11);
  private PullServer server;

  @TempDir
  Path dir;

  @BeforeEach
  void openJournalAndIndex() throws Exception {
    journal = ChronicleJournal.open(dir.resolve("primary"), dir.resolve("replica"), metrics);
    index = SegmentedTraceIndex.builder(dir.resolve("index")).open();
  }

  /**
   * For tests of retention: a journal of five-minute cycles on a manual clock. {@code clock}
   * moves time; {@link Journal#applyRetention} then deletes whole cycles.
   */
  private ChronicleJournal useCycledJournal(AtomicLong clock) throws Exception {
    journal.close();
    ChronicleJournal cycled = ChronicleJournal.open(dir.resolve("cycled-primary"), dir.resolve("cycled-replica"),
        metrics, ChronicleJournal.Options.defaults()
            .withCycleLength(ChronicleJournal.CycleLength.FIVE_MINUTES).withClock(clock::get));
    journal = cycled;
    return cycled;
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (PullClient c : clients) {
        c.close();
      }
    } finally {
      try {
        if (server != null) {
          server.close();
        }
      } finally {
        ingest.shutdownNow();
        ingest.awaitTermination(10, TimeUnit.SECONDS);
        try {
          index.close();
        } finally {
          journal.close();
        }
      }
    }
  }

  private PullServer start(Consumer<PullServer.Builder> config) throws Exception {
    PullServer.Builder b = PullServer.builder(journal, index, SECRET, metrics)
        .listen("127.0.0.1", 0).shipperName("edge-1").hostName("host-a");
    config.accept(b);
    server = b.build().start();
    return server;
  }

  private PullServer start() throws Exception {
    return start(b -> {});
  }

  private PullClient connect() throws Exception {
    PullClient c = PullClient.connect(server.port());
    clients.add(c);
    return c;
  }

  private PullClient login() throws Exception {
    return connect().login(SECRET);
  }

  private byte[] randomBlock(int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  private long append(long offset, ByteBuffer block) throws Exception {
    return ingest.submit(() -> journal.append(FILE, offset, block)).get(10, TimeUnit.SECONDS);
  }

  /** Journals and indexes a real block on the ingest thread, as the shipper does. */
  private long appendAndIndex(long offset, ByteBuffer block) throws Exception {
    return ingest.submit(() -> {
      long seq = journal.append(FILE, offset, block.duplicate());
      index.add(seq, block.duplicate());
      return seq;
    }).get(10, TimeUnit.SECONDS);
  }

  private long append(long offset, byte[] block) throws Exception {
    return append(offset, ByteBuffer.wrap(block));
  }

  /** Appends {@code n} entries of random bytes and sizes; returns their bytes by seq - 1. */
  private List<byte[]> appendRandom(int n, int maxLength) throws Exception {
    List<byte[]> blocks = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] b = randomBlock(MIN_BLOCK + random.nextInt(maxLength));
      append(1000L * (journal.lastSeq() + 1), b);
      blocks.add(b);
    }
    return blocks;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static List<Long> seqs(List<BlockEntry> entries) {
    return entries.stream().map(BlockEntry::seq).toList();
  }

  private static byte[] frame(int type, byte[] body) {
    return ByteBuffer.allocate(5 + body.length).putInt(1 + body.length).put((byte) type).put(body).array();
  }

  // ------------------------------------------------------------------------ handshake

  @Test
  void hello_isSentOnConnect_withVersionsLimitsNamesAndAFreshChallenge() throws Exception {
    start();
    Hello a = connect().hello();
    Hello b = connect().hello();
    assertEquals(Wire.MIN_VERSION, a.minVersion());
    assertEquals(Wire.VERSION, a.maxVersion());
    assertEquals(Wire.DEFAULT_MAX_REQUEST_FRAME, a.maxFrameLength());
    assertEquals("edge-1", a.shipperName());
    assertEquals("host-a", a.host());
    assertTrue(!WireAuth.matches(a.challenge(), b.challenge()), "each connection gets its own challenge");
  }

  @Test
  void rightSecret_getsAuthOkWithTheServersProofAndLimits() throws Exception {
    start(b -> b.maxBatchBytes(1 << 20).maxWaitMillis(5_000));
    AuthOk ok = (AuthOk) connect().authenticate(SECRET, "puller-1");  // the client checks the server's proof
    assertEquals(Wire.VERSION, ok.version());
    assertEquals(1 << 20, ok.maxBatchBytes());
    assertEquals(5_000, ok.maxWaitMillis());
    assertEquals(0, metrics.authFailures.sum());
  }

  @Test
  void wrongSecret_isRefusedWithAuthFailedAndClosed() throws Exception {
    start();
    PullClient c = connect();
    byte[] wrong = SECRET.clone();
    wrong[5] ^= 1;
    WireMessage answer = c.authenticate(wrong, "intruder");
    assertEquals(ErrorCode.AUTH_FAILED.code(), assertInstanceOf(ErrorMessage.class, answer).code());
    c.readErrorThenClose();
    assertEquals(1, metrics.authFailures.sum());
  }

  @Test
  void proofForAnotherChallenge_isRefused() throws Exception {
    start();
    PullClient c = connect();
    byte[] nonce = WireAuth.newNonce();
    byte[] replayed = WireAuth.clientProof(SECRET, WireAuth.newNonce(), nonce, 1, "replay", "edge-1");
    c.send(new Auth(1, nonce, "replay", replayed));
    assertEquals(ErrorCode.AUTH_FAILED.code(), c.readErrorThenClose().code());
  }

  @Test
  void requestBeforeAuth_isRefusedWithAuthRequiredAndClosed() throws Exception {
    start();
    appendRandom(3, 100);
    PullClient c = connect();
    c.send(new Pull(0, 0, 0));
    ErrorMessage e = c.readErrorThenClose();
    assertEquals(ErrorCode.AUTH_REQUIRED.code(), e.code());
    assertEquals(1, metrics.authFailures.sum());
    assertEquals(0, metrics.blocksServed.sum(), "nothing was served without authentication");
  }

  @Test
  void silentClient_isClosedAfterTheAuthTimeout() throws Exception {
    start(b -> b.authTimeoutMillis(300));
    PullClient c = connect();
    long t0 = System.nanoTime();
    ErrorMessage e = c.readErrorThenClose();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(ErrorCode.AUTH_TIMEOUT.code(), e.code());
    assertTrue(millis < 5_000, "closed after " + millis + " ms");
    assertEquals(1, metrics.authFailures.sum());
  }

  @Test
  void connectionBeyondTheLimit_isRefused_whileTheOthersKeepWorking() throws Exception {
    start(b -> b.maxConnections(2));
    PullClient first = login();
    PullClient second = login();
    ErrorMessage e = PullClient.refusedOnConnect(server.port());
    assertEquals(ErrorCode.TOO_MANY_CONNECTIONS.code(), e.code());
    assertEquals(1, metrics.connectionsRefused.sum());
    assertNotNull(first.status());
    assertNotNull(second.status());
  }

  @Test
  void authenticatedClientSilentBeyondTheIdleTimeout_isClosed_butALongPollIsNot() throws Exception {
    start(b -> b.idleTimeoutMillis(400).maxWaitMillis(1_500));
    PullClient waiting = login();
    PullClient silent = login();
    long t0 = System.nanoTime();
    // A pull that waits longer than the idle timeout is pending, so its connection stays open.
    Batch empty = waiting.pull(journal.lastSeq() + 1, 1 << 20, 1_500);
    assertTrue(empty.entries().isEmpty());
    assertTrue((System.nanoTime() - t0) / 1_000_000 >= 1_000, "the long-poll waited");
    assertNotNull(waiting.status(), "still connected after a wait beyond the idle timeout");
    assertThrows(Exception.class, () -> {
      for (int i = 0; i < 50; i++) {
        silent.read();
      }
    }, "the silent connection was closed");
    assertTrue(metrics.idleClosed.sum() >= 1);
  }

  @Test
  void unsupportedVersion_isRefused() throws Exception {
    start();
    PullClient c = connect();
    byte[] nonce = WireAuth.newNonce();
    int v = Wire.VERSION + 1;
    c.send(new Auth(v, nonce, "future", WireAuth.clientProof(SECRET, c.hello().challenge(), nonce, v, "future", "edge-1")));
    assertEquals(ErrorCode.UNSUPPORTED_VERSION.code(), c.readErrorThenClose().code());
  }

  @Test
  void secretShorterThan16Bytes_isRefusedAtBuild() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PullServer.builder(journal, index, "short".getBytes(StandardCharsets.US_ASCII), metrics).build());
    assertTrue(e.getMessage().contains("at least 16 bytes"), e.getMessage());
  }

  // ------------------------------------------------------------------------ bad frames

  @Test
  void badFrames_closeTheirConnectionOnly_whileAnotherClientKeepsPulling() throws Exception {
    start(b -> b.maxFrameLength(4096));
    List<byte[]> blocks = appendRandom(40, 2000);
    PullClient good = login();
    long cursor = 0;

    record Bad(String what, boolean authenticate, byte[] bytes, ErrorCode expected) {}
    byte[] hugeLength = ByteBuffer.allocate(5).putInt(100 << 20).put((byte) 0x10).array();
    byte[] justOverMax = frame(0x14, new byte[4096]);
    List<Bad> bad = List.of(
        new Bad("100 MiB length before auth", false, hugeLength, ErrorCode.FRAME_TOO_LARGE),
        new Bad("100 MiB length", true, hugeLength, ErrorCode.FRAME_TOO_LARGE),
        new Bad("one byte over the maximum", true, justOverMax, ErrorCode.FRAME_TOO_LARGE),
        new Bad("PULL of 3 bytes", true, frame(0x10, new byte[3]), ErrorCode.MALFORMED_FRAME),
        new Bad("PULL with a trailing byte", true, frame(0x10, new byte[17]), ErrorCode.MALFORMED_FRAME),
        new Bad("AUTH truncated", false, frame(0x02, new byte[10]), ErrorCode.MALFORMED_FRAME),
        new Bad("empty frame", true, new byte[] {0, 0, 0, 0}, ErrorCode.MALFORMED_FRAME),
        new Bad("unknown type", true, frame(0x42, new byte[8]), ErrorCode.UNKNOWN_TYPE),
        new Bad("FETCH announcing 4000 IDs", true,
            frame(0x12, ByteBuffer.allocate(14 + 16).putLong(0).putInt(0).putShort((short) 4000).array()),
            ErrorCode.MALFORMED_FRAME),
        new Bad("a server's message", true, Wire.encode(new Batch(1, 1, 1, List.of())).array(), ErrorCode.UNEXPECTED_MESSAGE),
        new Bad("a second AUTH", true, Wire.encode(new Auth(1, new byte[32], "x", new byte[32])).array(),
            ErrorCode.UNEXPECTED_MESSAGE));

    for (Bad b : bad) {
      PullClient c = b.authenticate ? login() : connect();
      c.sendRaw(b.bytes);
      ErrorMessage e = c.readErrorThenClose();
      assertNotNull(e, b.what + ": an ERROR before the close");
      assertEquals(b.expected.code(), e.code(), b.what + ": " + e.message());

      Batch batch = good.pull(cursor, 4096, 0);
      assertTrue(!batch.entries().isEmpty(), b.what + ": the good client still gets blocks");
      for (BlockEntry entry : batch.entries()) {
        assertArrayEquals(blocks.get((int) entry.seq() - 1), bytes(entry.block()));
      }
      cursor = batch.nextCursor();
    }
    assertEquals(bad.size(), metrics.protocolErrors.sum());
    assertEquals(0, metrics.authFailures.sum());
  }

  @Test
  void tooManyPipelinedRequests_closeTheConnection() throws Exception {
    start();
    PullClient c = login();
    // Parked PULL, then more requests than may wait behind it.
    for (int i = 0; i <= PullHandler.MAX_PIPELINED + 1; i++) {
      c.send(new Pull(1, 0, 10_000));
    }
    assertEquals(ErrorCode.TOO_MANY_REQUESTS.code(), c.readErrorThenClose().code());
  }

  // ------------------------------------------------------------------------ PULL

  @Test
  void pullLoopFromCursorZero_returnsEveryEntryOnceAndInOrder_whileBlocksKeepComing() throws Exception {
    start();
    List<byte[]> blocks = new ArrayList<>(appendRandom(300, 20_000));
    int total = 1500;
    Future<?> appending = ingest.submit(() -> {
      Random r = new Random(5);
      for (int i = blocks.size(); i < total; i++) {
        byte[] b = new byte[MIN_BLOCK + r.nextInt(20_000)];
        r.nextBytes(b);
        synchronized (blocks) {
          blocks.add(b);
        }
        journal.append(FILE, 1000L * (i + 1), ByteBuffer.wrap(b));
        if (i % 50 == 0) {
          Thread.sleep(2);
        }
      }
      return null;
    });
    PullClient c = login();
    List<Long> seen = new ArrayList<>();
    long cursor = 0;
    try {
      while (seen.size() < total) {
        if (appending.isDone()) {
          appending.get();  // an append that failed fails the test here, not by a hang
        }
        Batch batch = c.pull(cursor, 64 * 1024, 2_000);
        long expected = Math.max(cursor, 1);
        for (BlockEntry e : batch.entries()) {
          assertEquals(expected++, e.seq(), "contiguous from the cursor");
          byte[] want;
          synchronized (blocks) {
            want = blocks.get((int) e.seq() - 1);
          }
          assertArrayEquals(want, bytes(e.block()), "block " + e.seq());
          assertEquals(FILE, e.fileId());
          assertEquals(1000L * e.seq(), e.offset());
          seen.add(e.seq());
        }
        assertEquals(expected, batch.nextCursor());
        assertTrue(batch.entries().size() <= 1
            || batch.entries().stream().mapToLong(e -> Wire.entryBytes(e.block().remaining())).sum() <= 64 * 1024);
        cursor = batch.nextCursor();
      }
    } finally {
      appending.get(10, TimeUnit.SECONDS);
    }
    assertEquals(total, seen.size());
    for (int i = 0; i < total; i++) {
      assertEquals(i + 1L, seen.get(i));
    }
    assertEquals(total, metrics.blocksServed.sum());
    assertEquals(total, server.lastSeqServed());
    Batch after = c.pull(cursor, 0, 0);
    assertTrue(after.entries().isEmpty());
    assertEquals(total + 1L, after.nextCursor());
    assertEquals(total, after.lastSeq());
  }

  @Test
  void pull_sendsOneBlockLargerThanMaxBytes_andNothingElseWithIt() throws Exception {
    start();
    append(0, randomBlock(200_000));
    append(200_000, randomBlock(50));
    PullClient c = login();
    Batch b = c.pull(1, 1024, 0);
    assertEquals(List.of(1L), seqs(b.entries()));
    assertEquals(200_000, b.entries().get(0).block().remaining());
    assertEquals(2, b.nextCursor());
    assertEquals(List.of(2L), seqs(c.pull(2, 1024, 0).entries()));
  }

  @Test
  void pull_isCappedByTheServersMaxBatchBytes() throws Exception {
    start(b -> b.maxBatchBytes(64 * 1024));
    appendRandom(100, 4096);
    Batch b = login().pull(1, 0, 0);
    long bytes = b.entries().stream().mapToLong(e -> Wire.entryBytes(e.block().remaining())).sum();
    assertTrue(bytes <= 64 * 1024 && bytes > 32 * 1024, bytes + " bytes");
  }

  @Test
  void longPoll_answersPromptlyWhenABlockIsAppended() throws Exception {
    start();
    appendRandom(5, 100);
    PullClient c = login();
    byte[] block = randomBlock(777);
    long t0 = System.nanoTime();
    Future<Long> later = ingest.submit(() -> {
      Thread.sleep(300);
      return journal.append(FILE, 42, ByteBuffer.wrap(block));
    });
    Batch b = c.pull(6, 0, 10_000);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertEquals(6, later.get(5, TimeUnit.SECONDS));
    assertEquals(List.of(6L), seqs(b.entries()));
    assertArrayEquals(block, bytes(b.entries().get(0).block()));
    assertTrue(millis >= 250 && millis < 2_000, "answered after " + millis + " ms");
  }

  @Test
  void longPoll_answersEmptyWhenTheWaitEnds() throws Exception {
    start();
    appendRandom(5, 100);
    PullClient c = login();
    long t0 = System.nanoTime();
    Batch b = c.pull(6, 0, 400);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(b.entries().isEmpty());
    assertEquals(6, b.nextCursor());
    assertEquals(5, b.lastSeq());
    assertTrue(millis >= 350 && millis < 3_000, "answered after " + millis + " ms");
  }

  @Test
  void longPoll_waitIsCappedByTheServersMaxWait() throws Exception {
    start(b -> b.maxWaitMillis(200));
    PullClient c = login();
    long t0 = System.nanoTime();
    Batch b = c.pull(0, 0, 60_000);
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(b.entries().isEmpty());
    assertEquals(1, b.nextCursor(), "cursor 0 means from the first seq, 1");
    assertEquals(0, b.lastSeq());
    assertTrue(millis < 3_000, "answered after " + millis + " ms");
  }

  @Test
  void longPoll_ofAClosedConnectionIsForgotten_andOthersStillWake() throws Exception {
    start();
    PullClient leaving = login();
    leaving.send(new Pull(1, 0, 30_000));
    PullClient staying = login();
    staying.send(new Pull(1, 0, 30_000));
    Thread.sleep(200);
    leaving.close();
    Thread.sleep(200);
    append(0, randomBlock(50));
    Batch b = staying.expect(Batch.class);
    assertEquals(List.of(1L), seqs(b.entries()));
  }

  @Test
  void pull_belowTheFirstRetainedSeq_answersFromItAndSaysWhereItStarts() throws Exception {
    AtomicLong clock = new AtomicLong(1_763_700_000_000L);
    Journal cycled = useCycledJournal(clock);
    start();
    List<byte[]> blocks = new ArrayList<>();
    for (int cycle = 0; cycle < 3; cycle++) {
      blocks.addAll(appendRandom(10, 100));
      clock.addAndGet(5 * 60_000);
    }
    Retention.Result deleted = cycled.applyRetention(6 * 60_000, 0);
    assertEquals(11, deleted.firstSeqAfter(), "the first cycle (seqs 1 to 10) is gone");
    Batch b = login().pull(3, 0, 0);
    assertEquals(11, b.firstSeq(), "entries 3 to 10 were deleted unread: the puller counts 8 lost");
    assertEquals(11, b.entries().get(0).seq());
    assertArrayEquals(blocks.get(10), bytes(b.entries().get(0).block()));
    assertEquals(31, b.nextCursor());
    assertEquals(30, b.lastSeq());
    assertEquals(List.of(), seqs(login().pull(31, 0, 0).entries()));
    Batch fromStart = login().pull(12, 0, 0);
    assertTrue(fromStart.firstSeq() <= 12, "no gap reported when the cursor's entry is there");
  }

  @Test
  void pull_aheadOfTheJournal_answersAtOnceSoThePullerNotices() throws Exception {
    start();
    appendRandom(4, 100);
    long t0 = System.nanoTime();
    Batch b = login().pull(100, 0, 10_000);
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000);
    assertTrue(b.entries().isEmpty());
    assertEquals(100, b.nextCursor());
    assertEquals(4, b.lastSeq(), "lastSeq + 1 < cursor: the journal is behind this puller");
  }

  @Test
  void pipelinedRequests_areAnsweredInTheOrderSent() throws Exception {
    start();
    appendRandom(10, 100);
    PullClient c = login();
    c.send(new Pull(1, 100, 0));
    c.send(new Status());
    c.send(new Pull(5, 0, 0));
    assertEquals(List.of(1L), seqs(c.expect(Batch.class).entries()));
    c.expect(StatusResult.class);
    assertEquals(5L, c.expect(Batch.class).entries().get(0).seq());
    assertEquals(3, metrics.pullRequests.sum() + metrics.statusRequests.sum());
  }

  @Test
  void journalReadFailure_answersUnavailable_andTheConnectionKeepsWorking() throws Exception {
    List<byte[]> blocks = appendRandom(5, 100);
    java.util.concurrent.atomic.AtomicBoolean failNext = new java.util.concurrent.atomic.AtomicBoolean(true);
    Journal failingOnce = new Journal() {
      @Override
      public long append(UUID fileId, long fileOffset, ByteBuffer block) {
        return journal.append(fileId, fileOffset, block);
      }

      @Override
      public long firstSeq() {
        return journal.firstSeq();
      }

      @Override
      public long lastSeq() {
        return journal.lastSeq();
      }

      @Override
      public Reader reader() {
        Reader r = journal.reader();
        return new Reader() {
          @Override
          public long seek(long seq) {
            if (failNext.getAndSet(false)) {
              throw new IllegalStateException("simulated damaged cycle file");
            }
            return r.seek(seq);
          }

          @Override
          public dev.cairn.shipper.JournalEntry next() {
            return r.next();
          }

          @Override
          public void close() {
            r.close();
          }
        };
      }

      @Override
      public void onAppend(Runnable listener) {
        journal.onAppend(listener);
      }

      @Override
      public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
        return journal.applyRetention(maxAgeMillis, maxBytes);
      }

      @Override
      public long primaryBytes() {
        return journal.primaryBytes();
      }

      @Override
      public long replicaBytes() {
        return journal.replicaBytes();
      }

      @Override
      public Source servingFrom() {
        return journal.servingFrom();
      }

      @Override
      public void close() {}
    };
    server = PullServer.builder(failingOnce, index, SECRET, metrics).readerThreads(1).build().start();
    PullClient c = login();
    c.send(new Pull(1, 0, 0));
    ErrorMessage e = c.expect(ErrorMessage.class);
    assertEquals(ErrorCode.UNAVAILABLE.code(), e.code());
    assertTrue(e.message().contains("simulated damaged cycle file"), e.message());
    Batch b = c.pull(1, 0, 0);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seqs(b.entries()));
    assertArrayEquals(blocks.get(4), bytes(b.entries().get(4).block()));
    assertEquals(0, metrics.protocolErrors.sum());
  }

  // ------------------------------------------------------------------------ FETCH

  @Test
  void fetch_returnsEveryBlockOfTheTraces_onceEach_inSeqOrder() throws Exception {
    start();
    TestSpans spans = new TestSpans(3);
    SpanRecord t = spans.httpServerSpan();
    SpanRecord u = spans.httpServerSpan();
    // Trace t in blocks 3, 17 and 40; trace u in 17 and 22; other traces everywhere.
    Map<Integer, List<SpanRecord>> extra = Map.of(
        3, List.of(t), 17, List.of(t, u, t), 22, List.of(u), 40, List.of(t));
    List<byte[]> blocks = new ArrayList<>();
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    for (int i = 1; i <= 45; i++) {
      for (int k = 0; k < 20; k++) {
        enc.addSpan(spans.httpServerSpan());
      }
      for (SpanRecord s : extra.getOrDefault(i, List.of())) {
        enc.addSpan(s.toBuilder().spanId(random.nextLong() | 1).build());
      }
      ByteBuffer block = enc.finish();
      blocks.add(bytes(block));
      appendAndIndex(100L * i, block);
    }
    PullClient c = login();
    TraceId tid = new TraceId(t.traceIdHigh(), t.traceIdLow());
    TraceId uid = new TraceId(u.traceIdHigh(), u.traceIdLow());

    FetchResult r = c.fetch(0, 0, List.of(tid, uid));
    assertEquals(List.of(3L, 17L, 22L, 40L), seqs(r.entries()));
    assertEquals(0, r.resumeSeq());
    for (BlockEntry e : r.entries()) {
      assertArrayEquals(blocks.get((int) e.seq() - 1), bytes(e.block()));
      assertEquals(100L * e.seq(), e.offset());
    }
    assertEquals(List.of(3L, 17L, 40L), seqs(c.fetch(0, 0, List.of(tid)).entries()));
    assertEquals(List.of(), seqs(c.fetch(0, 0, List.of(new TraceId(1, 2))).entries()));

    // Room for one block at a time: resumeSeq walks through the rest.
    List<Long> walked = new ArrayList<>();
    long from = 0;
    do {
      FetchResult part = c.fetch(from, 1, List.of(tid, uid));
      walked.addAll(seqs(part.entries()));
      from = part.resumeSeq();
    } while (from != 0);
    assertEquals(List.of(3L, 17L, 22L, 40L), walked);
    assertEquals(7, metrics.fetchRequests.sum());
  }

  @Test
  void fetch_leavesOutBlocksRetentionDeletedAfterTheyWereIndexed() throws Exception {
    AtomicLong clock = new AtomicLong(1_763_700_000_000L);
    Journal cycled = useCycledJournal(clock);
    start();
    TestSpans spans = new TestSpans(4);
    SpanRecord t = spans.httpServerSpan();
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    for (int i = 1; i <= 6; i++) {
      enc.addSpan(t.toBuilder().spanId(i).build());
      ByteBuffer block = enc.finish();
      appendAndIndex(100L * i, block);
      if (i % 3 == 0) {
        clock.addAndGet(5 * 60_000);
      }
    }
    assertEquals(4, cycled.applyRetention(4 * 60_000, 0).firstSeqAfter());
    FetchResult r = login().fetch(0, 0, List.of(new TraceId(t.traceIdHigh(), t.traceIdLow())));
    assertEquals(List.of(4L, 5L, 6L), seqs(r.entries()));
    assertEquals(0, r.resumeSeq());
  }

  // ------------------------------------------------------------------------ STATUS

  @Test
  void status_reportsShipperJournalServerAndDaemonFields() throws Exception {
    start(b -> b.statusFields(() -> Map.of("files.tracked", "7", "shipper.name", "cannot override")));
    appendRandom(12, 100);
    PullClient c = login();
    c.pull(1, 0, 0);
    Map<String, String> f = c.status().fields();
    assertEquals("edge-1", f.get("shipper.name"));
    assertEquals("host-a", f.get("shipper.host"));
    assertEquals(Integer.toString(Wire.VERSION), f.get("protocol.version"));
    assertEquals(Long.toString(journal.firstSeq()), f.get("journal.firstSeq"));
    assertEquals("12", f.get("journal.lastSeq"));
    assertEquals("primary", f.get("journal.servingFrom"));
    assertEquals(Long.toString(journal.primaryBytes()), f.get("journal.primaryBytes"));
    assertEquals(Long.toString(journal.replicaBytes()), f.get("journal.replicaBytes"));
    assertEquals("12", f.get("server.lastSeqServed"));
    assertEquals("1", f.get("server.connections"));
    assertEquals("false", f.get("server.tls"));
    assertEquals("7", f.get("files.tracked"));
    assertEquals("1", f.get("pull.requests"));
    assertEquals("12", f.get("pull.blocksServed"));
    assertTrue(f.containsKey("server.startedAt") && f.containsKey("index.durableSeq"));
  }

  @Test
  void status_whoseDaemonFieldsFail_stillAnswersWithTheServersOwn() throws Exception {
    start(b -> b.statusFields(() -> {
      throw new IllegalStateException("tailer not ready");
    }));
    assertEquals("edge-1", login().status().fields().get("shipper.name"));
  }

  // ------------------------------------------------------------------------ TLS and lifecycle

  private static Path fixture(String name) throws Exception {
    return Paths.get(PullServerIT.class.getResource("/tls/" + name).toURI());
  }

  private static SSLContext trusting(Path certPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = java.nio.file.Files.newInputStream(certPem)) {
      ks.setCertificateEntry("shipper", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void tls_handshakeAuthPullAndStatusWorkEndToEnd() throws Exception {
    Path cert = fixture("cert.pem");
    Path key = fixture("key.pem");
    start(b -> b.tls(cert, key));
    List<byte[]> blocks = appendRandom(50, 50_000);
    try (PullClient c = PullClient.connectTls(server.port(), trusting(cert))) {
      assertEquals("edge-1", c.hello().shipperName());
      c.login(SECRET);
      long cursor = 0;
      int n = 0;
      while (n < 50) {
        Batch b = c.pull(cursor, 100_000, 1_000);
        for (BlockEntry e : b.entries()) {
          assertArrayEquals(blocks.get(n++), bytes(e.block()));
        }
        cursor = b.nextCursor();
      }
      assertEquals("true", c.status().fields().get("server.tls"));
    }
  }

  @Test
  void tls_plainTcpClientIsClosedWithoutAnAnswer_untrustingClientRefuses() throws Exception {
    Path cert = fixture("cert.pem");
    Path key = fixture("key.pem");
    start(b -> b.tls(cert, key));
    try (java.net.Socket plain = new java.net.Socket("127.0.0.1", server.port())) {
      plain.setSoTimeout(5_000);
      plain.getOutputStream().write(Wire.encode(new Pull(1, 0, 0)).array());
      InputStream in = plain.getInputStream();
      byte[] buf = new byte[4096];
      int total = 0;
      for (int n; (n = readOrReset(in, buf)) > 0; ) {
        total += n;
      }
      assertEquals(0, total, "nothing but a close for a client that does not speak TLS");
    }
    // A TLS client that trusts only the default CAs refuses the self-signed certificate.
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    SSLContext defaultTrust = SSLContext.getInstance("TLS");
    defaultTrust.init(null, tmf.getTrustManagers(), null);
    assertThrows(SSLException.class, () -> PullClient.connectTls(server.port(), defaultTrust));
    assertEquals(0, metrics.blocksServed.sum());
  }

  private static int readOrReset(InputStream in, byte[] buf) throws java.io.IOException {
    try {
      return in.read(buf);
    } catch (java.net.SocketException reset) {
      return -1;
    }
  }

  @Test
  void tls_missingKeyFileIsRefusedAtBuild() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PullServer.builder(journal, index, SECRET, metrics).tls(fixture("cert.pem"), Path.of("/nonexistent/key.pem")).build());
    assertTrue(e.getMessage().contains("/nonexistent/key.pem"), e.getMessage());
  }

  @Test
  void close_endsParkedPullsAndConnectionsWithinSeconds() throws Exception {
    start();
    PullClient c = login();
    c.send(new Pull(1, 0, 30_000));
    Thread.sleep(100);
    long t0 = System.nanoTime();
    server.close();
    long millis = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(millis < 8_000, "closed in " + millis + " ms");
    assertEquals(ErrorCode.SHUTTING_DOWN.code(), c.readErrorThenClose().code());
    assertThrows(Exception.class, () -> PullClient.connect(server.port()));
  }

  @Test
  void port_inUse_failsStartNamingTheAddress() throws Exception {
    start();
    PullServer second = PullServer.builder(journal, index, SECRET, metrics).listen("127.0.0.1", server.port()).build();
    java.io.IOException e = assertThrows(java.io.IOException.class, second::start);
    assertTrue(e.getMessage().contains("127.0.0.1:" + server.port()), e.getMessage());
    second.close();
  }
}
