package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.MinuteAggregate;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

/**
 * What only Elasticsearch can do to a store: go away and come back, refuse for load (429), and be
 * handed attribute values that would conflict in a mapping with a field per key.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EsSpanStoreFailuresIT {
  private static final long T0 = 1_763_700_000_000_000L; // 2025-11-21T04:40:00Z
  private static final long MS = 1_000L;
  private static final long MINUTE = 60_000_000L;

  private final Random random = new Random(0xE5);
  @RegisterExtension final EsScope es = new EsScope();

  private EsSpanStore open(EsSpanStore.Builder b) throws StoreException {
    return es.open(b);
  }

  @Test
  void restartDuringWrites_losesNothing_andStoresEachSpanOnce() throws Exception {
    EsSpanStore store = open(EsTesting.store(es.prefix()).retryFor(Duration.ofSeconds(60)));
    List<List<StoredSpan>> batches = new ArrayList<>();
    List<TraceId> traces = new ArrayList<>();
    for (int b = 0; b < 30; b++) {
      List<StoredSpan> batch = new ArrayList<>();
      for (int t = 0; t < 10; t++) {
        TraceId id = newTraceId();
        traces.add(id);
        batch.addAll(trace(id, T0 + (b * 10 + t) * 100 * MS, 3));
      }
      batches.add(batch);
    }
    AtomicInteger written = new AtomicInteger();
    AtomicInteger failedWrites = new AtomicInteger();
    ExecutorService writer = Executors.newSingleThreadExecutor();
    try {
      Future<?> done = writer.submit(() -> {
        for (List<StoredSpan> batch : batches) {
          while (true) { // as the puller does: a failed batch is written again
            try {
              store.writer().write(WriteBatch.ofSpans(batch));
              break;
            } catch (StoreException e) {
              failedWrites.incrementAndGet();
            }
          }
          written.incrementAndGet();
          Thread.sleep(50);
        }
        return null;
      });
      while (written.get() < 5) {
        Thread.sleep(20);
      }
      EsNode.shared().restart();
      done.get(4, TimeUnit.MINUTES);
    } finally {
      writer.shutdownNow();
    }

    assertTrue(store.stats().retries() > 0, "writes were retried while Elasticsearch was down: "
        + store.stats());
    for (int i = 0; i < traces.size(); i++) {
      Trace t = store.reader().trace(traces.get(i)).orElseThrow(AssertionError::new);
      assertEquals(3, t.spans().size(), "trace " + i);
      assertEquals(3, t.summary().spanCount(), "trace " + i);
      assertEquals("web", t.summary().rootService(), "trace " + i);
    }
    long spans = store.reader().aggregates("web", "", T0, T0 + 60 * MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum()
        + store.reader().aggregates("cart", "", T0, T0 + 60 * MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum();
    assertEquals(traces.size() * 3L, spans, "each span stored once");
    assertEquals(traces.size(), store.reader().findTraces(TraceQuery.builder()
        .limit(TraceQuery.MAX_LIMIT).build()).size());
  }

  @Test
  void overloaded429_isRetried_untilElasticsearchAccepts() throws Exception {
    try (RejectingProxy proxy = new RejectingProxy(EsNode.shared().url())) {
      EsSpanStore store = open(EsTesting.store(proxy.url(), es.prefix()));
      TraceId t = newTraceId();
      proxy.rejectNextBulks(3);

      WriteResult r = store.writer().write(WriteBatch.ofSpans(trace(t, T0, 4)));

      assertEquals(new WriteResult(4, 0, 0), r);
      assertEquals(3, proxy.rejected.get());
      assertTrue(store.stats().retries() >= 3, store.stats().toString());
      assertEquals(4, store.reader().trace(t).orElseThrow().spans().size());
    }
  }

  @Test
  void overloadedLongerThanRetryFor_failsTheWrite_andTheSameBatchLaterSucceeds() throws Exception {
    try (RejectingProxy proxy = new RejectingProxy(EsNode.shared().url())) {
      EsSpanStore store = open(EsTesting.store(proxy.url(), es.prefix())
          .retryFor(Duration.ofMillis(500)));
      TraceId t = newTraceId();
      WriteBatch batch = WriteBatch.ofSpans(trace(t, T0, 2));
      proxy.rejectNextBulks(Integer.MAX_VALUE);

      StoreException e = assertThrows(StoreException.class, () -> store.writer().write(batch));

      assertTrue(e.getMessage().contains("429"), e.getMessage());
      proxy.rejectNextBulks(0);
      assertEquals(new WriteResult(2, 0, 0), store.writer().write(batch));
      assertEquals(2, store.reader().trace(t).orElseThrow().spans().size());
    }
  }

  @Test
  void bulkRequests_holdAtMostBulkMaxDocuments() throws Exception {
    try (RejectingProxy proxy = new RejectingProxy(EsNode.shared().url())) {
      EsSpanStore store = open(EsTesting.store(proxy.url(), es.prefix()).bulkMaxDocuments(10));
      List<StoredSpan> spans = new ArrayList<>();
      for (int i = 0; i < 19; i++) {
        spans.addAll(trace(newTraceId(), T0 + i * MS, 5));
      }
      int before = proxy.bulks.get();

      WriteResult r = store.writer().write(WriteBatch.ofSpans(spans));

      assertEquals(new WriteResult(95, 0, 0), r);
      assertEquals(1 + 10 + 1 + 1, proxy.bulks.get() - before,
          "the write's intent, 10 bulks of spans, the intent's seal, 1 of summaries");
    }
  }

  @Test
  void oddAttributeValues_neverConflict_everySpanStoredAndSearchable() throws Exception {
    EsSpanStore store = open(EsTesting.store(es.prefix()));
    String huge = "x".repeat(40_000);
    Object[] values = {503L, "five hundred", true, 2.5, Double.NaN, List.of(1L, 2L),
        List.of("a", "b"), huge, "", -0.0};
    List<TraceId> ids = new ArrayList<>();
    for (Object v : values) { // one batch each: every type comes after another one is indexed
      TraceId t = newTraceId();
      ids.add(t);
      SpanRecord s = span(t, 0, "web", "GET /", T0, MS)
          .addAttribute("odd", v)
          .addAttribute("odd.nested", v) // "odd" as a leaf and as an object: a mapping conflict
          .addAttribute("", v)           // elsewhere, and an empty key
          .addAttribute("a.b.c.d.e.f.g.h", v).build();
      assertEquals(new WriteResult(1, 0, 0),
          store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(s)))));
    }

    for (int i = 0; i < values.length; i++) {
      Object v = values[i];
      assertEquals(1, store.reader().trace(ids.get(i)).orElseThrow().spans().size());
      if (v instanceof List<?> list) {
        for (Object e : list) {
          assertEquals(List.of(ids.get(i)), found(store, "odd", String.valueOf(e)), "element " + e);
        }
      } else if (v != huge) {
        assertEquals(List.of(ids.get(i)), found(store, "odd", String.valueOf(v)), "value " + v);
        assertEquals(List.of(ids.get(i)), found(store, "odd.nested", String.valueOf(v)));
      }
    }
    assertEquals(List.of(ids.get(7)), found(store, "odd", huge), "a value above the term limit");
    assertEquals(List.of(ids.get(0)), found(store, "", "503"));
    assertEquals(List.of(ids.get(2)), found(store, "a.b.c.d.e.f.g.h", "true"));
  }

  @Test
  void documentRefusedByElasticsearch_failsTheWriteLoudly_nothingDroppedSilently() throws Exception {
    EsSpanStore store = open(EsTesting.store(es.prefix()));
    // someone created the day's span index by hand, with "tag" as a number
    String day = new EsIndices(es.prefix()).daily(EsIndices.SPAN, T0);
    EsTesting.send("PUT", "/" + day, "{\"mappings\":{\"properties\":{\"tag\":{\"type\":\"long\"}}}}");
    TraceId t = newTraceId();
    SpanRecord s = span(t, 0, "web", "GET /", T0, MS).addAttribute("http.route", "/cart").build();
    WriteBatch batch = WriteBatch.ofSpans(List.of(StoredSpan.of(s)));

    StoreException e = assertThrows(StoreException.class, () -> store.writer().write(batch));

    assertTrue(e.getMessage().contains("span " + s.traceIdHex() + "/" + s.spanIdHex()),
        e.getMessage());
    assertTrue(e.getMessage().contains("400"), e.getMessage());
    assertEquals(1, store.stats().rejectedDocuments());
    EsTesting.send("DELETE", "/" + day, null); // the operator removes the bad index
    assertEquals(new WriteResult(1, 0, 0), store.writer().write(batch));
    assertEquals(List.of(t), found(store, "http.route", "/cart"));
  }

  @Test
  void traceStartMovingToTheDayBefore_movesItsSummary() throws Exception {
    EsSpanStore store = open(EsTesting.store(es.prefix()));
    long midnight = 1_763_769_600_000_000L; // 2025-11-22T00:00:00Z
    TraceId t = newTraceId();
    long rootId = random.nextLong() | 1;
    SpanRecord child = span(t, rootId, "cart", "load", midnight + 5 * MS, MS).build();
    SpanRecord root = SpanRecord.builder().traceId(t.high(), t.low()).spanId(rootId)
        .service("web").name("GET /").startMicros(midnight - 10 * MS).durationMicros(20 * MS)
        .build();

    store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(child))));
    store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(root))));

    List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder().build());
    assertEquals(1, found.size(), found.toString());
    assertEquals(midnight - 10 * MS, found.get(0).startMicros());
    assertEquals("web", found.get(0).rootService());
    String count = EsTesting.send("GET", "/" + es.prefix() + "-trace-*/_count", null);
    assertTrue(count.contains("\"count\":1,"), count);
  }

  /**
   * Two stores (two pullers) and several threads write overlapping parts of the same traces, each
   * span several times: every summary, aggregate and dependency link counts each span exactly
   * once, whichever writer stored it first.
   */
  @Test
  void concurrentWritersOfTheSameTraces_countEachSpanOnce() throws Exception {
    EsSpanStore a = open(EsTesting.store(es.prefix()));
    EsSpanStore b = open(EsTesting.store(es.prefix()));
    List<TraceId> ids = new ArrayList<>();
    List<StoredSpan> all = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      TraceId t = newTraceId();
      ids.add(t);
      all.addAll(trace(t, T0 + i * 7 * MS, 10));
    }
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < 6; w++) {
      EsSpanStore store = w % 2 == 0 ? a : b;
      List<StoredSpan> mine = new ArrayList<>(all);
      java.util.Collections.shuffle(mine, new Random(w));
      done.add(pool.submit(() -> {
        for (int i = 0; i < mine.size(); i += 25) {
          store.writer().write(WriteBatch.ofSpans(mine.subList(i, Math.min(mine.size(), i + 25))));
        }
        return null;
      }));
    }
    for (Future<?> f : done) {
      f.get(2, TimeUnit.MINUTES);
    }
    pool.shutdown();

    for (TraceId t : ids) {
      TraceSummary s = a.reader().trace(t).orElseThrow().summary();
      assertEquals(10, s.spanCount(), t.hex());
      assertEquals("web", s.rootService());
      assertEquals(List.of("cart", "web"), s.services());
      assertEquals(s, b.reader().findTraces(TraceQuery.builder().service("web")
          .limit(100).build()).stream().filter(x -> x.traceId().equals(t)).findFirst()
          .orElseThrow());
    }
    assertEquals(20 * 9, a.reader().aggregates("cart", "", T0 - MINUTE, T0 + MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum());
    assertEquals(20, b.reader().aggregates("web", "", T0 - MINUTE, T0 + MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum());
    assertEquals(List.of(new dev.cairn.store.DependencyLink("web", "cart", 180, 0)),
        a.reader().dependencies(T0 + MINUTE, 2 * MINUTE));
    assertEquals(0, a.stats().pendingDeltas() + b.stats().pendingDeltas());
  }

  /** A store that only reads (a UI process) sees another's writes within the refresh interval. */
  @Test
  void aReadingProcess_seesWritesWithinTheRefreshInterval() throws Exception {
    EsSpanStore writer = open(EsTesting.store(es.prefix()));
    EsSpanStore reader = open(EsTesting.store(es.prefix()));
    TraceId t = newTraceId();
    writer.writer().write(WriteBatch.ofSpans(trace(t, T0, 3)));
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (reader.reader().trace(t).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertEquals(3, reader.reader().trace(t).orElseThrow().summary().spanCount());
  }

  @Test
  void retentionJob_deletesDailyIndicesOlderThanTheAge() throws Exception {
    EsSpanStore store = open(EsTesting.store(es.prefix()));
    long now = System.currentTimeMillis() * 1000;
    TraceId old = newTraceId();
    TraceId recent = newTraceId();
    store.writer().write(WriteBatch.ofSpans(trace(old, T0, 2)));
    store.writer().write(WriteBatch.ofSpans(trace(recent, now - 60_000_000L, 2)));
    EsIndices indices = new EsIndices(es.prefix());
    String oldSpans = indices.daily(EsIndices.SPAN, T0);
    assertTrue(EsTesting.send("GET", "/_cat/indices/" + es.prefix() + "-*?h=index", null)
        .contains(oldSpans));

    // a second store on the same prefix with retention: its job runs at start
    EsSpanStore retaining = open(EsTesting.store(es.prefix()).retention(Duration.ofDays(7)));
    long deadline = System.currentTimeMillis() + 60_000;
    while (retaining.stats().retentionDeletedIndices() == 0
        && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }

    assertEquals(4, retaining.stats().retentionDeletedIndices(), "the old day's span, trace,"
        + " aggregate and dependency indices");
    String left = EsTesting.send("GET", "/_cat/indices/" + es.prefix() + "-*?h=index", null);
    assertFalse(left.contains(oldSpans), left);
    assertTrue(left.contains(indices.daily(EsIndices.SPAN, now)), left);
    assertTrue(store.reader().trace(old).isEmpty());
    assertEquals(2, store.reader().trace(recent).orElseThrow().spans().size());
    assertEquals(List.of(), store.deleteIndicesOlderThan(Duration.ofDays(7)), "nothing left");
  }

  @Test
  void check_unreachable_isUnhealthy() throws Exception {
    EsSpanStore store = open(EsTesting.store(URI.create("http://127.0.0.1:" + EsNode.freePort()),
        es.prefix()));
    assertFalse(store.check().healthy());
    assertTrue(store.check().message().contains("unreachable"), store.check().message());
  }

  // ---------------------------------------------------------------- helpers

  private static List<TraceId> found(EsSpanStore store, String key, String value)
      throws StoreException {
    return store.reader().findTraces(TraceQuery.builder().tag(key, value).build()).stream()
        .map(TraceSummary::traceId).toList();
  }

  private TraceId newTraceId() {
    return new TraceId(random.nextLong(), random.nextLong() | 1);
  }

  private SpanRecord.Builder span(TraceId t, long parent, String service, String name,
      long start, long micros) {
    return SpanRecord.builder().traceId(t.high(), t.low()).spanId(random.nextLong() | 1)
        .parentSpanId(parent).service(service).name(name).startMicros(start)
        .durationMicros(micros);
  }

  /** A "web" root and n − 1 "cart" children, the children's parent service known. */
  private List<StoredSpan> trace(TraceId t, long start, int n) {
    SpanRecord root = span(t, 0, "web", "GET /", start, 50 * MS).build();
    List<StoredSpan> out = new ArrayList<>(List.of(StoredSpan.of(root)));
    for (int i = 1; i < n; i++) {
      out.add(new StoredSpan(span(t, root.spanId(), "cart", "load", start + i * MS, MS).build(),
          "web"));
    }
    return out;
  }
}
