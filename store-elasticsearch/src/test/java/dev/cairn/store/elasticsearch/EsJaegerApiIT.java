package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.TraceNote;
import dev.cairn.store.WriteBatch;
import dev.cairn.ui.UiConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn ui} on Elasticsearch answers the Jaeger query API exactly as on the embedded store:
 * the same traces, written in the same batches into both, read through a {@link JaegerApiPair}
 * of query servers ({@code store.type: elasticsearch} and {@code embedded}), and the JSON bodies
 * compared byte for byte.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EsJaegerApiIT {
  private static final long T0 = 1_763_700_000_000_000L; // 2025-11-21T04:40:00Z
  private static final long MS = 1_000L;

  private final Random random = new Random(0x1A);
  private final String prefix = EsTesting.newPrefix();

  @TempDir
  Path dir;

  @AfterEach
  void deleteIndices() throws Exception {
    EsTesting.deleteAll(prefix);
  }

  @Test
  void jaegerApi_onElasticsearch_answersAsOnTheEmbeddedStore() throws Exception {
    List<TraceId> ids = new ArrayList<>();
    List<WriteBatch> batches = new ArrayList<>();
    for (int b = 0; b < 4; b++) {
      List<StoredSpan> spans = new ArrayList<>();
      List<TraceNote> notes = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        TraceId t = new TraceId(random.nextLong(), random.nextLong() | 1);
        ids.add(t);
        spans.addAll(trace(t, T0 + (b * 10 + i) * 1_700 * MS, i % 4 == 0));
        notes.add(new TraceNote(t, i % 3 != 0, i % 3 != 0 ? List.of()
            : List.of("parent 1 of span 2 never arrived")));
      }
      batches.add(new WriteBatch(spans, List.of(), notes));
    }
    // the same spans pulled again: neither store counts them twice
    batches.add(WriteBatch.ofSpans(batches.get(1).spans()));

    Path embeddedDir = dir.resolve("store");
    try (SpanStore embedded = EmbeddedSpanStore.open(embeddedDir)) {
      for (WriteBatch b : batches) {
        embedded.writer().write(b);
      }
    }
    try (SpanStore es = EsTesting.store(prefix).build()) {
      for (WriteBatch b : batches) {
        es.writer().write(b);
      }
    }

    try (JaegerApiPair apis = JaegerApiPair.start(prefix, embeddedDir)) {
      long endMs = (T0 + 2 * 60_000_000L) / 1000;
      List<String> paths = new ArrayList<>(List.of(
          "/api/services",
          "/api/services/cart/operations",
          "/api/operations?service=web",
          "/api/dependencies?endTs=" + endMs + "&lookback=600000",
          "/api/dependencies?endTs=" + (endMs - 30_000) + "&lookback=45000",
          "/api/traces?service=web&start=" + T0 + "&end=" + (T0 + 600_000_000L) + "&limit=100",
          "/api/traces?service=cart&tags=%7B%22http.status_code%22%3A%22500%22%7D&start=" + T0
              + "&end=" + (T0 + 600_000_000L) + "&limit=20",
          "/api/traces?service=web&minDuration=41ms&start=" + T0 + "&end="
              + (T0 + 600_000_000L)));
      for (TraceId t : ids.subList(0, 8)) {
        paths.add("/api/traces/" + t.hex());
      }
      paths.add("/api/traces/" + new TraceId(7, 7).hex()); // unknown: the same 404
      apis.assertSameAnswers(paths);
      String deps = apis.onEs(paths.get(3)).body();
      assertTrue(deps.contains("\"parent\":\"web\",\"child\":\"cart\",\"callCount\":40"), deps);
      String all = apis.onEs(paths.get(5)).body();
      for (TraceId t : ids) {
        assertTrue(all.contains(t.hex()), t.hex());
      }
      String failing = apis.onEs(paths.get(6)).body();
      assertTrue(failing.contains(ids.get(0).hex()) && !failing.contains(ids.get(1).hex()),
          failing);
      assertEquals(404, apis.onEs(paths.get(paths.size() - 1)).statusCode());
      String status = apis.onEs("/api/cairn/status").body();
      assertTrue(status.contains("elasticsearch"), status);
    }
  }

  @Test
  void uiConfig_elasticsearch_namesTheBadSetting() {
    UiConfig.ConfigException noUrls = assertThrows(UiConfig.ConfigException.class,
        () -> UiConfig.load(null, List.of("store.type=elasticsearch"), Map.of(), Map.of()));
    assertTrue(noUrls.getMessage().contains("store.elasticsearch.urls"), noUrls.getMessage());
    UiConfig.ConfigException shards = assertThrows(UiConfig.ConfigException.class,
        () -> UiConfig.load(null, List.of("store.type=elasticsearch",
            "store.elasticsearch.urls=http://127.0.0.1:9200", "store.elasticsearch.shards=0"),
            Map.of(), Map.of()));
    assertTrue(shards.getMessage().contains("store.elasticsearch.shards"), shards.getMessage());
    UiConfig ok = UiConfig.load(null, List.of(), Map.of(
        "CAIRN_UI_STORE_TYPE", "elasticsearch",
        "CAIRN_UI_STORE_ELASTICSEARCH_URLS", "http://es1:9200",
        "CAIRN_UI_STORE_ELASTICSEARCH_USERNAME", "cairn",
        "CAIRN_UI_STORE_ELASTICSEARCH_PASSWORD", "secret"), Map.of());
    assertEquals(Map.of("urls", "http://es1:9200", "username", "cairn", "password", "secret"),
        ok.storeSettings());
    assertEquals("********", ok.describe().get("store.elasticsearch.password"));
  }

  /** web → cart → db, with tags; a failing trace's cart span answers 500. */
  private List<StoredSpan> trace(TraceId t, long start, boolean fails) {
    SpanRecord root = span(t, 0, "web", "GET /cart", start, 45 * MS, SpanKind.SERVER)
        .addAttribute("http.route", "/cart").build();
    SpanRecord cart = span(t, root.spanId(), "cart", "load", start + 2 * MS, 30 * MS,
        SpanKind.SERVER).addAttribute("http.status_code", fails ? 500L : 200L)
        .status(fails ? StatusCode.ERROR : StatusCode.OK, "").build();
    SpanRecord db = span(t, cart.spanId(), "db", "select", start + 5 * MS,
        (10 + random.nextInt(20)) * MS, SpanKind.CLIENT).addAttribute("db.rows", 3L).build();
    return List.of(StoredSpan.of(root), new StoredSpan(cart, "web"), new StoredSpan(db, "cart"));
  }

  private SpanRecord.Builder span(TraceId t, long parent, String service, String name,
      long start, long micros, SpanKind kind) {
    return SpanRecord.builder().traceId(t.high(), t.low()).spanId(random.nextLong() | 1)
        .parentSpanId(parent).service(service).name(name).kind(kind).startMicros(start)
        .durationMicros(micros);
  }
}
