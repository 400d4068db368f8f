package dev.cairn.puller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceAssemblerTest {
  private static final long QUIET = 2_000;
  private static final long MAX_WAIT = 30_000;
  private static final long GAP = 10_000;

  @TempDir Path dir;

  private EmbeddedSpanStore store;
  private Recording recording;
  private final long[] now = {1_000_000};
  private final List<GapFetch> gapFetches = new ArrayList<>();

  @BeforeEach
  void open() throws StoreException {
    store = EmbeddedSpanStore.open(dir);
    recording = new Recording(store.writer());
  }

  @AfterEach
  void close() throws Exception {
    store.close();
  }

  private TraceAssembler.Builder assembler() {
    return TraceAssembler.builder(recording)
        .clock(() -> now[0])
        .onGapFetch(gapFetches::add)
        .quietMillis(QUIET)
        .maxWaitMillis(MAX_WAIT)
        .gapFetchMillis(GAP);
  }

  private void advance(long ms) {
    now[0] += ms;
  }

  private static SpanRecord span(long trace, long id, long parent, String service) {
    return SpanRecord.builder().traceId(0, trace).spanId(id).parentSpanId(parent)
        .service(service).name("op" + id).startMicros(1_700_000_000_000_000L + id)
        .durationMicros(100).build();
  }

  private static LogRecord log(long trace, long spanId, String message) {
    return new LogRecord(0, trace, spanId, 1_700_000_000_000_000L, "INFO", "app", "main", message, "");
  }

  private Trace stored(long trace) throws StoreException {
    return store.reader().trace(new TraceId(0, trace)).orElseThrow();
  }

  private boolean isStored(long trace) throws StoreException {
    return store.reader().trace(new TraceId(0, trace)).isPresent();
  }

  @Test
  void completeTraceAcrossTwoHosts_writtenOnceAfterQuietPeriod() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(span(1, 2, 1, "cart"), "hostB", 5);        // the child first, from another host
    advance(500);
    a.add(span(1, 3, 2, "db"), "hostA", 7);
    advance(500);
    a.add(span(1, 1, 0, "web"), "hostA", 7);         // the root last
    a.tick();
    advance(QUIET - 1);
    a.tick();
    assertFalse(isStored(1), "complete, but still in its quiet period");
    assertTrue(recording.batches.isEmpty());

    advance(1);
    a.tick();
    a.tick();
    assertEquals(1, recording.batches.size(), "written once");
    Map<Long, String> parentService = new HashMap<>();
    for (StoredSpan s : recording.batches.get(0).spans()) {
      parentService.put(s.span().spanId(), s.parentService());
    }
    assertEquals(Map.of(1L, "", 2L, "web", 3L, "cart"), parentService);
    Trace t = stored(1);
    assertEquals(3, t.spans().size());
    assertTrue(t.summary().complete());
    assertEquals(List.of(), t.summary().warnings());
    assertEquals(1, a.stats().tracesWrittenComplete());
    assertEquals(0, a.stats().spansHeld());
  }

  @Test
  void missingParent_gapFetchAfterMaxWait_thenWrittenPartialNamingIt() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 2, 1, "cart"), "hostA", 1);
    a.add(span(1, 3, 0x99, "db"), "hostB", 1);
    advance(MAX_WAIT - 1);
    a.tick();
    assertTrue(gapFetches.isEmpty());
    advance(1);
    a.tick();
    assertEquals(List.of(new GapFetch(new TraceId(0, 1), Set.of(0x99L))), gapFetches);
    assertFalse(isStored(1));

    advance(GAP - 1);
    a.tick();
    assertFalse(isStored(1), "still in the gap window");
    advance(1);
    a.tick();
    Trace t = stored(1);
    assertEquals(3, t.spans().size());
    assertFalse(t.summary().complete());
    assertEquals(List.of("parent 0000000000000099 of span 0000000000000003 never arrived"),
        t.summary().warnings());
    assertEquals(1, a.stats().gapFetchesRequested());
    assertEquals(1, a.stats().tracesWrittenPartial());
    assertEquals(1, gapFetches.size(), "requested once");
  }

  @Test
  void missingParentArrivingInGapWindow_writtenComplete() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 3, 0x99, "db"), "hostB", 1);
    advance(MAX_WAIT);
    a.tick();
    assertEquals(1, gapFetches.size());

    advance(1_000);
    a.add(span(1, 0x99, 1, "cart"), "hostC", TraceAssembler.NO_SEQ); // came by FETCH
    advance(QUIET);
    a.tick();
    Trace t = stored(1);
    assertEquals(3, t.spans().size());
    assertTrue(t.summary().complete());
    assertEquals(List.of(), t.summary().warnings());
    StoredSpan db = recording.spansById().get(3L);
    assertEquals("cart", db.parentService());
  }

  @Test
  void lateParentAfterPartialWrite_mergedAndNoteBecomesComplete() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 3, 0x99, "db"), "hostB", 1);
    advance(MAX_WAIT);
    a.tick();
    advance(GAP);
    a.tick();
    assertFalse(stored(1).summary().complete());

    advance(60_000);
    a.add(span(1, 0x99, 1, "cart"), "hostC", 4);      // the straggler, long after
    a.add(span(1, 4, 3, "cache"), "hostB", 2);
    advance(QUIET);
    a.tick();
    Trace t = stored(1);
    assertEquals(4, t.spans().size(), "the store merged the late part");
    assertTrue(t.summary().complete(), "the note judges the whole stored trace");
    assertEquals(List.of(), t.summary().warnings());
    assertEquals(2, recording.batches.size());
    assertEquals(2, recording.batches.get(1).spans().size(), "only the late spans are rewritten");
    assertEquals("web", recording.spansById().get(0x99L).parentService());
    assertEquals("db", recording.spansById().get(4L).parentService(), "parent known from memory");
    assertEquals(2, a.stats().lateSpans());
  }

  @Test
  void lateSpanOfForgottenTrace_judgedByReadingTheStoreBack() throws Exception {
    TraceAssembler a = assembler().rememberedTraces(1).reader(store.reader()).build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 2, 1, "cart"), "hostA", 1);
    advance(QUIET);
    a.tick();
    assertTrue(stored(1).summary().complete());
    a.add(span(2, 1, 0, "web"), "hostA", 2);            // pushes trace 1 out of memory
    advance(QUIET);
    a.tick();

    a.add(span(1, 3, 2, "db"), "hostB", 9);            // its parent is only in the store
    advance(MAX_WAIT);
    a.tick();
    assertTrue(gapFetches.isEmpty(), "the store had the parent: no fetch");
    Trace t = stored(1);
    assertEquals(3, t.spans().size());
    assertTrue(t.summary().complete());
    assertEquals("cart", recording.spansById().get(3L).parentService());
  }

  @Test
  void flushAll_readsTheStoreBackForAnIncompleteTrace_beforeWritingItPartial() throws Exception {
    // What recovery does: the other hosts' parts of a trace are already stored; one host's part
    // is read from its journal and flushed at the end, before any max wait passed.
    store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(5, 1, 0, "web")),
        new StoredSpan(span(5, 2, 1, "cart"), "web"))));
    TraceAssembler a = assembler().reader(store.reader()).build();
    a.add(span(5, 3, 2, "db"), "hostC", 1);
    assertTrue(a.flushAll());
    Trace t = stored(5);
    assertEquals(3, t.spans().size());
    assertTrue(t.summary().complete(), "the parent was in the store: complete, not partial");
    assertEquals("cart", recording.spansById().get(3L).parentService());
  }

  @Test
  void memoryBound_oldestTraceFlushedEarly_counted() throws Exception {
    TraceAssembler a = assembler().maxHeldRecords(3).build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 2, 0x99, "cart"), "hostA", 1);
    advance(10);
    a.add(span(2, 1, 0, "web"), "hostA", 2);
    assertFalse(isStored(1));
    a.add(span(2, 2, 1, "cart"), "hostA", 2);          // the fourth record: over the bound

    Trace t = stored(1);                                  // no tick needed
    assertEquals(2, t.spans().size());
    assertFalse(t.summary().complete());
    assertTrue(t.summary().warnings().stream().anyMatch(w -> w.contains("maximum of 3")),
        t.summary().warnings().toString());
    assertFalse(isStored(2), "the younger trace is still assembling");
    assertEquals(1, a.stats().tracesFlushedEarly());
    assertEquals(2, a.stats().spansHeld());
    assertEquals(1, a.stats().tracesHeld());
  }

  @Test
  void storeFailure_retriedWithBackoff_nothingLostNothingDuplicated() throws Exception {
    recording.failuresLeft = 2;
    TraceAssembler a = assembler().maxBatchRecords(4).retryBackoff(100, 1_000).build();
    for (long trace = 1; trace <= 3; trace++) {
      a.add(span(trace, 1, 0, "web"), "hostA", trace);
      a.add(span(trace, 2, 1, "cart"), "hostA", trace);
      a.blockDone("hostA", trace);
    }
    advance(QUIET);
    a.tick();
    assertEquals(1, a.stats().writeRetries());
    assertEquals(OptionalLong.of(1), a.safeCursor("hostA"), "nothing acknowledged yet");
    a.tick();
    advance(99);
    a.tick();
    assertEquals(1, a.stats().writeRetries(), "no attempt before the back-off passed");
    advance(1);
    a.tick();
    assertEquals(2, a.stats().writeRetries());
    advance(199);
    a.tick();
    assertEquals(2, a.stats().writeRetries(), "the back-off doubled");
    advance(1);
    a.tick();

    assertEquals(2, recording.batches.size(), "3 traces of 2 spans in batches of at most 4");
    List<String> written = new ArrayList<>();
    for (WriteBatch b : recording.batches) {
      assertTrue(b.spans().size() <= 4);
      for (StoredSpan s : b.spans()) {
        written.add(s.span().traceIdHex() + "/" + s.span().spanId());
      }
    }
    assertEquals(6, written.size());
    assertEquals(6, Set.copyOf(written).size(), "no span handed over twice");
    for (long trace = 1; trace <= 3; trace++) {
      assertEquals(2, stored(trace).summary().spanCount());
      assertTrue(stored(trace).summary().complete());
    }
    assertEquals(3, a.stats().tracesWrittenComplete());
    assertEquals(OptionalLong.of(4), a.safeCursor("hostA"));
  }

  @Test
  void safeCursor_neverPassesAHeldSpan() throws Exception {
    TraceAssembler a = assembler().build();
    assertEquals(OptionalLong.empty(), a.safeCursor("hostA"));
    a.add(span(1, 1, 0, "web"), "hostA", 10);
    a.blockDone("hostA", 10);
    a.add(span(2, 1, 0, "web"), "hostA", 11);
    a.blockDone("hostA", 11);
    a.add(span(1, 2, 0x99, "cart"), "hostA", 12);       // trace 1 now waits for a parent
    a.blockDone("hostA", 12);
    a.add(span(3, 1, 0, "web"), "hostA", 13);           // block 13 not done yet
    assertEquals(OptionalLong.of(10), a.safeCursor("hostA"));

    advance(QUIET);
    a.tick();                                            // traces 2 and 3 written
    assertTrue(isStored(2));
    assertTrue(isStored(3));
    assertEquals(OptionalLong.of(10), a.safeCursor("hostA"), "trace 1 still holds block 10");

    a.add(span(4, 1, 7, "web"), "hostA", TraceAssembler.NO_SEQ);
    a.blockDone("hostA", 13);
    advance(MAX_WAIT);
    a.tick();
    advance(GAP);
    a.tick();
    assertTrue(isStored(1));
    assertEquals(OptionalLong.of(14), a.safeCursor("hostA"), "a fetched span holds no cursor back");
  }

  @Test
  void safeCursor_doesNotPassABlockStillBeingAdded() throws Exception {
    TraceAssembler a = assembler().maxHeldRecords(1).build();
    a.add(span(1, 1, 0, "web"), "hostA", 20);
    a.blockDone("hostA", 20);
    a.add(span(2, 1, 0, "web"), "hostA", 21);           // flushes trace 1 early
    a.add(span(2, 2, 1, "cart"), "hostA", 21);          // flushes trace 2: block 21 has none held
    assertEquals(OptionalLong.of(21), a.safeCursor("hostA"));
  }

  @Test
  void logsTravelWithTheirTrace_includingLateOnes() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(log(1, 2, "reserving stock"), "hostB", 3);     // before any span of the trace
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 2, 1, "cart"), "hostB", 3);
    a.add(log(0, 0, "outside any trace"), "hostB", 3);
    advance(QUIET);
    a.tick();
    Trace t = stored(1);
    assertEquals(List.of("reserving stock"), t.logs().stream().map(LogRecord::message).toList());
    assertEquals(0, a.stats().logsHeld());

    advance(5_000);
    a.add(log(1, 1, "request done"), "hostA", 2);
    advance(QUIET);
    a.tick();
    t = stored(1);
    assertEquals(2, t.logs().size());
    assertTrue(t.summary().complete());
  }

  @Test
  void duplicateSpan_droppedAndCounted() throws Exception {
    TraceAssembler a = assembler().build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    advance(QUIET);
    a.tick();
    a.add(span(1, 1, 0, "web"), "hostA", 1);            // re-pulled after it was written
    advance(QUIET);
    a.tick();
    assertEquals(2, a.stats().duplicateSpans());
    assertEquals(1, recording.batches.size());
    assertEquals(1, stored(1).spans().size());
  }

  @Test
  void batchTheStoreKeepsRefusing_isSplit_theRefusedSpanSkippedAndCounted_theRestStored() throws Exception {
    Refusing refusing = new Refusing(store.writer(), 0x666);
    TraceAssembler a = TraceAssembler.builder(refusing).clock(() -> now[0]).quietMillis(QUIET)
        .retryBackoff(100, 100).build();
    a.add(span(1, 1, 0, "web"), "hostA", 1);
    a.add(span(1, 0x666, 1, "cart"), "hostA", 1);      // the store refuses this one, always
    a.add(span(2, 1, 0, "web"), "hostA", 2);
    a.blockDone("hostA", 1);
    a.blockDone("hostA", 2);
    advance(QUIET);
    a.tick();                                            // fails
    advance(100);
    a.tick();                                            // fails again
    assertFalse(isStored(1));
    assertEquals(0, a.stats().spansRejected());
    assertEquals(OptionalLong.of(1), a.safeCursor("hostA"), "nothing acknowledged yet");
    advance(100);
    a.tick();                                            // third failure: split
    assertEquals(1, a.stats().spansRejected());
    assertEquals(List.of(1L), stored(1).spans().stream().map(s -> s.spanId()).toList());
    assertTrue(isStored(2));
    assertEquals(OptionalLong.of(3), a.safeCursor("hostA"), "the skipped span holds no cursor back");
    assertEquals(0, a.stats().spansHeld());
    assertEquals(2, a.stats().tracesWrittenComplete() + a.stats().tracesWrittenPartial());
  }

  @Test
  void storeThatRefusesEverything_isNotSplitAway_nothingSkipped() throws Exception {
    recording.failuresLeft = Integer.MAX_VALUE;
    TraceAssembler a = assembler().retryBackoff(100, 100).build();
    for (int t = 1; t <= 4; t++) {
      a.add(span(t, 1, 0, "web"), "hostA", t);
      a.add(span(t, 2, 1, "cart"), "hostA", t);
      a.blockDone("hostA", t);
    }
    advance(QUIET);
    for (int i = 0; i < 10; i++) {
      a.tick();
      advance(100);
    }
    assertEquals(0, a.stats().spansRejected());
    assertEquals(8, a.stats().spansHeld());
    assertEquals(OptionalLong.of(1), a.safeCursor("hostA"));
    recording.failuresLeft = 0;                          // the store is back: everything goes in
    a.tick();
    assertTrue(allStored(1, 2, 3, 4));
    assertEquals(OptionalLong.of(5), a.safeCursor("hostA"));
  }

  @Test
  void aSingleRefusedSpan_isSkippedOnlyWhileTheStoreSaysItIsHealthy() throws Exception {
    Refusing refusing = new Refusing(store.writer(), 0x666);
    boolean[] healthy = {false};
    TraceAssembler a = TraceAssembler.builder(refusing).clock(() -> now[0]).quietMillis(QUIET)
        .retryBackoff(100, 100).storeHealth(() -> healthy[0]).build();
    a.add(span(1, 0x666, 0, "web"), "hostA", 1);
    a.blockDone("hostA", 1);
    advance(QUIET);
    for (int i = 0; i < 5; i++) {
      a.tick();
      advance(100);
    }
    assertEquals(0, a.stats().spansRejected(), "an unhealthy store: wait, skip nothing");
    healthy[0] = true;
    a.tick();
    assertEquals(1, a.stats().spansRejected());
    assertEquals(OptionalLong.of(2), a.safeCursor("hostA"));
  }

  @Test
  void writeBehind_storesOnItsOwnThread_inOrder_andSplitsARefusedBatchToo() throws Exception {
    Refusing refusing = new Refusing(store.writer(), 0x666);
    TraceAssembler a = TraceAssembler.builder(refusing).clock(() -> now[0]).quietMillis(QUIET)
        .retryBackoff(10, 10).writeBehind(true).build();
    try {
      for (int t = 1; t <= 50; t++) {
        a.add(span(t, 1, 0, "web"), "hostA", t);
        a.add(span(t, t == 7 ? 0x666 : 2, 1, "cart"), "hostA", t);
        a.blockDone("hostA", t);
      }
      advance(QUIET);
      a.tick();
      long deadline = System.currentTimeMillis() + 10_000;
      while (a.stats().spansHeld() > 0 && System.currentTimeMillis() < deadline) {
        Thread.sleep(10);
      }
      assertEquals(0, a.stats().spansHeld());
      assertEquals(1, a.stats().spansRejected());
      assertEquals(OptionalLong.of(51), a.safeCursor("hostA"));
      for (int t = 1; t <= 50; t++) {
        assertEquals(t == 7 ? 1 : 2, stored(t).spans().size(), "trace " + t);
      }
    } finally {
      a.close();
    }
  }

  private boolean allStored(long... traces) throws StoreException {
    for (long t : traces) {
      if (!isStored(t) || stored(t).spans().size() != 2) {
        return false;
      }
    }
    return true;
  }

  /** Passes batches to the real store, refusing (always) every batch holding the span {@code poison}. */
  private static final class Refusing implements SpanWriter {
    private final SpanWriter delegate;
    private final long poison;

    Refusing(SpanWriter delegate, long poison) {
      this.delegate = delegate;
      this.poison = poison;
    }

    @Override
    public WriteResult write(WriteBatch batch) throws StoreException {
      for (StoredSpan s : batch.spans()) {
        if (s.span().spanId() == poison) {
          throw new StoreException("document too large (test)");
        }
      }
      return delegate.write(batch);
    }
  }

  /** Passes batches to the real store, failing the first {@code failuresLeft} calls. */
  private static final class Recording implements SpanWriter {
    private final SpanWriter delegate;
    final List<WriteBatch> batches = new ArrayList<>();
    int failuresLeft;

    Recording(SpanWriter delegate) {
      this.delegate = delegate;
    }

    @Override
    public WriteResult write(WriteBatch batch) throws StoreException {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new StoreException("disk unplugged (test)");
      }
      WriteResult r = delegate.write(batch);
      batches.add(batch);
      return r;
    }

    Map<Long, StoredSpan> spansById() {
      Map<Long, StoredSpan> m = new HashMap<>();
      for (WriteBatch b : batches) {
        for (StoredSpan s : b.spans()) {
          m.put(s.span().spanId(), s);
        }
      }
      return m;
    }
  }
}
