package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract suite against the embedded store, plus what only the embedded store promises. */
class EmbeddedSpanStoreTest extends SpanStoreContractTest {
  @Override
  protected SpanStore newStore(Path dir) throws Exception {
    return EmbeddedSpanStore.open(dir);
  }

  @Override
  protected SpanStore reopen(SpanStore old, Path dir) throws Exception {
    old.close();
    return EmbeddedSpanStore.open(dir);
  }

  @Test
  void open_directoryAlreadyOpen_failsNamingTheLock() {
    StoreException e = assertThrows(StoreException.class, () -> EmbeddedSpanStore.open(dir));

    assertTrue(e.getMessage().contains("in use") && e.getMessage().contains("write.lock"),
        e.getMessage());
    assertTrue(store.check().healthy(), "the first store is unaffected");
  }

  @Test
  void close_releasesTheDirectory_andLaterWritesFail() throws Exception {
    SpanRecord s = span(newTraceId(), 0, "web", "GET /", T0, MS).build();
    write(s);
    store.close();

    assertThrows(StoreException.class, () -> write(s));
    assertFalse(store.check().healthy());
    store = EmbeddedSpanStore.open(dir);
    assertEquals(List.of(s), trace(TraceId.of(s)).spans());
  }

  @Test
  void deleteOlderThan_removesWholeOldTracesAndMinutes() throws Exception {
    TraceId old = newTraceId(); // starts before the cutoff, one span after it: goes whole
    SpanRecord oldRoot = span(old, 0, "web", "GET /old", T0, 3 * MINUTE).build();
    SpanRecord oldChild = span(old, oldRoot.spanId(), "cart", "load", T0 + 2 * MINUTE, MS).build();
    TraceId kept = newTraceId();
    SpanRecord keptRoot = span(kept, 0, "web", "GET /new", T0 + 2 * MINUTE, MS).build();
    SpanRecord keptChild = span(kept, keptRoot.spanId(), "cart", "load", T0 + 2 * MINUTE + MS, MS)
        .build();
    LogRecord oldLog = new LogRecord(old.high(), old.low(), oldRoot.spanId(), T0 + 1, "INFO", "l",
        "t", "old", "");
    store.writer().write(new WriteBatch(List.of(StoredSpan.of(oldRoot),
        new StoredSpan(oldChild, "web"), StoredSpan.of(keptRoot), new StoredSpan(keptChild, "web")),
        List.of(oldLog), List.of()));
    EmbeddedSpanStore embedded = (EmbeddedSpanStore) store;

    long removed = embedded.deleteOlderThan(T0 + MINUTE + 30 * SECOND);

    assertEquals(1, removed);
    assertTrue(store.reader().trace(old).isEmpty());
    assertEquals(List.of(keptRoot, keptChild), trace(kept).spans());
    assertEquals(List.of(kept), find(TraceQuery.builder().build()).stream()
        .map(TraceSummary::traceId).toList());
    // minute 0 ended before the cutoff and goes; minute 1 does not (cut); minute 2 stays
    assertEquals(List.of(), store.reader().aggregates("web", "GET /old", T0, T0 + 3 * MINUTE));
    assertEquals(List.of(new DependencyLink("web", "cart", 2, 0)),
        store.reader().dependencies(T0 + 3 * MINUTE, 3 * MINUTE),
        "counted minutes are kept, they are not per trace");
    assertEquals(0, embedded.deleteOlderThan(T0 + MINUTE + 30 * SECOND), "idempotent");
  }

  @Test
  void retention_removesOldTracesInTheBackground() throws Exception {
    SpanRecord old = span(newTraceId(), 0, "web", "GET /", T0, MS).build(); // 2025
    long now = System.currentTimeMillis() * 1000;
    SpanRecord recent = span(newTraceId(), 0, "web", "GET /", now - 60 * SECOND, MS).build();
    write(old, recent);
    store.close();

    store = EmbeddedSpanStore.builder(dir).retention(Duration.ofDays(1)).build();

    long deadline = System.nanoTime() + 10_000_000_000L;
    while (store.reader().trace(TraceId.of(old)).isPresent() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(store.reader().trace(TraceId.of(old)).isEmpty(), "removed at open");
    assertEquals(List.of(recent), trace(TraceId.of(recent)).spans());
  }

  @Test
  void commitPolicyEveryWrite_concurrentWriters_storeEverything() throws Exception {
    store.close();
    store = EmbeddedSpanStore.builder(dir)
        .commitPolicy(EmbeddedSpanStore.CommitPolicy.EVERY_WRITE).build();
    List<SpanRecord> spans = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      spans.add(span(newTraceId(), 0, "web", "GET /", T0 + i * MS, MS).build());
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<WriteResult>> results = new ArrayList<>();
      for (int i = 0; i < spans.size(); i += 10) {
        // every span is written twice, by two different batches
        List<SpanRecord> batch = spans.subList(i, i + 10);
        List<SpanRecord> shifted = spans.subList((i + 5) % spans.size(),
            Math.min(spans.size(), (i + 5) % spans.size() + 10));
        results.add(pool.submit(() -> write(batch.toArray(SpanRecord[]::new))));
        results.add(pool.submit(() -> write(shifted.toArray(SpanRecord[]::new))));
      }
      int stored = 0;
      for (Future<WriteResult> f : results) {
        stored += f.get().spansStored();
      }
      assertEquals(spans.size(), stored);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(200, find(TraceQuery.builder().limit(1000).build()).size());
    assertEquals(200, store.reader().aggregates("web", "", T0, T0 + MINUTE).get(0).count());
  }

  @Test
  void write_spanTooLargeToEncode_failsOnlyItsBatch() throws Exception {
    TraceId t = newTraceId();
    SpanRecord.Builder huge = span(t, 0, "web", "GET /", T0, MS);
    StringBuilder value = new StringBuilder();
    for (int i = 0; i < 400; i++) {
      value.append((char) ('a' + i % 26));
    }
    for (int i = 0; i < 4000; i++) {
      huge.addAttribute(new Attribute("k" + i, value.toString() + i, false)); // > 1 MiB
    }
    SpanRecord fine = span(t, 0, "web", "GET /fine", T0, MS).build();

    StoreException e = assertThrows(StoreException.class, () -> write(fine, huge.build()));

    assertTrue(e.getMessage().contains("cannot be encoded"), e.getMessage());
    assertTrue(store.reader().trace(t).isEmpty(), "nothing of the failed batch");
    assertEquals(new WriteResult(1, 0, 0), write(fine));
  }

  @Test
  void crash_acknowledgedWritesComeBackFromTheLog_aTornTailIsDropped(@TempDir Path copy)
      throws Exception {
    store.close();
    store = EmbeddedSpanStore.builder(dir).commitInterval(Duration.ofHours(1)).build();
    List<SpanRecord> written = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      TraceId t = newTraceId();
      SpanRecord root = span(t, 0, "web", "GET /" + i, T0 + i * SECOND, 10 * MS).build();
      SpanRecord child = span(t, root.spanId(), "cart", "load", T0 + i * SECOND + MS, MS).build();
      store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(root),
          new StoredSpan(child, "web"))));
      written.add(root);
    }
    // the directory as a crash leaves it: the commit made at open, and the log since
    copyTree(dir, copy);
    Path segment;
    try (var files = Files.list(copy.resolve("wal"))) {
      segment = files.max(Path::compareTo).orElseThrow();
    }
    Files.write(segment, new byte[] {0, 0, 1, 0, 9, 9, 9}, StandardOpenOption.APPEND);

    try (EmbeddedSpanStore crashed = EmbeddedSpanStore.open(copy)) {
      for (SpanRecord root : written) {
        Trace t = crashed.reader().trace(TraceId.of(root)).orElseThrow();
        assertEquals(2, t.spans().size());
        assertEquals(root.name(), t.summary().rootOperation());
      }
      assertEquals(5, crashed.reader().aggregates("cart", "", T0, T0 + MINUTE).get(0).count(),
          "counted once although written, and replayed");
      assertEquals(List.of(new DependencyLink("web", "cart", 5, 0)),
          crashed.reader().dependencies(T0 + MINUTE, MINUTE));
      assertEquals(new WriteResult(0, 1, 0), crashed.writer().write(
          WriteBatch.ofSpans(List.of(StoredSpan.of(written.get(0))))), "still idempotent");
    }
  }

  @Test
  void findTraces_byTag_ordersByTraceStart_whenTheMatchingPartCameLater() throws Exception {
    TraceId early = newTraceId(); // starts first, but its tagged span comes in a later write
    SpanRecord earlyRoot = span(early, 0, "web", "GET /a", T0, 20 * SECOND).build();
    write(earlyRoot);
    SpanRecord earlyTagged = span(early, earlyRoot.spanId(), "cart", "load", T0 + 10 * SECOND, MS)
        .addAttribute("cart.id", "c-1").build();
    store.writer().write(WriteBatch.ofSpans(List.of(new StoredSpan(earlyTagged, "web"))));
    TraceId later = newTraceId();
    write(span(later, 0, "cart", "load", T0 + 5 * SECOND, MS).addAttribute("cart.id", "c-1")
        .build());

    assertEquals(List.of(later), find(TraceQuery.builder().tag("cart.id", "c-1").limit(1).build())
        .stream().map(TraceSummary::traceId).toList());
    assertEquals(List.of(later, early), find(TraceQuery.builder().tag("cart.id", "c-1").build())
        .stream().map(TraceSummary::traceId).toList());
    assertEquals(List.of(early), find(TraceQuery.builder().tag("cart.id", "c-1")
        .minDurationMicros(10 * SECOND).build()).stream().map(TraceSummary::traceId).toList());
  }

  @Test
  void aReadOnlyProcessSeesAWrite_afterTheNextCommit_evenWithNoMoreWrites() throws Exception {
    SpanRecord s = span(newTraceId(), 0, "web", "GET /", T0, MS).build();
    try (EmbeddedReadOnlyStore follower = EmbeddedReadOnlyStore.open(dir, Duration.ZERO)) {
      write(s); // the default interval: committed about a second later, by the idle writer

      long deadline = System.nanoTime() + 10_000_000_000L;
      while (follower.reader().trace(TraceId.of(s)).isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals(List.of(s), follower.reader().trace(TraceId.of(s)).orElseThrow().spans());
    }
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var paths = Files.walk(from)) {
      for (Path p : paths.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else if (!p.getFileName().toString().equals("write.lock")) {
          Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  @Test
  void open_storeOfAnOlderLayout_failsSayingWhatToDo() throws Exception {
    store.close();
    Path old = dir.resolve("old");
    try (var d = org.apache.lucene.store.FSDirectory.open(old);
         var w = new org.apache.lucene.index.IndexWriter(d,
             new org.apache.lucene.index.IndexWriterConfig())) {
      w.addDocument(new org.apache.lucene.document.Document());
      w.setLiveCommitData(java.util.Map.of("cairn.store.layout", "1").entrySet());
      w.commit();
    }

    StoreException e = assertThrows(StoreException.class, () -> EmbeddedSpanStore.open(old));

    assertTrue(e.getMessage().contains("layout version 1") && e.getMessage().contains("recover"),
        e.getMessage());
    store = EmbeddedSpanStore.open(dir);
  }

  @Test
  void findTraces_statusError_isSearchableAsATraceAndSpanCondition() throws Exception {
    SpanRecord failed = span(newTraceId(), 0, "web", "GET /", T0, MS)
        .status(StatusCode.ERROR, "x").addAttribute("http.route", "/a").build();
    SpanRecord ok = span(newTraceId(), 0, "web", "GET /", T0 + SECOND, MS)
        .addAttribute("http.route", "/a").build();
    write(failed, ok);

    assertEquals(List.of(TraceId.of(failed)), find(TraceQuery.builder().errorOnly(true)
        .tag("http.route", "/a").build()).stream().map(TraceSummary::traceId).toList());
  }
}
