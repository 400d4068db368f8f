package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.MinuteAggregate;
import dev.cairn.store.SpanReader;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.TraceNote;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A writer killed at any step of a write (docs/store-elasticsearch.md, "Writes"): the puller
 * writes the batch again after its restart, and every trace ends up with its summary, complete,
 * and every span and call counted exactly once in the summaries, aggregates and dependency links.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class EsWriteCrashIT {
  private static final long T0 = 1_763_700_000_000_000L; // 2025-11-21T04:40:00Z
  private static final long MS = 1_000L;
  private static final long MINUTE = 60_000_000L;
  private static final int TRACES = 4;
  private static final int SPANS = 5; // a web root and 4 cart calls each

  private final Random random = new Random(0xC4);
  @RegisterExtension final EsScope es = new EsScope();

  @ParameterizedTest
  @EnumSource(EsWriter.Step.class)
  void killedAfterAnyStep_theBatchWrittenAgain_countsEverySpanOnce(EsWriter.Step step)
      throws Exception {
    WriteBatch batch = batch();
    EsSpanStore killed = open();
    ((EsWriter) killed.writer()).afterStep = s -> {
      if (s == step) {
        throw new IllegalStateException("killed after " + s);
      }
    };
    assertThrows(IllegalStateException.class, () -> killed.writer().write(batch));

    EsSpanStore restarted = open(); // the puller again: it pulls and writes the batch again
    WriteResult again = restarted.writer().write(batch);

    int spans = TRACES * SPANS;
    assertEquals(spans, again.spansStored() + again.spansAlreadyPresent());
    assertEquals(step == EsWriter.Step.INTENT ? spans : 0, again.spansStored(),
        "the parts are created once, by whichever write came first");
    assertCountedOnce(restarted.reader(), batch);
    restarted.close(); // deletes its own intents, counted
    assertEquals(List.of(), intents("open", "sealed", "taken"),
        "every intent counted: none left but the done ones, kept for a writer still alive");

    EsSpanStore third = open(); // another restart finds the done intents: it counts nothing again
    assertEquals(new WriteResult(0, spans, 0), third.writer().write(batch));
    assertCountedOnce(third.reader(), batch);
  }

  /**
   * A store finds the intent of a writer that is alive but slow, still open, and takes it over;
   * the writer then learns which of its parts that store counted and counts only the others.
   */
  @ParameterizedTest
  @EnumSource(value = EsWriter.Step.class, names = {"INTENT", "PARTS"})
  void anIntentTakenOverFromAWriterStillAlive_isCountedOnce(EsWriter.Step pauseAfter)
      throws Exception {
    WriteBatch batch = batch();
    EsSpanStore slow = open();
    CountDownLatch paused = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    ((EsWriter) slow.writer()).afterStep = s -> {
      if (s == pauseAfter) {
        paused.countDown();
        try {
          assertTrue(resume.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      }
    };
    CompletableFuture<WriteResult> slowWrite = CompletableFuture.supplyAsync(() -> {
      try {
        return slow.writer().write(batch);
      } catch (StoreException e) {
        throw new IllegalStateException(e);
      }
    });
    assertTrue(paused.await(60, TimeUnit.SECONDS));

    EsSpanStore other = open(); // its first write finishes the intents it finds: the slow one's
    TraceId unrelated = newTraceId();
    other.writer().write(new WriteBatch(trace(unrelated, T0 + 10 * MINUTE), List.of(),
        List.of(new TraceNote(unrelated, true, List.of()))));
    assertEquals(List.of(), intents("open"), "the slow writer's intent was taken over");
    resume.countDown();
    assertEquals(TRACES * SPANS, slowWrite.get(60, TimeUnit.SECONDS).spansStored());

    assertCountedOnce(other.reader(), batch);
    other.close();
    slow.close();
    assertEquals(List.of(), intents("open", "sealed", "taken"));
  }

  @Test
  void aFailedWriteLeavesItsIntent_andTheSameStoreCountsItAtItsNextWrite() throws Exception {
    WriteBatch batch = batch();
    EsSpanStore store = open();
    EsWriter writer = (EsWriter) store.writer();
    writer.afterStep = s -> {
      if (s == EsWriter.Step.HALF_APPLIED) {
        throw new IllegalStateException("Elasticsearch went away with half of it applied");
      }
    };
    assertThrows(IllegalStateException.class, () -> writer.write(batch));
    assertEquals(1, store.stats().pendingDeltas(), "one write not counted yet");

    writer.afterStep = null;
    TraceId other = newTraceId();
    writer.write(WriteBatch.ofSpans(trace(other, T0 + 10 * MINUTE)));

    assertEquals(0, store.stats().pendingDeltas());
    assertCountedOnce(store.reader(), batch);
    store.close();
    assertEquals(List.of(), intents("open", "sealed", "taken", "done"));
  }

  // ---------------------------------------------------------------- helpers

  private EsSpanStore open() throws StoreException {
    return es.open(EsTesting.store(es.prefix()));
  }

  /** {@link #TRACES} traces, each a web root calling cart {@link #SPANS} − 1 times, all complete. */
  private WriteBatch batch() {
    List<StoredSpan> spans = new ArrayList<>();
    List<TraceNote> notes = new ArrayList<>();
    for (int t = 0; t < TRACES; t++) {
      TraceId id = newTraceId();
      spans.addAll(trace(id, T0 + t * 10 * MS));
      notes.add(new TraceNote(id, true, List.of()));
    }
    return new WriteBatch(spans, List.of(), notes);
  }

  private List<StoredSpan> trace(TraceId t, long start) {
    return EsTesting.webTrace(random, t, start, SPANS, "web");
  }

  private TraceId newTraceId() {
    return new TraceId(random.nextLong(), random.nextLong() | 1);
  }

  /** Every trace of the batch summarised complete with its spans; every span and call once. */
  private static void assertCountedOnce(SpanReader reader, WriteBatch batch) throws Exception {
    List<TraceId> traces = batch.notes().stream().map(TraceNote::traceId).toList();
    for (TraceId t : traces) {
      TraceSummary s = reader.trace(t).orElseThrow().summary();
      assertTrue(s.complete(), t + " complete: " + s);
      assertEquals(SPANS, s.spanCount(), t + ": " + s);
    }
    List<TraceSummary> found = reader.findTraces(TraceQuery.builder().service("cart")
        .startFromMicros(T0 - MINUTE).startToMicros(T0 + MINUTE).limit(100).build());
    assertTrue(found.stream().map(TraceSummary::traceId).toList().containsAll(traces),
        "findTraces finds every trace: " + found);
    long calls = reader.dependencies(T0 + 2 * MINUTE, 4 * MINUTE).stream()
        .filter(d -> d.parent().equals("web") && d.child().equals("cart"))
        .mapToLong(DependencyLink::callCount).sum();
    long cartSpans = reader.aggregates("cart", "", T0 - MINUTE, T0 + MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum();
    long webSpans = reader.aggregates("web", "", T0 - MINUTE, T0 + MINUTE).stream()
        .mapToLong(MinuteAggregate::count).sum();
    assertEquals(List.of((long) TRACES * (SPANS - 1), (long) TRACES * (SPANS - 1), (long) TRACES),
        List.of(calls, cartSpans, webSpans), "calls web→cart, cart spans, web spans: each once");
  }

  /** The IDs of this prefix's intents in these states. */
  private List<String> intents(String... states) throws Exception {
    EsTesting.send("POST", "/" + es.prefix() + "-intent-*/_refresh", null);
    String body = EsTesting.send("GET", "/" + es.prefix() + "-intent-*/_search?size=1000", null);
    List<String> out = new ArrayList<>();
    for (String state : states) {
      int at = 0;
      while ((at = body.indexOf("\"state\":\"" + state + "\"", at)) >= 0) {
        out.add(state);
        at++;
      }
    }
    return out;
  }
}
