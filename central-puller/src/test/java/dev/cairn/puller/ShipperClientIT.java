package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.core.testing.TestSpans;
import dev.cairn.core.wire.ErrorCode;
import dev.cairn.core.wire.WireMessage.TraceId;
import dev.cairn.puller.ShipperClient.Batch;
import dev.cairn.puller.ShipperClient.Entry;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client against a real shipper started from a shipper.yaml, with span files written by TestFiles. */
class ShipperClientIT {
  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final int BLOCKS_PER_FILE = 8;
  static final int SPANS_PER_BLOCK = 20;

  @TempDir Path tmp;
  Path spans;
  Shipper shipper;
  final TestSpans gen = new TestSpans(7);

  record Written(UUID fileId, long offset, byte[] bytes, List<SpanRecord> spans) {}

  @AfterEach
  void stop() {
    if (shipper != null) {
      shipper.close();
    }
  }

  private Shipper start(String extra) throws Exception {
    spans = tmp.resolve("spans");
    Path config = PullerFixture.shipperYaml(tmp, "it-shipper", SECRET, 0, extra);
    shipper = Shipper.start(ShipperConfig.load(config, List.of(), Map.of(), Map.of()));
    return shipper;
  }

  private List<Written> writeFile(String name) throws Exception {
    List<SpanRecord> records = new ArrayList<>();
    for (int i = 0; i < BLOCKS_PER_FILE * SPANS_PER_BLOCK; i++) {
      records.add(gen.httpServerSpan());
    }
    Path staged = tmp.resolve(name);   // moved in whole: the tailer never sees half a file
    TestFiles.Written w = TestFiles.write(staged, records, SPANS_PER_BLOCK);
    UUID id = FileHeader.decode(w.bytes(), 0, w.bytes().length).fileId();
    List<Written> out = new ArrayList<>();
    for (int b = 0; b < w.blockOffsets().size(); b++) {
      int from = w.blockOffsets().get(b);
      int to = b + 1 < w.blockOffsets().size() ? w.blockOffsets().get(b + 1) : w.bytes().length;
      out.add(new Written(id, from, Arrays.copyOfRange(w.bytes(), from, to),
          records.subList(b * SPANS_PER_BLOCK, (b + 1) * SPANS_PER_BLOCK)));
    }
    Files.move(staged, spans.resolve(name));
    return out;
  }

  private ShipperClient connect() throws Exception {
    return ShipperClient.builder("127.0.0.1", shipper.pullAddress().getPort(), SECRET.getBytes(UTF_8))
        .clientName("it-puller").connect().get(10, TimeUnit.SECONDS);
  }

  private static void awaitJournaled(ShipperClient c, long lastSeq) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (Long.parseLong(c.status().get(5, TimeUnit.SECONDS).get("journal.lastSeq")) < lastSeq) {
      assertTrue(System.nanoTime() < deadline, "the shipper did not journal " + lastSeq + " blocks");
      Thread.sleep(20);
    }
  }

  private static List<SpanRecord> decode(Entry e) throws Exception {
    List<SpanRecord> out = new ArrayList<>();
    new BlockDecoder().decode(e.toBlock(), (RecordVisitor) out::add);
    return out;
  }

  private static void assertBlock(Written w, Entry e) throws Exception {
    assertEquals(w.fileId(), e.fileId());
    assertEquals(w.offset(), e.offset());
    assertArrayEquals(w.bytes(), e.block());
    assertEquals(w.spans(), decode(e));
  }

  @Test
  void pullLoop_fromCursorZero_returnsEveryBlockOnceInOrder_andEachDecodesToTheSpansWritten() throws Exception {
    start("");
    List<Written> written = new ArrayList<>();
    for (String name : List.of("a.cairn", "b.cairn", "c.cairn")) {
      written.addAll(writeFile(name));
    }
    try (ShipperClient c = connect()) {
      assertEquals("it-shipper", c.shipperName());
      awaitJournaled(c, written.size());
      List<Entry> pulled = new ArrayList<>();
      long cursor = 0;
      int batches = 0;
      while (true) {
        Batch b = c.pull(cursor, 8 * 1024, 0).get(10, TimeUnit.SECONDS);   // small: several batches
        assertEquals(0, b.lostSince(cursor));
        if (b.entries().isEmpty()) {
          assertEquals(written.size(), b.lastSeq());
          break;
        }
        pulled.addAll(b.entries());
        cursor = b.nextCursor();
        batches++;
      }
      assertTrue(batches > 1, "several batches: " + batches);
      assertEquals(written.size(), pulled.size());
      for (int i = 0; i < written.size(); i++) {
        assertEquals(i + 1, pulled.get(i).seq());
        assertBlock(written.get(i), pulled.get(i));
      }
    }
  }

  @Test
  void pipelinedRequests_areAnsweredInOrder() throws Exception {
    start("");
    List<Written> written = writeFile("a.cairn");
    try (ShipperClient c = connect()) {
      awaitJournaled(c, written.size());
      List<CompletableFuture<Batch>> pulls = new ArrayList<>();
      List<CompletableFuture<Map<String, String>>> statuses = new ArrayList<>();
      for (int i = 1; i <= 40; i++) {   // more than the 16 in flight: the rest wait in the client
        pulls.add(c.pull((i % BLOCKS_PER_FILE) + 1, 1, 0));
        statuses.add(c.status());
      }
      for (int i = 1; i <= 40; i++) {
        Batch b = pulls.get(i - 1).get(10, TimeUnit.SECONDS);
        assertEquals(1, b.entries().size());
        int seq = (i % BLOCKS_PER_FILE) + 1;
        assertBlock(written.get(seq - 1), b.entries().get(0));
        assertEquals("it-shipper", statuses.get(i - 1).get(10, TimeUnit.SECONDS).get("shipper.name"));
      }
    }
  }

  @Test
  void longPoll_returnsWhenANewFileAppears() throws Exception {
    start("");
    List<Written> first = writeFile("a.cairn");
    try (ShipperClient c = connect()) {
      awaitJournaled(c, first.size());
      Batch caughtUp = c.pull(0, 0, 0).get(10, TimeUnit.SECONDS);
      assertEquals(first.size(), caughtUp.entries().size());
      long t0 = System.nanoTime();
      CompletableFuture<Batch> parked = c.pull(caughtUp.nextCursor(), 0, 20_000);
      Thread.sleep(300);
      assertFalse(parked.isDone(), "caught up: the shipper holds the PULL");
      List<Written> second = writeFile("b.cairn");
      Batch b = parked.get(10, TimeUnit.SECONDS);
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(10));
      assertFalse(b.entries().isEmpty());
      assertEquals(first.size() + 1, b.entries().get(0).seq());
      assertBlock(second.get(0), b.entries().get(0));
    }
  }

  @Test
  void fetch_returnsTheBlocksOfATrace_andStatusDescribesTheShipper() throws Exception {
    start("");
    List<Written> written = writeFile("a.cairn");
    written.addAll(writeFile("b.cairn"));
    try (ShipperClient c = connect()) {
      awaitJournaled(c, written.size());
      Written target = written.get(BLOCKS_PER_FILE + 3);
      SpanRecord span = target.spans().get(5);
      ShipperClient.Fetched f = c.fetch(List.of(new TraceId(span.traceIdHigh(), span.traceIdLow())), 0, 0)
          .get(10, TimeUnit.SECONDS);
      assertEquals(0, f.resumeSeq());
      assertTrue(f.entries().stream().anyMatch(e -> e.fileId().equals(target.fileId()) && e.offset() == target.offset()));
      Entry e = f.entries().stream().filter(x -> x.offset() == target.offset() && x.fileId().equals(target.fileId()))
          .findFirst().orElseThrow();
      assertTrue(decode(e).contains(span));

      Map<String, String> status = c.status().get(10, TimeUnit.SECONDS);
      assertEquals("it-shipper", status.get("shipper.name"));
      assertEquals("1", status.get("protocol.version"));
      assertEquals("false", status.get("server.tls"));
      assertEquals(Integer.toString(written.size()), status.get("journal.lastSeq"));
      assertEquals(c.maxBatchBytes(), Integer.parseInt(status.get("server.maxBatchBytes")));
    }
  }

  @Test
  void wrongSecret_failsWithAuthFailedFromTheShipper() throws Exception {
    start("");
    CompletableFuture<ShipperClient> f = ShipperClient.builder("127.0.0.1", shipper.pullAddress().getPort(),
        "another-secret-of-32-bytes-xxxxx".getBytes(UTF_8)).connect();
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
    ShipperException se = assertInstanceOf(ShipperException.class, e.getCause());
    assertEquals(ErrorCode.AUTH_FAILED, se.errorCode().orElseThrow());
    assertTrue(se.fromShipper());
    assertTrue(se.getMessage().contains("same shared secret"), se.getMessage());
  }

  @Test
  void shipperStoppingMidRequest_failsThePendingFuturePromptly() throws Exception {
    start("");
    try (ShipperClient c = connect()) {
      CompletableFuture<Batch> parked = c.pull(1, 0, 30_000);   // nothing journaled: long-polls
      CompletableFuture<Map<String, String>> behind = c.status();
      Thread.sleep(200);
      assertFalse(parked.isDone());
      long t0 = System.nanoTime();
      shipper.close();
      shipper = null;
      ExecutionException e = assertThrows(ExecutionException.class, () -> parked.get(5, TimeUnit.SECONDS));
      assertInstanceOf(ShipperException.class, e.getCause());
      assertThrows(ExecutionException.class, () -> behind.get(1, TimeUnit.SECONDS));
      assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5));
      ExecutionException later = assertThrows(ExecutionException.class, () -> c.status().get(1, TimeUnit.SECONDS));
      assertInstanceOf(ShipperException.class, later.getCause());
      assertFalse(c.isOpen());
    }
  }

  @Test
  void tls_endToEnd_verifyingCertificateAndHostName() throws Exception {
    Path cert = Path.of(getClass().getResource("/tls/cert.pem").toURI());
    Path key = Path.of(getClass().getResource("/tls/key.pem").toURI());
    start("tls:\n  cert: " + cert + "\n  key: " + key + "\n");
    List<Written> written = writeFile("a.cairn");
    try (ShipperClient c = ShipperClient.builder("localhost", shipper.pullAddress().getPort(), SECRET.getBytes(UTF_8))
        .tls(cert).connect().get(10, TimeUnit.SECONDS)) {
      awaitJournaled(c, written.size());
      assertEquals("true", c.status().get(10, TimeUnit.SECONDS).get("server.tls"));
      Batch b = c.pull(0, 0, 0).get(10, TimeUnit.SECONDS);
      assertEquals(written.size(), b.entries().size());
      for (int i = 0; i < written.size(); i++) {
        assertBlock(written.get(i), b.entries().get(i));
      }
    }
    // A plain client on the TLS port: no HELLO ever comes; refused by the handshake timeout or a close.
    CompletableFuture<ShipperClient> plain = ShipperClient.builder("127.0.0.1", shipper.pullAddress().getPort(),
        SECRET.getBytes(UTF_8)).handshakeTimeout(java.time.Duration.ofSeconds(2)).connect();
    ExecutionException e = assertThrows(ExecutionException.class, () -> plain.get(10, TimeUnit.SECONDS));
    assertInstanceOf(ShipperException.class, e.getCause());
  }
}
