package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.core.testing.TestSpans;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract every {@link SpanStore} passes, written only against the contract: a backend's test
 * extends this class and says how to open a fresh store and how to reopen one. Each test starts
 * with a fresh, empty store, so results are compared exactly.
 *
 * <pre>{@code
 * class EmbeddedSpanStoreTest extends SpanStoreContractTest {
 *   @Override protected SpanStore newStore(Path dir) throws Exception {
 *     return EmbeddedSpanStore.open(dir);
 *   }
 *   @Override protected SpanStore reopen(SpanStore old, Path dir) throws Exception {
 *     old.close();
 *     return EmbeddedSpanStore.open(dir);
 *   }
 * }
 * }</pre>
 *
 * <p>Test data is generated from fixed seeds and starts at {@link #T0}, a whole minute, so a
 * failure reproduces. See {@code docs/store-contract.md}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class SpanStoreContractTest {
  /** 2025-11-21T04:40:00Z in µs: a whole minute, where {@link TestSpans}' clock starts. */
  protected static final long T0 = 1_763_700_000_000_000L;

  protected static final long MS = 1_000L;
  protected static final long SECOND = 1_000_000L;
  protected static final long MINUTE = 60_000_000L;

  /** A fresh directory per test; a remote backend may ignore it. */
  @TempDir protected Path dir;

  /** The store under test; a durability test replaces it with the reopened one. */
  protected SpanStore store;

  private final Random random = new Random(0xCA1121L);

  /**
   * A fresh, empty store. A remote backend may ignore {@code dir} and use a fresh index prefix
   * instead.
   */
  protected abstract SpanStore newStore(Path dir) throws Exception;

  /**
   * The same store after a restart: close {@code old} (as a process exit would) and open again on
   * the same data ({@code dir}, or the index prefix {@code old} used). Everything written must be
   * there.
   */
  protected abstract SpanStore reopen(SpanStore old, Path dir) throws Exception;

  @BeforeEach
  protected void openStore() throws Exception {
    store = newStore(dir);
    assertNotNull(store, "newStore returned null");
  }

  @AfterEach
  protected void closeStore() throws Exception {
    if (store != null) {
      store.close();
    }
  }

  // ---------------------------------------------------------------- round trip

  @Test
  protected void write_fullSpan_roundTripsEveryField() throws Exception {
    TestSpans gen = new TestSpans(1);
    SpanRecord full = gen.fullSpan();

    WriteResult result = write(full);

    assertEquals(new WriteResult(1, 0, 0), result);
    Trace trace = trace(TraceId.of(full));
    assertEquals(List.of(full), trace.spans(), "every field, attribute type, event and link");
    TraceSummary s = trace.summary();
    assertEquals(TraceId.of(full), s.traceId());
    assertEquals("", s.rootService(), "the span has a parent: no root stored");
    assertEquals("", s.rootOperation());
    assertEquals(full.startMicros(), s.startMicros());
    assertEquals(full.durationMicros(), s.durationMicros());
    assertEquals(1, s.spanCount());
    assertEquals(List.of("payments"), s.services());
    assertTrue(s.error());
    assertFalse(s.complete(), "no note yet");
    assertEquals(List.of(), s.warnings());
  }

  @Test
  protected void write_logs_roundTripSortedByTime() throws Exception {
    TestSpans gen = new TestSpans(2);
    SpanRecord full = gen.fullSpan();
    LogRecord info = gen.log(full);
    LogRecord error = gen.errorLog(full);
    LogRecord earlier = new LogRecord(full.traceIdHigh(), full.traceIdLow(), full.spanId(),
        full.startMicros(), "DEBUG", "com.shop.Cart", "main", "first \u4e2d", "");

    WriteResult result = store.writer().write(
        new WriteBatch(List.of(StoredSpan.of(full)), List.of(error, info, earlier), List.of()));

    assertEquals(new WriteResult(1, 0, 3), result);
    assertEquals(List.of(earlier, info, error), trace(TraceId.of(full)).logs());
  }

  @Test
  protected void trace_spansSortedByStart() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /cart", T0, 100 * MS).kind(SpanKind.SERVER).build();
    List<SpanRecord> children = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      children.add(span(t, root.spanId(), "cart", "step " + i, T0 + (i + 1) * 7 * MS, 5 * MS)
          .build());
    }
    List<SpanRecord> shuffled = new ArrayList<>(children);
    shuffled.add(root);
    Collections.shuffle(shuffled, random);

    write(shuffled.toArray(SpanRecord[]::new));

    List<SpanRecord> expected = new ArrayList<>(List.of(root));
    expected.addAll(children);
    assertEquals(expected, trace(t).spans());
  }

  @Test
  protected void trace_unknownId_isEmpty() throws Exception {
    TraceId unknown = newTraceId();
    assertTrue(store.reader().trace(unknown).isEmpty(), "empty store");

    write(new TestSpans(3).httpServerSpan());

    assertTrue(store.reader().trace(unknown).isEmpty(), "store with another trace");
  }

  @Test
  protected void write_emptyBatch_storesNothing() throws Exception {
    assertEquals(new WriteResult(0, 0, 0),
        store.writer().write(new WriteBatch(List.of(), List.of(), List.of())));
    assertEquals(List.of(), store.reader().services());
    assertEquals(List.of(), find(TraceQuery.builder().build()));
  }

  // ---------------------------------------------------------------- idempotency

  @Test
  protected void write_sameBatchTwice_storesOneCopy() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /cart", T0, 80 * MS).kind(SpanKind.SERVER).build();
    SpanRecord child = span(t, root.spanId(), "cart", "load", T0 + 5 * MS, 30 * MS)
        .kind(SpanKind.SERVER).status(StatusCode.ERROR, "boom").build();
    TestSpans gen = new TestSpans(4);
    WriteBatch batch = new WriteBatch(
        List.of(StoredSpan.of(root), new StoredSpan(child, "web")),
        List.of(gen.log(root), gen.errorLog(child)),
        List.of(new TraceNote(t, true, List.of())));

    WriteResult first = store.writer().write(batch);
    List<MinuteAggregate> aggregatesBefore = aggregates("cart", "");
    List<DependencyLink> linksBefore = dependencies();
    WriteResult second = store.writer().write(batch);

    assertEquals(new WriteResult(2, 0, 2), first);
    assertEquals(new WriteResult(0, 2, 0), second, "the second write finds everything present");
    Trace trace = trace(t);
    assertEquals(List.of(root, child), trace.spans());
    assertEquals(2, trace.logs().size());
    assertEquals(2, trace.summary().spanCount());
    assertEquals(aggregatesBefore, aggregates("cart", ""));
    assertEquals(1, aggregatesBefore.get(0).count());
    assertEquals(1, aggregatesBefore.get(0).errors());
    assertEquals(List.of(new DependencyLink("web", "cart", 1, 1)), linksBefore);
    assertEquals(linksBefore, dependencies());
    assertEquals(1, find(TraceQuery.builder().build()).size());
  }

  @Test
  protected void write_sameSpanInTwoBatches_storedOnce() throws Exception {
    TraceId t = newTraceId();
    SpanRecord a = span(t, 0, "web", "a", T0, 50 * MS).build();
    SpanRecord b = span(t, a.spanId(), "web", "b", T0 + MS, 10 * MS).build();
    SpanRecord c = span(t, a.spanId(), "web", "c", T0 + 2 * MS, 10 * MS).build();

    WriteResult first = write(a, b);
    WriteResult second = write(b, c);

    assertEquals(new WriteResult(2, 0, 0), first);
    assertEquals(new WriteResult(1, 1, 0), second);
    assertEquals(List.of(a, b, c), trace(t).spans());
    assertEquals(3, trace(t).summary().spanCount());
    assertEquals(3, aggregates("web", "").stream().mapToLong(MinuteAggregate::count).sum());
  }

  /**
   * Pins: a copy of a span repeated inside one batch counts as already present, so
   * {@code spansStored + spansAlreadyPresent} is always the batch's span count.
   */
  @Test
  protected void write_duplicatesInsideOneBatch_storedOnce() throws Exception {
    TraceId t = newTraceId();
    SpanRecord a = span(t, 0, "web", "a", T0, 50 * MS).build();
    SpanRecord b = span(t, a.spanId(), "web", "b", T0 + MS, 10 * MS).build();
    LogRecord log = new TestSpans(5).log(b);

    WriteResult result = store.writer().write(new WriteBatch(
        List.of(StoredSpan.of(a), StoredSpan.of(b), StoredSpan.of(a), StoredSpan.of(b)),
        List.of(log, log), List.of()));

    assertEquals(new WriteResult(2, 2, 1), result);
    Trace trace = trace(t);
    assertEquals(List.of(a, b), trace.spans());
    assertEquals(List.of(log), trace.logs());
    assertEquals(2, trace.summary().spanCount());
    assertEquals(2, aggregates("web", "").stream().mapToLong(MinuteAggregate::count).sum());
  }

  /**
   * Pins: a span already present is left as it was, even when written again with other content
   * or, later, with its parent's service known; the dependency link is counted on first store only.
   */
  @Test
  protected void write_spanAlreadyPresent_keepsFirstVersion() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /", T0, 50 * MS).build();
    SpanRecord child = span(t, root.spanId(), "cart", "load", T0 + MS, 10 * MS).build();
    SpanRecord changed = child.toBuilder().name("renamed").durationMicros(999 * MS).build();

    write(root, child);
    WriteResult again = store.writer().write(
        WriteBatch.ofSpans(List.of(new StoredSpan(changed, "web"))));

    assertEquals(new WriteResult(0, 1, 0), again);
    assertEquals(List.of(root, child), trace(t).spans());
    assertEquals(50 * MS, trace(t).summary().durationMicros());
    assertEquals(List.of(), dependencies(), "the parent service came after the span was stored");
    assertEquals(List.of(new Operation("load", SpanKind.INTERNAL)),
        store.reader().operations("cart"));
  }

  @Test
  protected void write_logAlreadyPresent_storedOnce() throws Exception {
    TestSpans gen = new TestSpans(6);
    SpanRecord s = gen.httpServerSpan();
    LogRecord log = gen.log(s);
    WriteBatch batch = new WriteBatch(List.of(StoredSpan.of(s)), List.of(log), List.of());

    store.writer().write(batch);
    WriteResult second = store.writer().write(
        new WriteBatch(List.of(), List.of(log), List.of()));

    assertEquals(new WriteResult(0, 0, 0), second);
    assertEquals(List.of(log), trace(TraceId.of(s)).logs());
  }

  // ---------------------------------------------------------------- late spans and notes

  @Test
  protected void lateSpans_recomputeTheSummary() throws Exception {
    TraceId t = newTraceId();
    long rootId = nonZero();
    SpanRecord child1 = span(t, rootId, "cart", "load", T0 + 10 * MS, 20 * MS).build();
    SpanRecord child2 = span(t, rootId, "db", "select", T0 + 15 * MS, 5 * MS).build();

    write(child1);
    TraceSummary afterOne = trace(t).summary();
    assertEquals("", afterOne.rootService());
    assertEquals("", afterOne.rootOperation());
    assertEquals(1, afterOne.spanCount());
    assertEquals(T0 + 10 * MS, afterOne.startMicros());
    assertEquals(20 * MS, afterOne.durationMicros());
    assertFalse(afterOne.error());

    write(child2.toBuilder().status(StatusCode.ERROR, "timeout").durationMicros(40 * MS).build());
    TraceSummary afterTwo = trace(t).summary();
    assertEquals("", afterTwo.rootService(), "still no root");
    assertEquals(2, afterTwo.spanCount());
    assertEquals(List.of("cart", "db"), afterTwo.services());
    assertEquals(T0 + 10 * MS, afterTwo.startMicros());
    assertEquals(45 * MS, afterTwo.durationMicros(), "latest end is the late span's");
    assertTrue(afterTwo.error(), "the late span failed");

    SpanRecord root = SpanRecord.builder().traceId(t.high(), t.low()).spanId(rootId)
        .service("web").name("POST /checkout").kind(SpanKind.SERVER)
        .startMicros(T0).durationMicros(30 * MS).build();
    write(root);
    TraceSummary complete = trace(t).summary();
    assertEquals("web", complete.rootService());
    assertEquals("POST /checkout", complete.rootOperation());
    assertEquals(3, complete.spanCount());
    assertEquals(List.of("cart", "db", "web"), complete.services());
    assertEquals(T0, complete.startMicros(), "the root started earliest");
    assertEquals(55 * MS, complete.durationMicros(), "earliest start to latest end");
    assertTrue(complete.error());

    List<TraceSummary> found = find(TraceQuery.builder().service("web").build());
    assertEquals(List.of(complete), found, "search sees the recomputed summary");
  }

  @Test
  protected void notes_latestNoteWins() throws Exception {
    TraceId t = newTraceId();
    long rootId = nonZero();
    SpanRecord child = span(t, rootId, "cart", "load", T0 + MS, 10 * MS).build();
    String warning = "parent " + Long.toHexString(rootId) + " of span " + child.spanIdHex()
        + " never arrived";

    write(child);
    assertFalse(trace(t).summary().complete(), "no note yet");
    assertEquals(List.of(), trace(t).summary().warnings());

    store.writer().write(new WriteBatch(List.of(), List.of(),
        List.of(new TraceNote(t, false, List.of(warning)))));
    assertFalse(trace(t).summary().complete());
    assertEquals(List.of(warning), trace(t).summary().warnings());

    SpanRecord root = SpanRecord.builder().traceId(t.high(), t.low()).spanId(rootId)
        .service("web").name("GET /").startMicros(T0).durationMicros(20 * MS).build();
    store.writer().write(new WriteBatch(List.of(StoredSpan.of(root)), List.of(),
        List.of(new TraceNote(t, true, List.of()))));
    TraceSummary s = trace(t).summary();
    assertTrue(s.complete());
    assertEquals(List.of(), s.warnings(), "the latest note's warnings replace earlier ones");
    assertEquals(2, s.spanCount());
    assertEquals("web", s.rootService());
  }

  /** Pins: spans added after a note keep that note's verdict; only a newer note changes it. */
  @Test
  protected void notes_keptWhenLaterSpansArrive() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /", T0, 20 * MS).build();
    store.writer().write(new WriteBatch(List.of(StoredSpan.of(root)), List.of(),
        List.of(new TraceNote(t, true, List.of("late span expected")))));

    write(span(t, root.spanId(), "web", "late", T0 + MS, MS).build());

    TraceSummary s = trace(t).summary();
    assertEquals(2, s.spanCount());
    assertTrue(s.complete());
    assertEquals(List.of("late span expected"), s.warnings());
  }

  // ---------------------------------------------------------------- findTraces

  @Test
  protected void findTraces_byService_matchesAnySpanAndReturnsWholeTrace() throws Exception {
    TraceId a = newTraceId();
    SpanRecord aRoot = span(a, 0, "web", "GET /cart", T0, 50 * MS).kind(SpanKind.SERVER).build();
    SpanRecord aChild = span(a, aRoot.spanId(), "cart", "load", T0 + MS, 10 * MS)
        .kind(SpanKind.SERVER).build();
    TraceId b = newTraceId();
    SpanRecord bRoot = span(b, 0, "web", "GET /", T0 + SECOND, 5 * MS).build();
    write(aRoot, aChild, bRoot);

    List<TraceSummary> cart = find(TraceQuery.builder().service("cart").build());
    List<TraceSummary> web = find(TraceQuery.builder().service("web").build());
    List<TraceSummary> none = find(TraceQuery.builder().service("nope").build());

    assertEquals(List.of(trace(a).summary()), cart);
    TraceSummary s = cart.get(0);
    assertEquals("web", s.rootService(), "the whole trace's summary, not the matching span's");
    assertEquals(2, s.spanCount());
    assertEquals(List.of("cart", "web"), s.services());
    assertEquals(List.of(b, a), ids(web), "newest first");
    assertEquals(List.of(), none);
  }

  @Test
  protected void findTraces_byServiceAndOperation_mustBeTheSameSpan() throws Exception {
    TraceId a = newTraceId(); // web "GET /cart" → cart "load"
    SpanRecord aRoot = span(a, 0, "web", "GET /cart", T0, 50 * MS).build();
    SpanRecord aChild = span(a, aRoot.spanId(), "cart", "load", T0 + MS, 10 * MS).build();
    TraceId c = newTraceId(); // web "load" → cart "GET /cart"
    SpanRecord cRoot = span(c, 0, "web", "load", T0 + SECOND, 50 * MS).build();
    SpanRecord cChild = span(c, cRoot.spanId(), "cart", "GET /cart", T0 + SECOND + MS, 5 * MS)
        .build();
    write(aRoot, aChild, cRoot, cChild);

    assertEquals(List.of(a), ids(find(TraceQuery.builder().service("cart").operation("load")
        .build())));
    assertEquals(List.of(c), ids(find(TraceQuery.builder().service("web").operation("load")
        .build())));
    assertEquals(List.of(a), ids(find(TraceQuery.builder().service("web").operation("GET /cart")
        .build())));
    assertEquals(List.of(), find(TraceQuery.builder().service("db").operation("load").build()));
  }

  @Test
  protected void findTraces_byTag_matchesValuesAsText() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /cart/{id}", T0, 50 * MS).build();
    SpanRecord child = span(t, root.spanId(), "cart", "load", T0 + MS, 10 * MS)
        .addAttribute("http.route", "/cart/{id}")
        .addAttribute("http.response.status_code", 503L)
        .addAttribute("cache.hit", true)
        .addAttribute("retry", false)
        .build();
    TraceId other = newTraceId();
    SpanRecord otherSpan = span(other, 0, "web", "GET /", T0 + SECOND, MS)
        .addAttribute("http.response.status_code", 200L)
        .addAttribute("cache.hit", false)
        .build();
    write(root, child, otherSpan);

    assertEquals(List.of(t), tagged("http.route", "/cart/{id}"), "string");
    assertEquals(List.of(t), tagged("http.response.status_code", "503"), "long as text");
    assertEquals(List.of(other), tagged("http.response.status_code", "200"));
    assertEquals(List.of(), tagged("http.response.status_code", "504"));
    assertEquals(List.of(t), tagged("cache.hit", "true"), "boolean as text");
    assertEquals(List.of(other), tagged("cache.hit", "false"));
    assertEquals(List.of(t), tagged("retry", "false"));
    assertEquals(List.of(), tagged("retry", "true"));
    assertEquals(List.of(), tagged("http.route", "/cart"), "whole values, not prefixes");
    assertEquals(List.of(), tagged("no.such.key", "503"));
    TraceSummary s = find(TraceQuery.builder().tag("cache.hit", "true").build()).get(0);
    assertEquals("web", s.rootService(), "the whole trace's summary");
    assertEquals(2, s.spanCount());
  }

  @Test
  protected void findTraces_byBusinessKey() throws Exception {
    TestSpans gen = new TestSpans(7);
    SpanRecord order = gen.fullSpan(); // order.id = 2135897412389123, a business key
    SpanRecord otherOrder = gen.httpServerSpan().toBuilder()
        .addAttribute(new Attribute("order.id", "99", true)).build();
    for (int i = 0; i < 10; i++) {
      write(gen.httpServerSpan());
    }
    write(order, otherOrder);

    assertEquals(List.of(TraceId.of(order)), tagged("order.id", "2135897412389123"));
    assertEquals(List.of(TraceId.of(otherOrder)), tagged("order.id", "99"));
    assertEquals(List.of(TraceId.of(order)), ids(find(TraceQuery.builder().service("payments")
        .tag("order.id", "2135897412389123").build())));
    assertEquals(List.of(), ids(find(TraceQuery.builder().service("checkout")
        .tag("order.id", "2135897412389123").build())));
  }

  @Test
  protected void findTraces_twoTags_mustBeOnTheSameSpan() throws Exception {
    TraceId same = newTraceId();
    SpanRecord sameRoot = span(same, 0, "web", "GET /", T0, 10 * MS)
        .addAttribute("user.id", "u1").addAttribute("region", "eu").build();
    TraceId split = newTraceId();
    SpanRecord splitRoot = span(split, 0, "web", "GET /", T0 + SECOND, 10 * MS)
        .addAttribute("user.id", "u1").build();
    SpanRecord splitChild = span(split, splitRoot.spanId(), "cart", "load", T0 + SECOND + MS, MS)
        .addAttribute("region", "eu").build();
    write(sameRoot, splitRoot, splitChild);

    assertEquals(List.of(same), ids(find(TraceQuery.builder()
        .tag("user.id", "u1").tag("region", "eu").build())));
    assertEquals(List.of(split, same), ids(find(TraceQuery.builder().tag("user.id", "u1")
        .build())));
    assertEquals(List.of(), ids(find(TraceQuery.builder().service("cart").tag("user.id", "u1")
        .build())), "service and tag on different spans");
    assertEquals(List.of(split), ids(find(TraceQuery.builder().service("cart")
        .tag("region", "eu").build())));
    assertEquals(List.of(), ids(find(TraceQuery.builder().service("web").operation("GET /")
        .tag("region", "eu").tag("user.id", "u2").build())));
  }

  @Test
  protected void findTraces_byDuration_usesTheTraceDuration() throws Exception {
    TraceId spread = newTraceId(); // two 10 ms spans, 500 ms apart end to end
    SpanRecord sRoot = span(spread, 0, "web", "GET /", T0, 10 * MS).build();
    SpanRecord sLate = span(spread, sRoot.spanId(), "web", "async", T0 + 490 * MS, 10 * MS)
        .build();
    TraceId mid = newTraceId();
    SpanRecord mRoot = span(mid, 0, "web", "GET /", T0 + SECOND, 100 * MS).build();
    TraceId fast = newTraceId();
    SpanRecord fRoot = span(fast, 0, "web", "GET /", T0 + 2 * SECOND, 2 * MS).build();
    write(sRoot, sLate, mRoot, fRoot);

    assertEquals(List.of(spread), ids(find(TraceQuery.builder().minDurationMicros(400 * MS)
        .build())), "no single span is that long, the trace is");
    assertEquals(List.of(fast, mid), ids(find(TraceQuery.builder().maxDurationMicros(200 * MS)
        .build())));
    assertEquals(List.of(mid), ids(find(TraceQuery.builder().minDurationMicros(100 * MS)
        .maxDurationMicros(100 * MS).build())), "both bounds inclusive");
    assertEquals(List.of(mid, spread), ids(find(TraceQuery.builder().service("web")
        .minDurationMicros(50 * MS).build())));
  }

  @Test
  protected void findTraces_byStartRange_usesTheTraceStart() throws Exception {
    TraceId early = newTraceId(); // starts at T0, one span starts at T0 + 10 s
    SpanRecord eRoot = span(early, 0, "web", "GET /", T0, 11 * SECOND).build();
    SpanRecord eChild = span(early, eRoot.spanId(), "web", "slow", T0 + 10 * SECOND, SECOND)
        .build();
    TraceId late = newTraceId();
    SpanRecord lRoot = span(late, 0, "web", "GET /", T0 + 20 * SECOND, 5 * MS).build();
    write(eRoot, eChild, lRoot);

    assertEquals(List.of(late), ids(find(TraceQuery.builder()
        .startFromMicros(T0 + 5 * SECOND).build())), "a later span does not make a later trace");
    assertEquals(List.of(early), ids(find(TraceQuery.builder()
        .startToMicros(T0 + 15 * SECOND).build())));
    assertEquals(List.of(late), ids(find(TraceQuery.builder().startFromMicros(T0 + 20 * SECOND)
        .startToMicros(T0 + 20 * SECOND).build())), "both bounds inclusive");
    assertEquals(List.of(late, early), ids(find(TraceQuery.builder().startFromMicros(T0)
        .startToMicros(T0 + 20 * SECOND).build())));
    assertEquals(List.of(), ids(find(TraceQuery.builder().startFromMicros(T0 + SECOND)
        .startToMicros(T0 + 19 * SECOND).build())));
  }

  @Test
  protected void findTraces_errorOnly_matchesAnErrorInAnySpan() throws Exception {
    TraceId failed = newTraceId();
    SpanRecord fRoot = span(failed, 0, "web", "GET /", T0, 10 * MS).build();
    SpanRecord fChild = span(failed, fRoot.spanId(), "db", "select", T0 + MS, MS)
        .status(StatusCode.ERROR, "deadlock").build();
    TraceId ok = newTraceId();
    SpanRecord okRoot = span(ok, 0, "web", "GET /", T0 + SECOND, 10 * MS)
        .status(StatusCode.OK, "").build();
    write(fRoot, fChild, okRoot);

    assertEquals(List.of(failed), ids(find(TraceQuery.builder().errorOnly(true).build())));
    assertEquals(List.of(failed), ids(find(TraceQuery.builder().service("web").errorOnly(true)
        .build())), "the error is on another span than the one matching the service");
    assertEquals(List.of(ok, failed), ids(find(TraceQuery.builder().build())));
  }

  @Test
  protected void findTraces_limit_returnsTheNewestFirst() throws Exception {
    List<TraceSummary> all = writeRandomTraces(30, "web");
    for (int i = 0; i < 5; i++) {
      TraceId t = newTraceId();
      write(span(t, 0, "other", "x", T0 + random.nextInt(60) * SECOND, MS).build());
    }

    List<TraceSummary> found = find(TraceQuery.builder().service("web").limit(10).build());

    assertEquals(newest(all, 10), found);
    assertEquals(newest(all, 30), find(TraceQuery.builder().service("web").limit(100).build()));
  }

  @Test
  protected void findTraces_noConditions_returnsTheNewestTraces() throws Exception {
    List<TraceSummary> all = writeRandomTraces(25, "web");

    assertEquals(newest(all, 20), find(TraceQuery.builder().build()), "default limit 20");
    assertEquals(newest(all, 1), find(TraceQuery.builder().limit(1).build()));
  }

  // ---------------------------------------------------------------- services, operations

  @Test
  protected void services_sortedWithoutDuplicates() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /", T0, 10 * MS).build();
    write(root,
        span(t, root.spanId(), "cart", "load", T0 + MS, MS).build(),
        span(t, root.spanId(), "auth", "check", T0 + 2 * MS, MS).build(),
        span(t, root.spanId(), "cart", "save", T0 + 3 * MS, MS).build());

    assertEquals(List.of("auth", "cart", "web"), store.reader().services());
  }

  /** Pins: "sorted by name then kind" is the enum's natural order (INTERNAL, SERVER, CLIENT, …). */
  @Test
  protected void operations_sameNameWithTwoKinds_areTwoEntries() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "cart", "load", T0, 10 * MS).kind(SpanKind.CLIENT).build();
    write(root,
        span(t, root.spanId(), "cart", "load", T0 + MS, MS).kind(SpanKind.SERVER).build(),
        span(t, root.spanId(), "cart", "load", T0 + 2 * MS, MS).kind(SpanKind.SERVER).build(),
        span(t, root.spanId(), "cart", "flush", T0 + 3 * MS, MS).build(),
        span(t, root.spanId(), "web", "GET /", T0 + 4 * MS, MS).kind(SpanKind.SERVER).build());

    assertEquals(List.of(
            new Operation("flush", SpanKind.INTERNAL),
            new Operation("load", SpanKind.SERVER),
            new Operation("load", SpanKind.CLIENT)),
        store.reader().operations("cart"));
    assertEquals(List.of(new Operation("GET /", SpanKind.SERVER)),
        store.reader().operations("web"));
    assertEquals(List.of(), store.reader().operations("nope"));
  }

  // ---------------------------------------------------------------- dependencies

  @Test
  protected void dependencies_countParentServiceToChild() throws Exception {
    List<StoredSpan> spans = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      TraceId t = newTraceId();
      long base = T0 + i * SECOND;
      SpanRecord web = span(t, 0, "web", "GET /", base, 50 * MS).build();
      SpanRecord webInner = span(t, web.spanId(), "web", "render", base + MS, 5 * MS).build();
      SpanRecord cart = span(t, web.spanId(), "cart", "load", base + 2 * MS, 20 * MS)
          .status(i == 0 ? StatusCode.ERROR : StatusCode.OK, "").build();
      spans.add(StoredSpan.of(web));
      spans.add(new StoredSpan(webInner, "web"));
      spans.add(new StoredSpan(cart, "web"));
      if (i < 2) {
        SpanRecord db = span(t, cart.spanId(), "db", "select", base + 3 * MS, 5 * MS).build();
        spans.add(new StoredSpan(db, "cart"));
      }
    }
    TraceId orphan = newTraceId(); // parent never seen: "" is not a service
    spans.add(StoredSpan.of(span(orphan, nonZero(), "db", "select", T0 + 5 * SECOND, MS)
        .build()));
    store.writer().write(WriteBatch.ofSpans(spans));

    assertEquals(List.of(
            new DependencyLink("cart", "db", 2, 0),
            new DependencyLink("web", "cart", 3, 1)),
        store.reader().dependencies(T0 + MINUTE, MINUTE));
  }

  @Test
  protected void dependencies_windowByChildStart() throws Exception {
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "batch", T0, 2 * MINUTE).build();
    SpanRecord first = span(t, root.spanId(), "cart", "a", T0 + 10 * SECOND, MS).build();
    SpanRecord second = span(t, root.spanId(), "cart", "b", T0 + 70 * SECOND, MS).build();
    SpanRecord third = span(t, root.spanId(), "db", "c", T0 + 90 * SECOND, MS).build();
    store.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(root),
        new StoredSpan(first, "web"), new StoredSpan(second, "web"),
        new StoredSpan(third, "web"))));

    assertEquals(List.of(new DependencyLink("web", "cart", 1, 0)),
        store.reader().dependencies(T0 + 60 * SECOND, 60 * SECOND));
    assertEquals(List.of(new DependencyLink("web", "cart", 2, 0)),
        store.reader().dependencies(T0 + 70 * SECOND, 60 * SECOND), "end inclusive");
    assertEquals(List.of(new DependencyLink("web", "cart", 1, 0),
            new DependencyLink("web", "db", 1, 0)),
        store.reader().dependencies(T0 + 90 * SECOND, 20 * SECOND), "start inclusive");
    assertEquals(List.of(), store.reader().dependencies(T0 + 9 * SECOND, 9 * SECOND));
  }

  // ---------------------------------------------------------------- aggregates

  @Test
  protected void aggregates_percentilesOfAKnownDistribution() throws Exception {
    // 1..1000 ms, each once, shuffled, starting over one minute; every 100th fails
    List<Integer> millis = new ArrayList<>();
    for (int i = 1; i <= 1000; i++) {
      millis.add(i);
    }
    Collections.shuffle(millis, random);
    List<StoredSpan> batch = new ArrayList<>();
    for (int i = 0; i < millis.size(); i++) {
      int ms = millis.get(i);
      SpanRecord s = span(newTraceId(), 0, "api", "GET /items", T0 + i * 59_000L, ms * MS)
          .kind(SpanKind.SERVER)
          .status(ms % 100 == 0 ? StatusCode.ERROR : StatusCode.UNSET, "").build();
      batch.add(StoredSpan.of(s));
      if (batch.size() == 250) {
        store.writer().write(WriteBatch.ofSpans(batch));
        batch.clear();
      }
    }

    List<MinuteAggregate> aggregates = aggregates("api", "GET /items");

    assertEquals(1, aggregates.size(), aggregates.toString());
    MinuteAggregate a = aggregates.get(0);
    assertEquals("api", a.service());
    assertEquals("GET /items", a.operation());
    assertEquals(T0, a.minuteMicros());
    assertEquals(1000, a.count());
    assertEquals(10, a.errors());
    assertWithin(500 * MS, a.p50Micros(), "p50");
    assertWithin(950 * MS, a.p95Micros(), "p95");
    assertWithin(990 * MS, a.p99Micros(), "p99");
    assertWithin(1000 * MS, a.maxMicros(), "max");
    assertEquals(aggregates, aggregates("api", ""));
  }

  @Test
  protected void aggregates_perMinuteAndOperation() throws Exception {
    List<SpanRecord> spans = new ArrayList<>();
    // "b" once in minute 1; "a" 3 times in minute 0 (one error) and twice in minute 2
    spans.add(rootSpan("svc", "b", T0 + MINUTE + 5 * SECOND, 7 * MS, StatusCode.UNSET));
    spans.add(rootSpan("svc", "a", T0, 10 * MS, StatusCode.UNSET));
    spans.add(rootSpan("svc", "a", T0 + 30 * SECOND, 20 * MS, StatusCode.ERROR));
    spans.add(rootSpan("svc", "a", T0 + MINUTE - 1, 30 * MS, StatusCode.OK));
    spans.add(rootSpan("svc", "a", T0 + 2 * MINUTE, 40 * MS, StatusCode.UNSET));
    spans.add(rootSpan("svc", "a", T0 + 2 * MINUTE + 59 * SECOND, 40 * MS, StatusCode.UNSET));
    spans.add(rootSpan("other", "a", T0, 10 * MS, StatusCode.UNSET));
    write(spans.toArray(SpanRecord[]::new));

    List<MinuteAggregate> all = store.reader().aggregates("svc", "", T0, T0 + 3 * MINUTE);
    assertEquals(List.of("a@0 3/1", "a@2 2/0", "b@1 1/0"), describe(all),
        "sorted by operation then minute");
    for (MinuteAggregate a : all) {
      assertEquals("svc", a.service());
    }
    assertWithin(30 * MS, all.get(0).maxMicros(), "max of minute 0");
    assertWithin(40 * MS, all.get(1).p50Micros(), "p50 of minute 2");
    assertWithin(7 * MS, all.get(2).p99Micros(), "p99 of one span");

    assertEquals(List.of("a@0 3/1", "a@2 2/0"),
        describe(store.reader().aggregates("svc", "a", T0, T0 + 3 * MINUTE)));
    assertEquals(List.of("b@1 1/0"),
        describe(store.reader().aggregates("svc", "b", T0, T0 + 3 * MINUTE)));
    assertEquals(List.of("a@0 3/1", "b@1 1/0"),
        describe(store.reader().aggregates("svc", "", T0, T0 + 2 * MINUTE)), "to is exclusive");
    assertEquals(List.of("a@2 2/0", "b@1 1/0"),
        describe(store.reader().aggregates("svc", "", T0 + MINUTE, T0 + 3 * MINUTE)));
    assertEquals(List.of("a@0 1/0"),
        describe(store.reader().aggregates("other", "", T0, T0 + 3 * MINUTE)));
    assertEquals(List.of(), store.reader().aggregates("svc", "c", T0, T0 + 3 * MINUTE));
    assertEquals(List.of(), store.reader().aggregates("nope", "", T0, T0 + 3 * MINUTE));
  }

  // ---------------------------------------------------------------- durability

  @Test
  protected void reopen_keepsEverything_andStaysIdempotent() throws Exception {
    TestSpans gen = new TestSpans(8);
    TraceId t = newTraceId();
    SpanRecord root = span(t, 0, "web", "GET /cart", T0, 80 * MS).kind(SpanKind.SERVER)
        .addAttribute(new Attribute("cart.id", "c-42", true)).build();
    SpanRecord child = span(t, root.spanId(), "cart", "load", T0 + 5 * MS, 30 * MS)
        .kind(SpanKind.CLIENT).status(StatusCode.ERROR, "boom").build();
    SpanRecord full = gen.fullSpan();
    WriteBatch batch = new WriteBatch(
        List.of(StoredSpan.of(root), new StoredSpan(child, "web"), StoredSpan.of(full)),
        List.of(gen.log(root), gen.errorLog(child), gen.log(full)),
        List.of(new TraceNote(t, false, List.of("span x never arrived"))));
    store.writer().write(batch);

    Trace traceBefore = trace(t);
    Trace fullBefore = trace(TraceId.of(full));
    List<TraceSummary> foundBefore = find(TraceQuery.builder().tag("cart.id", "c-42").build());
    List<String> servicesBefore = store.reader().services();
    List<Operation> operationsBefore = store.reader().operations("cart");
    List<DependencyLink> linksBefore = dependencies();
    List<MinuteAggregate> aggregatesBefore = aggregates("cart", "");

    SpanStore old = store;
    store = null; // if reopen fails, it owns closing the old store
    store = reopen(old, dir);
    assertNotNull(store, "reopen returned null");

    assertEquals(traceBefore, trace(t));
    assertEquals(fullBefore, trace(TraceId.of(full)));
    assertEquals(List.of(full), fullBefore.spans());
    assertEquals(foundBefore, find(TraceQuery.builder().tag("cart.id", "c-42").build()));
    assertEquals(1, foundBefore.size());
    assertEquals(List.of("span x never arrived"), foundBefore.get(0).warnings());
    assertEquals(2, find(TraceQuery.builder().build()).size());
    assertEquals(servicesBefore, store.reader().services());
    assertEquals(List.of("cart", "payments", "web"), servicesBefore);
    assertEquals(operationsBefore, store.reader().operations("cart"));
    assertEquals(List.of(new DependencyLink("web", "cart", 1, 1)), linksBefore);
    assertEquals(linksBefore, dependencies());
    assertEquals(aggregatesBefore, aggregates("cart", ""));

    WriteResult again = store.writer().write(batch);

    assertEquals(new WriteResult(0, 3, 0), again);
    assertEquals(traceBefore.spans(), trace(t).spans());
    assertEquals(traceBefore.logs(), trace(t).logs());
    assertEquals(linksBefore, dependencies());
    assertEquals(aggregatesBefore, aggregates("cart", ""));
  }

  // ---------------------------------------------------------------- concurrency

  @Test
  protected void concurrentOverlappingWrites_storeEachSpanOnce() throws Exception {
    int traces = 40;
    int spansPerTrace = 5;
    List<List<StoredSpan>> byTrace = new ArrayList<>();
    List<TraceId> ids = new ArrayList<>();
    for (int i = 0; i < traces; i++) {
      TraceId t = newTraceId();
      ids.add(t);
      long base = T0 + i * 500 * MS;
      SpanRecord root = span(t, 0, "web", "GET /", base, 100 * MS).build();
      List<StoredSpan> spans = new ArrayList<>(List.of(StoredSpan.of(root)));
      for (int j = 1; j < spansPerTrace; j++) {
        spans.add(new StoredSpan(span(t, root.spanId(), "cart", "load", base + j * MS, MS)
            .build(), "web"));
      }
      byTrace.add(spans);
    }
    // thread 1: traces 0..29, thread 2: traces 10..39; the overlap in different batch shapes
    Callable<int[]> one = writer(byTrace.subList(0, 30), 3, new Random(1));
    Callable<int[]> two = writer(byTrace.subList(10, 40), 7, new Random(2));
    CyclicBarrier start = new CyclicBarrier(2);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    int[] r1;
    int[] r2;
    try {
      Future<int[]> f1 = pool.submit(() -> {
        start.await();
        return one.call();
      });
      Future<int[]> f2 = pool.submit(() -> {
        start.await();
        return two.call();
      });
      r1 = f1.get(30, TimeUnit.SECONDS);
      r2 = f2.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    int total = traces * spansPerTrace;
    assertEquals(total, r1[0] + r2[0], "spans stored, summed over both writers");
    assertEquals(20 * spansPerTrace, r1[1] + r2[1], "the overlap was already present once");
    for (int i = 0; i < traces; i++) {
      Trace trace = trace(ids.get(i));
      assertEquals(spansPerTrace, trace.spans().size(), "trace " + i);
      assertEquals(spansPerTrace, trace.summary().spanCount(), "trace " + i);
      assertEquals("web", trace.summary().rootService());
    }
    long web = aggregates("web", "").stream().mapToLong(MinuteAggregate::count).sum();
    long cart = aggregates("cart", "").stream().mapToLong(MinuteAggregate::count).sum();
    assertEquals(traces, web);
    assertEquals(traces * (spansPerTrace - 1L), cart);
    assertEquals(List.of(new DependencyLink("web", "cart", traces * (spansPerTrace - 1L), 0)),
        dependencies());
    assertEquals(traces, find(TraceQuery.builder().limit(100).build()).size());
  }

  // ---------------------------------------------------------------- health, bad input

  @Test
  protected void check_healthyWhenOpen() {
    SpanStore.Health health = store.check();
    assertTrue(health.healthy(), health.message());
  }

  @Test
  protected void traceQuery_invalidValues_nameTheField() {
    assertMessageNames("limit", () -> TraceQuery.builder().limit(0).build());
    assertMessageNames("limit", () -> TraceQuery.builder().limit(TraceQuery.MAX_LIMIT + 1).build());
    assertMessageNames("duration", () -> TraceQuery.builder().minDurationMicros(-1).build());
    assertMessageNames("duration", () -> TraceQuery.builder().maxDurationMicros(-1).build());
    assertMessageNames("duration",
        () -> TraceQuery.builder().minDurationMicros(200).maxDurationMicros(100).build());
    assertMessageNames("start",
        () -> TraceQuery.builder().startFromMicros(T0).startToMicros(T0 - 1).build());
    NullPointerException npe = assertThrows(NullPointerException.class,
        () -> TraceQuery.builder().service(null));
    assertEquals("service", npe.getMessage());
    npe = assertThrows(NullPointerException.class, () -> TraceQuery.builder().tag(null, "v"));
    assertTrue(npe.getMessage().contains("tag"), npe.getMessage());
    // the edges are valid
    TraceQuery.builder().limit(1).build();
    TraceQuery.builder().limit(TraceQuery.MAX_LIMIT).build();
    TraceQuery.builder().minDurationMicros(5).maxDurationMicros(5).startFromMicros(T0)
        .startToMicros(T0).build();
  }

  // ---------------------------------------------------------------- helpers

  /** A new random, valid trace ID from this test's seed. */
  protected TraceId newTraceId() {
    return new TraceId(random.nextLong(), nonZero());
  }

  protected long nonZero() {
    long v;
    do {
      v = random.nextLong();
    } while (v == 0);
    return v;
  }

  /** A span builder with a fresh span ID; {@code parent} 0 makes a root. */
  protected SpanRecord.Builder span(
      TraceId trace, long parent, String service, String name, long startMicros, long micros) {
    return SpanRecord.builder().traceId(trace.high(), trace.low()).spanId(nonZero())
        .parentSpanId(parent).service(service).name(name)
        .scope("dev.cairn.store.kit", "1").startMicros(startMicros).durationMicros(micros);
  }

  private SpanRecord rootSpan(String service, String name, long start, long micros,
      StatusCode status) {
    return span(newTraceId(), 0, service, name, start, micros).status(status, "").build();
  }

  /** Writes spans with no parent service known. */
  protected WriteResult write(SpanRecord... spans) throws StoreException {
    return store.writer().write(WriteBatch.ofSpans(
        Arrays.stream(spans).map(StoredSpan::of).toList()));
  }

  protected Trace trace(TraceId id) throws StoreException {
    return store.reader().trace(id)
        .orElseThrow(() -> new AssertionError("trace " + id + " not found"));
  }

  protected List<TraceSummary> find(TraceQuery query) throws StoreException {
    return store.reader().findTraces(query);
  }

  private List<TraceId> tagged(String key, String value) throws StoreException {
    return ids(find(TraceQuery.builder().tag(key, value).build()));
  }

  private static List<TraceId> ids(List<TraceSummary> summaries) {
    return summaries.stream().map(TraceSummary::traceId).toList();
  }

  /** Every link of the test data's hour. */
  private List<DependencyLink> dependencies() throws StoreException {
    return store.reader().dependencies(T0 + 60 * MINUTE, 60 * MINUTE);
  }

  /** Aggregates of the test data's hour. */
  private List<MinuteAggregate> aggregates(String service, String operation)
      throws StoreException {
    return store.reader().aggregates(service, operation, T0, T0 + 60 * MINUTE);
  }

  /** "operation@minute count/errors", minutes counted from T0. */
  private static List<String> describe(List<MinuteAggregate> aggregates) {
    return aggregates.stream().map(a -> a.operation() + "@" + (a.minuteMicros() - T0) / MINUTE
        + " " + a.count() + "/" + a.errors()).toList();
  }

  /** Writes n one- or two-span traces at distinct random seconds of an hour; their summaries. */
  private List<TraceSummary> writeRandomTraces(int n, String service) throws StoreException {
    List<Integer> seconds = new ArrayList<>();
    for (int i = 0; i < 3600; i++) {
      seconds.add(i);
    }
    Collections.shuffle(seconds, random);
    List<TraceId> ids = new ArrayList<>();
    List<StoredSpan> spans = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      TraceId t = newTraceId();
      ids.add(t);
      long start = T0 + seconds.get(i) * SECOND + random.nextInt(1000);
      SpanRecord root = span(t, 0, service, "GET /" + i, start, (1 + random.nextInt(500)) * MS)
          .build();
      spans.add(StoredSpan.of(root));
      if (i % 2 == 0) {
        spans.add(new StoredSpan(span(t, root.spanId(), "cart", "load", start + MS, MS).build(),
            service));
      }
    }
    Collections.shuffle(spans, random);
    store.writer().write(WriteBatch.ofSpans(spans));
    List<TraceSummary> summaries = new ArrayList<>();
    for (TraceId t : ids) {
      summaries.add(trace(t).summary());
    }
    return summaries;
  }

  private static List<TraceSummary> newest(List<TraceSummary> all, int n) {
    return all.stream()
        .sorted(Comparator.comparingLong(TraceSummary::startMicros).reversed())
        .limit(n).toList();
  }

  /** Writes the traces in batches of whole traces, in a shuffled order; {stored, present}. */
  private Callable<int[]> writer(List<List<StoredSpan>> traces, int tracesPerBatch, Random order) {
    List<List<StoredSpan>> shuffled = new ArrayList<>(traces);
    Collections.shuffle(shuffled, order);
    return () -> {
      int stored = 0;
      int present = 0;
      for (int i = 0; i < shuffled.size(); i += tracesPerBatch) {
        List<StoredSpan> batch = new ArrayList<>();
        for (List<StoredSpan> trace : shuffled.subList(i,
            Math.min(shuffled.size(), i + tracesPerBatch))) {
          batch.addAll(trace);
        }
        WriteResult r = store.writer().write(WriteBatch.ofSpans(batch));
        stored += r.spansStored();
        present += r.spansAlreadyPresent();
      }
      return new int[] {stored, present};
    };
  }

  private static void assertWithin(long expected, long actual, String what) {
    double error = Math.abs(actual - expected) / (double) expected;
    assertTrue(error <= 0.05,
        what + ": expected " + expected + " µs within 5%, was " + actual + " µs");
  }

  private static void assertMessageNames(String field, Runnable build) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build::run);
    assertTrue(e.getMessage().contains(field),
        "message should name " + field + ": " + e.getMessage());
  }
}
