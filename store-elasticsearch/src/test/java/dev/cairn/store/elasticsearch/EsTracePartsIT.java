package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.MinuteAggregate;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trace parts: one document per trace and write, whichever way batches are cut, large traces cut
 * into several parts, and indices of the older one-document-per-span layout refused.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EsTracePartsIT {
  private static final long T0 = 1_763_700_000_000_000L; // 2025-11-21T04:40:00Z
  private static final long MS = 1_000L;
  private static final long MINUTE = 60_000_000L;

  private final Random random = new Random(0xA7);
  private String prefix;
  private EsSpanStore store;

  @BeforeEach
  void open() throws StoreException {
    prefix = EsTesting.newPrefix();
    store = EsTesting.store(prefix).build();
  }

  @AfterEach
  void cleanUp() throws Exception {
    store.close();
    EsTesting.deleteAll(prefix);
  }

  @Test
  void batchesCutDifferently_storeEachSpanOnce_onePartPerWrite() throws Exception {
    TraceId t = newTraceId();
    List<StoredSpan> spans = trace(t, T0, 12, "");

    assertEquals(new WriteResult(6, 0, 0), write(spans.subList(0, 6)));
    assertEquals(new WriteResult(4, 3, 0), write(spans.subList(3, 10)));
    assertEquals(new WriteResult(2, 10, 0), write(spans));
    assertEquals(new WriteResult(0, 12, 0), write(spans));

    Trace trace = store.reader().trace(t).orElseThrow();
    assertEquals(sorted(spans), trace.spans());
    assertEquals(12, trace.summary().spanCount());
    assertEquals(11, store.reader().aggregates("cart", "", T0 - MINUTE, T0 + MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum(), "each span counted once");
    assertEquals(3, parts(), "one part per write that stored spans");
  }

  @Test
  void aTraceAboveOneMiB_isCutIntoParts_andReadWhole() throws Exception {
    TraceId t = newTraceId();
    List<StoredSpan> spans = new ArrayList<>();
    for (StoredSpan s : trace(t, T0, 60, "")) { // 60 spans of 30 kB: 1.8 MB of records
      SpanRecord.Builder b = s.span().toBuilder();
      for (int i = 0; i < 3; i++) {
        b.addAttribute("payload." + i, "p".repeat(10_000) + random.nextLong());
      }
      spans.add(new StoredSpan(b.build(), s.parentService()));
    }

    assertEquals(new WriteResult(60, 0, 0), write(spans));
    assertEquals(new WriteResult(0, 60, 0), write(spans));

    long parts = parts();
    assertTrue(parts >= 2 && parts <= 3, parts + " parts of about 1 MiB for 1.8 MB of spans");
    Trace trace = store.reader().trace(t).orElseThrow();
    assertEquals(sorted(spans), trace.spans());
    assertEquals(60, trace.summary().spanCount());
  }

  @Test
  void aCallWhoseParentIsInAnotherPart_countsInTheCutMinutesOfAWindow() throws Exception {
    TraceId t = newTraceId();
    List<StoredSpan> spans = trace(t, T0 + 10 * MS, 2, "web");
    write(spans.subList(0, 1)); // the root
    write(spans.subList(1, 2)); // its child, in another part; its parent's service known
    long child = spans.get(1).span().startMicros();

    // a window inside one minute: counted from the parts, not the per-minute documents
    assertEquals(List.of(new DependencyLink("web", "cart", 1, 0)),
        store.reader().dependencies(child + 5, 10));
    assertEquals(List.of(), store.reader().dependencies(child - 1, 10));
  }

  @Test
  void indicesOfAnOlderLayout_areRefused_namingThem() throws Exception {
    String old = new EsIndices(prefix).daily(EsIndices.SPAN, T0);
    EsTesting.send("PUT", "/" + old, "{\"mappings\":{\"_meta\":{\"cairn.layout\":1},"
        + "\"properties\":{\"traceId\":{\"type\":\"keyword\"}}}}");

    StoreException e = assertThrows(StoreException.class, () -> EsTesting.store(prefix).build());

    assertTrue(e.getMessage().contains(old), e.getMessage());
    assertTrue(e.getMessage().contains("layout 1 (one document per span"), e.getMessage());
    EsTesting.send("DELETE", "/" + old, null);
    try (EsSpanStore again = EsTesting.store(prefix).build()) {
      TraceId t = newTraceId();
      assertEquals(new WriteResult(3, 0, 0),
          again.writer().write(WriteBatch.ofSpans(trace(t, T0, 3, ""))));
    }
  }

  @Test
  void tracesStartingInTheSameMicrosecond_areListedAsTheEmbeddedStoreListsThem(@TempDir Path dir)
      throws Exception {
    List<StoredSpan> spans = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      spans.addAll(trace(newTraceId(), T0, 2, "web"));
    }
    write(spans);
    try (EmbeddedSpanStore embedded = EmbeddedSpanStore.open(dir)) {
      embedded.writer().write(WriteBatch.ofSpans(spans));
      for (TraceQuery q : List.of(
          TraceQuery.builder().service("web").limit(4).build(), // summaries only
          TraceQuery.builder().service("cart").operation("load").limit(4).build())) { // parts
        List<TraceId> expected = embedded.reader().findTraces(q).stream()
            .map(TraceSummary::traceId).toList();
        assertEquals(4, expected.size());
        assertEquals(expected, store.reader().findTraces(q).stream()
            .map(TraceSummary::traceId).toList(), "ties by trace ID ascending: " + q);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private WriteResult write(List<StoredSpan> spans) throws StoreException {
    return store.writer().write(WriteBatch.ofSpans(spans));
  }

  /** Part documents of this test's prefix (refreshed first). */
  private long parts() throws Exception {
    EsTesting.send("POST", "/" + prefix + "-span-*/_refresh", null);
    String count = EsTesting.send("GET", "/" + prefix + "-span-*/_count", null);
    return Long.parseLong(count.replaceAll(".*\"count\":(\\d+).*", "$1"));
  }

  private static List<SpanRecord> sorted(List<StoredSpan> spans) {
    return spans.stream().map(StoredSpan::span)
        .sorted(Comparator.comparingLong(SpanRecord::startMicros)
            .thenComparing(SpanRecord::spanId, Long::compareUnsigned))
        .toList();
  }

  private TraceId newTraceId() {
    return new TraceId(random.nextLong(), random.nextLong() | 1);
  }

  /** A "web" root and n − 1 "cart" children; {@code parentService} on the children. */
  private List<StoredSpan> trace(TraceId t, long start, int n, String parentService) {
    return EsTesting.webTrace(random, t, start, n, parentService);
  }
}
