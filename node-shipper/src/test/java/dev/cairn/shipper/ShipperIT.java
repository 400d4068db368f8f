package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.core.testing.TestSpans;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipper end to end, as {@code cairn shipper} runs it: started from a shipper.yaml, span files
 * written by trace-core's TestFiles, journaled (watched through /metrics), pulled and fetched over
 * the wire by a puller, then stopped, restarted and pulled on without a block lost or repeated.
 */
class ShipperIT {
  static final String SECRET = "0123456789abcdef0123456789abcdef";
  static final int BLOCKS_PER_FILE = 8;
  static final int SPANS_PER_BLOCK = 20;

  @TempDir Path tmp;
  Path spans;
  Path configFile;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  final TestSpans gen = new TestSpans(42);

  /** A block written to a span file: its file, offset, bytes and the spans in it. */
  record Written(UUID fileId, long offset, byte[] bytes, List<SpanRecord> spans) {}

  @BeforeEach
  void config() throws IOException {
    spans = Files.createDirectories(tmp.resolve("spans"));
    configFile = tmp.resolve("shipper.yaml");
    Files.writeString(configFile, """
        name: it-shipper
        spans: spans/
        journal:
          primary: journal/primary
          replica: journal/replica
          rollCycle: 1h
        auth:
          secret: "%s"
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(SECRET), UTF_8);
  }

  private List<Written> writeFile(String name) throws Exception {
    List<SpanRecord> records = new ArrayList<>();
    for (int i = 0; i < BLOCKS_PER_FILE * SPANS_PER_BLOCK; i++) {
      records.add(gen.httpServerSpan());
    }
    // Written elsewhere, then moved in whole: the tailer must not see a half-written test file.
    Path staged = tmp.resolve(name);
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

  private ShipperConfig load() {
    return ShipperConfig.load(configFile, List.of(), Map.of(), Map.of());
  }

  @Test
  void filesAreJournaledPulledAndFetched_andARestartNeitherLosesNorRepeatsABlock() throws Exception {
    List<Written> first = new ArrayList<>();
    for (String name : List.of("a.cairn", "b.cairn", "c.cairn")) {
      first.addAll(writeFile(name));
    }

    Shipper shipper = Shipper.start(load());
    try {
      PrometheusParser m = awaitMetric(shipper, "cairn_shipper_journaled_blocks_total", first.size());
      assertEquals(Optional.of((double) first.size()), m.value("cairn_shipper_journal_last_seq"));
      assertEquals(Optional.of((double) first.size() * SPANS_PER_BLOCK), m.value("cairn_shipper_journaled_records_total"));
      assertEquals(Optional.of(1.0), m.value("cairn_shipper_journal_serving_from", "copy", "primary"));
      assertEquals(Optional.of(1.0), m.value("cairn_shipper_ingest_alive"));
      String doc = Files.readString(Path.of("../docs/shipper-config.md"), UTF_8);
      for (String family : m.families.keySet()) {
        assertTrue(doc.contains("`" + family), family + " is not documented in docs/shipper-config.md");
      }
      HttpResponse<String> health = get(shipper, "/health");
      assertEquals(200, health.statusCode(), health.body());
      assertTrue(health.body().startsWith("{\"status\":\"UP\",\"name\":\"it-shipper\""), health.body());

      int fetchedBlocks;
      try (PullClient client = PullClient.connect(shipper.pullAddress().getPort()).login(SECRET.getBytes(UTF_8))) {
        List<BlockEntry> pulled = pullAll(client, 1);
        assertBlocks(first, pulled, 1);

        // FETCH every block of one trace: the span in the middle of file b.
        Written target = first.get(BLOCKS_PER_FILE + 3);
        SpanRecord span = target.spans().get(7);
        FetchResult fetched = client.fetch(1, 1 << 20, List.of(new TraceId(span.traceIdHigh(), span.traceIdLow())));
        assertTrue(fetched.entries().stream().anyMatch(e -> e.fileId().equals(target.fileId())
            && e.offset() == target.offset()), "FETCH returns the block holding the trace");
        fetchedBlocks = fetched.entries().size();
      }
      PrometheusParser after = metrics(shipper);
      assertEquals(Optional.of((double) first.size() + fetchedBlocks), after.value("cairn_shipper_pull_served_blocks_total"));
      assertEquals(Optional.of((double) first.size()), after.value("cairn_shipper_pulled_seq"));
      assertEquals(Optional.of(1.0), after.value("cairn_shipper_pull_requests_total", "type", "fetch"));
    } finally {
      shipper.close();
    }

    // A second run: the three files are not journaled again; a new file is, after them.
    List<Written> second = writeFile("d.cairn");
    Shipper again = Shipper.start(load());
    try {
      PrometheusParser m = awaitMetric(again, "cairn_shipper_journal_last_seq", first.size() + second.size());
      assertEquals(Optional.of((double) second.size()), m.value("cairn_shipper_journaled_blocks_total"),
          "only the new file's blocks are journaled by the second run");
      assertEquals(Optional.of((double) first.size()), m.value("cairn_shipper_pulled_seq"),
          "the pullers' mark survived the restart");
      try (PullClient client = PullClient.connect(again.pullAddress().getPort()).login(SECRET.getBytes(UTF_8))) {
        List<BlockEntry> all = pullAll(client, 1);
        List<Written> expected = new ArrayList<>(first);
        expected.addAll(second);
        assertBlocks(expected, all, 1);
      }
    } finally {
      again.close();
    }
  }

  @Test
  void unexpectedFailureInTheIngestLoop_isCountedAndIngestGoesOn() throws Exception {
    Shipper shipper = Shipper.start(load());
    try {
      java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger(3);
      shipper.beforePollForTest = () -> {
        if (failures.getAndDecrement() > 0) {
          throw new IllegalStateException("injected: a bug in the ingest loop");
        }
      };
      List<Written> written = writeFile("after-failures.cairn");
      PrometheusParser m = awaitMetric(shipper, "cairn_shipper_journaled_blocks_total", written.size());
      assertTrue(m.value("cairn_shipper_ingest_errors_total").orElse(0.0) >= 3, "the failures were counted");
      assertEquals(Optional.of(1.0), m.value("cairn_shipper_ingest_alive"));
      assertEquals(200, get(shipper, "/health").statusCode());
    } finally {
      shipper.close();
    }
  }

  @Test
  void startFailure_closesWhatWasOpened_andNamesTheCause() throws Exception {
    Shipper running = Shipper.start(load());
    try {
      // The same journal twice: refused by the journal's lock, the running shipper unharmed.
      Exception sameJournal = assertThrows(Exception.class,
          () -> Shipper.start(ShipperConfig.load(configFile, List.of("state=" + tmp.resolve("state2")), Map.of(), Map.of())));
      assertTrue(sameJournal.getMessage() != null && !sameJournal.getMessage().isBlank(), sameJournal.toString());

      // Other journals, but the running shipper's pull port: fails naming the address, and
      // releases the journal it had opened, so a later start on those journals succeeds.
      List<String> other = List.of("journal.primary=" + tmp.resolve("o/p"), "journal.replica=" + tmp.resolve("o/r"));
      List<String> samePort = new ArrayList<>(other);
      samePort.add("listen=127.0.0.1:" + running.pullAddress().getPort());
      IOException portInUse = assertThrows(IOException.class,
          () -> Shipper.start(ShipperConfig.load(configFile, samePort, Map.of(), Map.of())));
      assertTrue(portInUse.getMessage().contains("127.0.0.1:" + running.pullAddress().getPort()), portInUse.getMessage());
      Shipper.start(ShipperConfig.load(configFile, other, Map.of(), Map.of())).close();

      assertEquals(200, get(running, "/health").statusCode());
    } finally {
      running.close();
    }
  }

  /** PULLs from {@code cursor} until an answer is empty; entries copied out of the frames. */
  private static List<BlockEntry> pullAll(PullClient client, long cursor) throws Exception {
    List<BlockEntry> out = new ArrayList<>();
    while (true) {
      Batch b = client.pull(cursor, 256 << 10, 0);
      if (b.entries().isEmpty()) {
        return out;
      }
      for (BlockEntry e : b.entries()) {
        ByteBuffer copy = ByteBuffer.allocate(e.block().remaining()).put(e.block().duplicate()).flip();
        out.add(new BlockEntry(e.seq(), e.fileId(), e.offset(), copy));
      }
      cursor = b.nextCursor();
    }
  }

  /** Every written block exactly once, with its bytes, in order per file, under contiguous seqs. */
  private static void assertBlocks(List<Written> written, List<BlockEntry> pulled, long firstSeq) {
    assertEquals(written.size(), pulled.size(), "blocks pulled");
    Map<UUID, List<BlockEntry>> byFile = new LinkedHashMap<>();
    for (int i = 0; i < pulled.size(); i++) {
      assertEquals(firstSeq + i, pulled.get(i).seq(), "seqs are contiguous");
      byFile.computeIfAbsent(pulled.get(i).fileId(), k -> new ArrayList<>()).add(pulled.get(i));
    }
    Map<UUID, List<Written>> want = new HashMap<>();
    for (Written w : written) {
      want.computeIfAbsent(w.fileId(), k -> new ArrayList<>()).add(w);
    }
    assertEquals(want.keySet(), byFile.keySet());
    want.forEach((id, blocks) -> {
      List<BlockEntry> got = byFile.get(id);
      assertEquals(blocks.size(), got.size(), "blocks of " + id);
      for (int i = 0; i < blocks.size(); i++) {
        assertEquals(blocks.get(i).offset(), got.get(i).offset(), "order within " + id);
        byte[] bytes = new byte[got.get(i).block().remaining()];
        got.get(i).block().duplicate().get(bytes);
        assertArrayEquals(blocks.get(i).bytes(), bytes, "bytes of block " + i + " of " + id);
      }
    });
  }

  private PrometheusParser awaitMetric(Shipper s, String name, double value) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    PrometheusParser p;
    do {
      p = metrics(s);
      if (p.value(name).orElse(-1.0) == value) {
        return p;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    throw new AssertionError(name + " did not reach " + value + " in 30 s; last /metrics:\n" + get(s, "/metrics").body());
  }

  private PrometheusParser metrics(Shipper s) throws Exception {
    HttpResponse<String> r = get(s, "/metrics");
    assertEquals(200, r.statusCode());
    return PrometheusParser.parse(r.body());
  }

  private HttpResponse<String> get(Shipper s, String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.httpAddress().getPort() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
