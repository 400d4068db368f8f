package dev.cairn.puller;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.SpanReader;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceNote;
import dev.cairn.store.WriteBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Holds decoded spans and log lines by trace until the trace is complete, then writes it to the
 * store.
 *
 * <p><b>Completeness.</b> A trace is complete when it has a root (parent 0) and every span's
 * parent is present, counting spans this assembler already handed to the store. A complete trace
 * is written once no new span of it arrived for {@code quietMillis} (stragglers join it). A trace
 * still incomplete {@code maxWaitMillis} after its first record arrived is reported once as a
 * {@link GapFetch}; if it is not complete {@code gapFetchMillis} later, what exists is written with
 * a partial {@link TraceNote} whose warnings name the missing parents.
 *
 * <p><b>Late records.</b> A span or log line of a trace already handed to the store is held again
 * as a new part of that trace and written as its own small batch by the same rules; the store
 * merges it. To judge the whole trace (and fill {@link StoredSpan#parentService}) the assembler
 * remembers the span IDs, parents and services of the last {@code rememberedTraces} traces it
 * handed to the store; for a trace it no longer remembers, and only when the trace is not complete
 * at its maximum wait, it reads the stored trace back through the optional {@link SpanReader}. A
 * span already remembered or held (same trace and span ID: a re-pull or a fetch) is dropped and
 * counted as a duplicate.
 *
 * <p><b>Memory bound.</b> At most {@code maxHeldRecords} spans and log lines are held while
 * assembling; beyond it the oldest traces are handed to the store at once, as they are (counted
 * as flushed early). Records queued for the store are bounded by the store: {@link #hasCapacity()}
 * turns false while assembling plus queued records reach the bound, and the puller must stop
 * pulling until it turns true again. The assembler itself never drops a record.
 *
 * <p><b>Writes.</b> Due traces are grouped into batches of at most {@code maxBatchRecords} spans
 * and log lines (one larger trace goes alone). A failed write ({@link StoreException} or any
 * runtime exception) keeps its batch at the head of the queue and is retried, unchanged, after an
 * exponential back-off; the store is idempotent, so a retry never duplicates. Nothing after a
 * failed batch is written before it, so a late part of a trace always lands after the part before
 * it and its note (which judges the whole trace) is the latest. A batch that failed {@code
 * splitAfterFailures} times in a row while the store reports itself healthy is split in halves,
 * down to single records, and what the store still refuses on its own while the rest goes in is
 * skipped, counted ({@link AssemblerStats#spansRejected()}) and logged with its trace ID, so one
 * bad record cannot hold the queue (and every cursor) for ever. By default writes happen on the
 * assembly thread inside {@code tick()}; with {@link Builder#writeBehind} on a writer thread of the
 * assembler's own, so assembling and storing overlap.
 *
 * <p><b>Cursors.</b> Every record is added with its origin: the host and the journal sequence of
 * the block it was decoded from. {@link #safeCursor(String)} is the position from which that host
 * must be pulled again after a restart so that nothing not acknowledged by the store is lost.
 *
 * <p><b>Threading.</b> Not thread-safe: {@code add}, {@code blockDone}, {@code tick}, {@code
 * flushAll}, {@code safeCursor} and {@code stats} are called from one thread, the puller's assembly
 * thread. Store writes happen on that thread, inside {@code tick} (and {@code add} when the memory
 * bound is reached), or on the write-behind thread; the gap-fetch callback runs on it too and must only hand the request on (it
 * must not call back into the assembler).
 *
 * <pre>{@code
 * TraceAssembler assembler = TraceAssembler.builder(store.writer())
 *     .reader(store.reader())
 *     .onGapFetch(fetches::add)
 *     .build();
 * for (Block block : pulled) {
 *   for (SpanRecord s : block.spans()) assembler.add(s, host, block.seq());
 *   for (LogRecord l : block.logs()) assembler.add(l, host, block.seq());
 *   assembler.blockDone(host, block.seq());
 * }
 * assembler.tick();                                   // every ~100 ms
 * assembler.safeCursor(host).ifPresent(c -> cursors.save(host, c));
 * }</pre>
 */
public final class TraceAssembler {
  /** The sequence of a record that must not hold any cursor back (e.g. one that came by FETCH). */
  public static final long NO_SEQ = -1;

  private static final Logger LOG = LogManager.getLogger(TraceAssembler.class);

  private final SpanWriter writer;
  private final SpanReader reader;
  private final LongSupplier clock;
  private final Consumer<GapFetch> onGapFetch;
  private final long quietMillis;
  private final long maxWaitMillis;
  private final long gapFetchMillis;
  private final int maxHeldRecords;
  private final int maxBatchRecords;
  private final int rememberedTraces;
  private final long retryMinMillis;
  private final long retryMaxMillis;

  /** Traces being assembled, oldest first. */
  private final LinkedHashMap<TraceId, Held> assembling = new LinkedHashMap<>();
  /** Trace parts handed to the store and not yet acknowledged, in write order. */
  private final ArrayDeque<Part> queue = new ArrayDeque<>();
  /** Span IDs → (parent, service) of traces handed to the store, least recently handed first. */
  private final LinkedHashMap<TraceId, Map<Long, KnownSpan>> remembered = new LinkedHashMap<>();
  private final Map<String, HostCursor> cursors = new HashMap<>();

  private int assemblingSpans;
  private int assemblingLogs;
  private int queuedSpans;
  private int queuedLogs;
  private long nextAttemptAt = Long.MIN_VALUE;
  private long backoff;

  private long tracesWrittenComplete;
  private long tracesWrittenPartial;
  private long lateSpans;
  private long tracesFlushedEarly;
  private long gapFetchesRequested;
  private long duplicateSpans;
  private final LongAdder writeRetries = new LongAdder();
  private final LongAdder batchesWritten = new LongAdder();
  private final LongAdder spansRejected = new LongAdder();
  private final LongAdder logsRejected = new LongAdder();
  private int failuresInARow;
  private final BooleanSupplier storeHealthy;
  private final int splitAfterFailures;
  /** Null: writes happen on the assembly thread; otherwise parts are handed to this writer thread. */
  private final WriteBehind writeBehind;
  /** Parts handed to {@link #writeBehind} and not acknowledged yet (still counted as queued). */
  private int inFlight;

  private TraceAssembler(Builder b) {
    writer = b.writer;
    reader = b.reader;
    clock = b.clock;
    onGapFetch = b.onGapFetch;
    quietMillis = b.quietMillis;
    maxWaitMillis = b.maxWaitMillis;
    gapFetchMillis = b.gapFetchMillis;
    maxHeldRecords = b.maxHeldRecords;
    maxBatchRecords = b.maxBatchRecords;
    rememberedTraces = b.rememberedTraces;
    retryMinMillis = b.retryMinMillis;
    retryMaxMillis = b.retryMaxMillis;
    storeHealthy = b.storeHealthy;
    splitAfterFailures = b.splitAfterFailures;
    writeBehind = b.writeBehind ? new WriteBehind() : null;
  }

  public static Builder builder(SpanWriter writer) {
    return new Builder(writer);
  }

  /**
   * Holds a span decoded from the block {@code seq} of {@code host}; {@link #NO_SEQ} when it must
   * not hold the host's cursor back.
   */
  public void add(SpanRecord span, String host, long seq) {
    requireNonNull(span, "span");
    requireNonNull(host, "host");
    long now = clock.getAsLong();
    TraceId id = TraceId.of(span);
    Map<Long, KnownSpan> known = remembered.get(id);
    Held h = assembling.get(id);
    if ((known != null && known.containsKey(span.spanId()))
        || (h != null && h.spans.containsKey(span.spanId()))) {
      duplicateSpans++;
      return;
    }
    if (h == null) {
      h = new Held(id, now, known != null);
      assembling.put(id, h);
    }
    h.spans.put(span.spanId(), span);
    h.verdict = null;
    h.lastSpanMillis = now;
    if (h.late) {
      lateSpans++;
    }
    pin(h, host, seq);
    assemblingSpans++;
    enforceBound(now);
  }

  /** Holds a log line decoded from the block {@code seq} of {@code host}, with its trace. */
  public void add(LogRecord log, String host, long seq) {
    requireNonNull(log, "log");
    requireNonNull(host, "host");
    if (log.traceIdHigh() == 0 && log.traceIdLow() == 0) {
      return; // written outside any trace: nothing to attach it to
    }
    long now = clock.getAsLong();
    TraceId id = new TraceId(log.traceIdHigh(), log.traceIdLow());
    Held h = assembling.get(id);
    if (h == null) {
      h = new Held(id, now, remembered.containsKey(id));
      assembling.put(id, h);
    }
    h.logs.add(log);
    pin(h, host, seq);
    assemblingLogs++;
    enforceBound(now);
  }

  /**
   * Says every record of the block {@code seq} of {@code host} was added. Blocks of a host are
   * added in sequence order; a block is done before the next one's records are added.
   */
  public void blockDone(String host, long seq) {
    HostCursor c = cursors.computeIfAbsent(requireNonNull(host, "host"), k -> new HostCursor());
    c.highestDone = Math.max(c.highestDone, seq);
  }

  /**
   * Where {@code host} must be pulled from again after a restart: the lowest sequence of a block
   * with a record not yet acknowledged by the store, or, when none is held, one past the highest
   * block {@linkplain #blockDone done}. Persisting it never runs ahead of the store. Empty when
   * nothing of the host was added and done yet.
   */
  public OptionalLong safeCursor(String host) {
    HostCursor c = cursors.get(host);
    if (c == null) {
      return OptionalLong.empty();
    }
    long safe = c.highestDone >= 0 ? c.highestDone + 1 : Long.MAX_VALUE;
    if (!c.held.isEmpty()) {
      safe = Math.min(safe, c.held.firstKey());
    }
    return safe == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(safe);
  }

  /** Whether the puller may pull more: held and queued records are below the memory bound. */
  public boolean hasCapacity() {
    collectAcks();
    return assemblingSpans + assemblingLogs + queuedSpans + queuedLogs < maxHeldRecords;
  }

  /**
   * Hands due traces to the store, requests gap fetches, and retries a failed write whose back-off
   * has passed. Call it periodically (every 100 ms or so) from the assembly thread.
   */
  public void tick() {
    long now = clock.getAsLong();
    List<Held> due = new ArrayList<>();
    List<Held> overdue = new ArrayList<>();
    for (Held h : assembling.values()) {
      Verdict v = judge(h);
      if (v.complete()) {
        if (now - h.lastSpanMillis >= quietMillis) {
          due.add(h);
        }
      } else if (h.gapRequestedAt == Long.MIN_VALUE) {
        if (now - h.firstMillis >= maxWaitMillis) {
          overdue.add(h);
        }
      } else if (now - h.gapRequestedAt >= gapFetchMillis) {
        due.add(h);
      }
    }
    for (Held h : overdue) {
      if (reader != null && !h.storeConsulted && !remembered.containsKey(h.id)) {
        h.storeConsulted = true;
        readBack(h);
        if (judge(h).complete()) {
          due.add(h); // its parents were stored before we remembered them; no fetch needed
          continue;
        }
      }
      h.gapRequestedAt = now;
      gapFetchesRequested++;
      GapFetch request = new GapFetch(h.id, judge(h).missingParents().keySet());
      try {
        onGapFetch.accept(request);
      } catch (RuntimeException e) {
        LOG.warn("gap fetch callback failed for trace {}: {}", h.id, e.toString());
      }
    }
    for (Held h : due) {
      assembling.remove(h.id);
      enqueue(h, false);
    }
    drain(now);
  }

  /**
   * Hands every held trace to the store as it is (complete or partial) and tries to write the
   * queue once, e.g. at shutdown. Returns whether nothing is left unacknowledged.
   */
  public boolean flushAll() {
    long now = clock.getAsLong();
    for (Held h : new ArrayList<>(assembling.values())) {
      // As tick() does for overdue traces: parents already stored make a held part complete.
      if (reader != null && !h.storeConsulted && !remembered.containsKey(h.id) && !judge(h).complete()) {
        h.storeConsulted = true;
        readBack(h);
      }
      assembling.remove(h.id);
      enqueue(h, false);
    }
    nextAttemptAt = Long.MIN_VALUE;
    drain(now);
    if (writeBehind != null) {
      // Give the writer thread a moment; the caller calls again while it wants to wait longer.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (inFlight > 0 && System.nanoTime() < deadline && writeBehind.thread.isAlive()) {
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
        collectAcks();
      }
    }
    return queue.isEmpty() && inFlight == 0;
  }

  /**
   * Stops the write-behind thread, if any; parts it did not finish stay unacknowledged (their
   * blocks hold the cursors back). Call after the last {@link #flushAll()}.
   */
  public void close() {
    if (writeBehind != null) {
      writeBehind.stop();
      collectAcks();
    }
  }

  public AssemblerStats stats() {
    collectAcks();
    return new AssemblerStats(tracesWrittenComplete, tracesWrittenPartial, lateSpans,
        tracesFlushedEarly, gapFetchesRequested, duplicateSpans, writeRetries.sum(), batchesWritten.sum(),
        spansRejected.sum(), logsRejected.sum(),
        assembling.size(), assemblingSpans + queuedSpans, assemblingLogs + queuedLogs, queue.size() + inFlight);
  }

  private void pin(Held h, String host, long seq) {
    if (seq == NO_SEQ) {
      return;
    }
    HostCursor c = cursors.computeIfAbsent(host, k -> new HostCursor());
    c.held.merge(seq, 1, Integer::sum);
    h.pins.add(new Pin(c, seq));
  }

  private void enforceBound(long now) {
    boolean flushed = false;
    while (assemblingSpans + assemblingLogs > maxHeldRecords && !assembling.isEmpty()) {
      Iterator<Held> oldest = assembling.values().iterator();
      Held h = oldest.next();
      oldest.remove();
      tracesFlushedEarly++;
      enqueue(h, true);
      flushed = true;
    }
    if (flushed) {
      drain(now);
    }
  }

  /** Folds the stored spans of a trace we no longer remember into the memory, to judge it whole. */
  private void readBack(Held h) {
    try {
      Optional<Trace> stored = reader.trace(h.id);
      if (stored.isPresent() && !stored.get().spans().isEmpty()) {
        Map<Long, KnownSpan> known = new HashMap<>();
        for (SpanRecord s : stored.get().spans()) {
          known.put(s.spanId(), new KnownSpan(s.parentSpanId(), s.service()));
        }
        int before = h.spans.size();
        h.spans.keySet().removeIf(known::containsKey); // already stored: nothing to add
        duplicateSpans += before - h.spans.size();
        assemblingSpans -= before - h.spans.size();
        h.late = true;
        remember(h.id, known);
        h.verdict = null;
      }
    } catch (StoreException | RuntimeException e) {
      LOG.warn("could not read trace {} back from the store to judge it: {}", h.id, e.toString());
    }
  }

  /**
   * The verdict on a held trace, recomputed only after it changed: {@code tick()} asks about
   * every held trace ten times a second, and most of them did not change since the last time.
   */
  private Verdict judge(Held h) {
    if (h.verdict == null) {
      h.verdict = computeVerdict(h);
    }
    return h.verdict;
  }

  private Verdict computeVerdict(Held h) {
    Map<Long, KnownSpan> known = remembered.getOrDefault(h.id, Map.of());
    boolean root = false;
    Map<Long, List<Long>> missing = new TreeMap<>();
    for (SpanRecord s : h.spans.values()) {
      root |= checkParent(s.spanId(), s.parentSpanId(), h, known, missing);
    }
    for (Map.Entry<Long, KnownSpan> e : known.entrySet()) {
      root |= checkParent(e.getKey(), e.getValue().parent(), h, known, missing);
    }
    return new Verdict(root && missing.isEmpty(), root, missing);
  }

  private static boolean checkParent(long spanId, long parent, Held h, Map<Long, KnownSpan> known,
      Map<Long, List<Long>> missing) {
    if (parent == 0) {
      return true;
    }
    if (!h.spans.containsKey(parent) && !known.containsKey(parent)) {
      missing.computeIfAbsent(parent, k -> new ArrayList<>()).add(spanId);
    }
    return false;
  }

  private void enqueue(Held h, boolean early) {
    Verdict v = judge(h);
    Map<Long, KnownSpan> known = remembered.getOrDefault(h.id, Map.of());
    List<StoredSpan> spans = new ArrayList<>(h.spans.size());
    for (SpanRecord s : h.spans.values()) {
      String parentService = "";
      if (s.parentSpanId() != 0) {
        SpanRecord p = h.spans.get(s.parentSpanId());
        KnownSpan k = known.get(s.parentSpanId());
        parentService = p != null ? p.service() : k != null ? k.service() : "";
      }
      spans.add(new StoredSpan(s, parentService));
    }
    List<String> warnings = new ArrayList<>();
    for (Map.Entry<Long, List<Long>> e : v.missingParents().entrySet()) {
      List<String> children = new ArrayList<>();
      for (long c : new TreeSet<>(e.getValue())) {
        children.add(Ids.spanIdHex(c));
      }
      warnings.add("parent " + Ids.spanIdHex(e.getKey()) + " of span" + (children.size() > 1 ? "s " : " ")
          + String.join(", ", children) + " never arrived");
    }
    if (h.spans.isEmpty() && known.isEmpty()) {
      warnings.add("only log lines arrived; no span of the trace");
    } else if (!v.root() && v.missingParents().isEmpty()) {
      warnings.add("no root span: the spans' parents form a cycle");
    }
    if (early) {
      warnings.add("written before assembly finished: the puller held its maximum of "
          + maxHeldRecords + " spans and log lines");
    }
    if (!v.complete()) {
      LOG.debug("trace {} handed to the store partial: {}", h.id, warnings);
    }
    TraceNote note = new TraceNote(h.id, v.complete(), warnings);
    Map<Long, KnownSpan> updated = new HashMap<>(known);
    for (SpanRecord s : h.spans.values()) {
      updated.put(s.spanId(), new KnownSpan(s.parentSpanId(), s.service()));
    }
    remember(h.id, updated);
    assemblingSpans -= h.spans.size();
    assemblingLogs -= h.logs.size();
    queuedSpans += spans.size();
    queuedLogs += h.logs.size();
    queue.add(new Part(spans, List.copyOf(h.logs), note, h.pins));
  }

  private void remember(TraceId id, Map<Long, KnownSpan> spans) {
    remembered.remove(id);
    remembered.put(id, spans);
    while (remembered.size() > Math.max(1, rememberedTraces)) { // the one just handed over stays
      Iterator<TraceId> eldest = remembered.keySet().iterator();
      Held forgotten = assembling.get(eldest.next());
      if (forgotten != null) {
        forgotten.verdict = null; // its verdict counted on the spans forgotten now
      }
      eldest.remove();
    }
  }

  private void drain(long now) {
    if (writeBehind != null) {
      collectAcks();
      while (!queue.isEmpty()) {
        inFlight++;
        writeBehind.submit(queue.removeFirst());
      }
      return;
    }
    while (!queue.isEmpty() && now >= nextAttemptAt) {
      List<Part> parts = new ArrayList<>();
      int records = 0;
      for (Part p : queue) {
        if (!parts.isEmpty() && records + p.records() > maxBatchRecords) {
          break;
        }
        parts.add(p);
        records += p.records();
      }
      if (!writeOrSplit(parts, failuresInARow)) {
        failuresInARow++;
        writeRetries.increment();
        backoff = backoff == 0 ? retryMinMillis : Math.min(retryMaxMillis, backoff * 2);
        nextAttemptAt = now + backoff;
        return;
      }
      failuresInARow = 0;
      backoff = 0;
      for (Part p : parts) {
        queue.removeFirst();
        acknowledged(p);
      }
    }
  }

  /** Takes the parts the write-behind thread finished (stored or rejected). Assembly thread only. */
  private void collectAcks() {
    if (writeBehind == null) {
      return;
    }
    for (Part p; (p = writeBehind.done.poll()) != null; ) {
      inFlight--;
      acknowledged(p);
    }
  }

  private void acknowledged(Part p) {
    queuedSpans -= p.spans.size();
    queuedLogs -= p.logs.size();
    if (p.note.complete()) {
      tracesWrittenComplete++;
    } else {
      tracesWrittenPartial++;
    }
    spansRejected.add(p.rejectedSpans);
    logsRejected.add(p.rejectedLogs);
    for (Pin pin : p.pins) {
      pin.cursor.held.computeIfPresent(pin.seq, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /**
   * Writes the parts as one batch. When that fails for the {@code splitAfterFailures}-th time in a
   * row, the batch is split in halves, and failing halves again, down to single spans and log
   * lines: if some pieces are stored, the store works and the single records it still refuses are
   * skipped (counted as rejected, their trace IDs logged), so one bad record cannot block the
   * queue for ever. If no piece is stored the store itself is failing: nothing is skipped, and the
   * caller retries after a back-off. A single record refused while the store reports itself
   * healthy is skipped too. Returns whether every record is now stored or skipped.
   */
  private boolean writeOrSplit(List<Part> parts, int failuresSoFar) {
    List<Unit> units = new ArrayList<>();
    for (Part p : parts) {
      p.spans.forEach(s -> units.add(new Unit(p, s, null)));
      p.logs.forEach(l -> units.add(new Unit(p, null, l)));
    }
    Exception failure;
    try {
      write(units, parts);
      return true;
    } catch (StoreException | RuntimeException e) {
      failure = e;
    }
    LOG.warn("store write of {} spans and log lines of {} traces failed ({} in a row): {}", units.size(),
        parts.size(), failuresSoFar + 1, failure.toString());
    if (failuresSoFar + 1 < splitAfterFailures || units.isEmpty() || !storeHealthy.getAsBoolean()) {
      return false;
    }
    Split split = new Split(units.size());
    if (units.size() > 1) {
      bisect(units, split);
    } else {
      split.refused.add(units.get(0));
    }
    if (split.stored == 0 && (units.size() > 1 || split.gaveUp)) {
      return false; // nothing went in: the store is failing, not a record
    }
    for (Unit u : split.refused) {
      if (u.span != null) {
        u.part.rejectedSpans++;
        LOG.warn("the store refuses span {} of trace {} ({}, '{}') on its own; skipped: {}",
            Ids.spanIdHex(u.span.span().spanId()), u.part.note.traceId(), u.span.span().service(),
            u.span.span().name(), failure.toString());
      } else {
        u.part.rejectedLogs++;
        LOG.warn("the store refuses a log line of trace {} on its own; skipped: {}", u.part.note.traceId(),
            failure.toString());
      }
    }
    return true;
  }

  /** How a split went. Gives up when many pieces fail and none is stored: a failing store. */
  private static final class Split {
    final int budget;
    final List<Unit> refused = new ArrayList<>();
    int stored;
    int failed;
    boolean gaveUp;

    Split(int units) {
      budget = 2 * (64 - Long.numberOfLeadingZeros(units)) + 2;
    }
  }

  private void bisect(List<Unit> units, Split split) {
    int mid = units.size() / 2;
    for (List<Unit> half : List.of(units.subList(0, mid), units.subList(mid, units.size()))) {
      if (split.gaveUp) {
        return;
      }
      try {
        write(half, null);
        split.stored++;
      } catch (StoreException | RuntimeException e) {
        split.failed++;
        if (split.stored == 0 && split.failed > split.budget) {
          split.gaveUp = true;
          return;
        }
        if (half.size() == 1) {
          split.refused.add(half.get(0));
        } else {
          bisect(half, split);
        }
      }
    }
  }

  /** One store write of these records and the notes of their traces. */
  private void write(List<Unit> units, List<Part> parts) throws StoreException {
    List<StoredSpan> spans = new ArrayList<>(units.size());
    List<LogRecord> logs = new ArrayList<>();
    LinkedHashMap<Part, Boolean> touched = new LinkedHashMap<>();
    for (Unit u : units) {
      if (u.span != null) {
        spans.add(u.span);
      } else {
        logs.add(u.log);
      }
      touched.put(u.part, Boolean.TRUE);
    }
    List<TraceNote> notes = new ArrayList<>();
    for (Part p : parts != null ? parts : touched.keySet()) {
      notes.add(p.note);
    }
    writer.write(new WriteBatch(spans, logs, notes));
    batchesWritten.increment();
  }

  /**
   * The thread that writes parts handed over by the assembly thread, in order, so that assembling
   * and storing run at the same time. While a write runs, the next parts queue up and go together
   * in the next write (up to {@code maxBatchRecords}): the busier the store, the larger and fewer
   * its writes. A failed write is retried in place, after a back-off, before anything behind it.
   */
  private final class WriteBehind implements Runnable {
    final LinkedBlockingQueue<Part> in = new LinkedBlockingQueue<>();
    final ConcurrentLinkedQueue<Part> done = new ConcurrentLinkedQueue<>();
    final Thread thread = new Thread(this, "cairn-puller-store-writer");
    volatile boolean stopped;

    WriteBehind() {
      thread.setDaemon(true);
      thread.start();
    }

    void submit(Part p) {
      in.add(p);
    }

    @Override
    public void run() {
      List<Part> parts = new ArrayList<>();
      while (!stopped) {
        try {
          Part first = in.poll(100, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          parts.add(first);
          int records = first.records();
          for (Part next; (next = in.peek()) != null && records + next.records() <= maxBatchRecords; ) {
            parts.add(in.poll());
            records += next.records();
          }
          long delay = 0;
          int failures = 0;
          while (!writeOrSplit(parts, failures)) {
            failures++;
            writeRetries.increment();
            delay = delay == 0 ? retryMinMillis : Math.min(retryMaxMillis, delay * 2);
            Thread.sleep(delay);
          }
          done.addAll(parts);
          parts.clear();
        } catch (InterruptedException e) {
          // stop(): what is not written stays unacknowledged, so no cursor moves past it
          return;
        } catch (RuntimeException e) {
          LOG.error("the store writer failed unexpectedly; retrying: {}", e.toString(), e);
        }
      }
    }

    void stop() {
      stopped = true;
      thread.interrupt();
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static final class Held {
    final TraceId id;
    final long firstMillis;
    final LinkedHashMap<Long, SpanRecord> spans = new LinkedHashMap<>();
    final List<LogRecord> logs = new ArrayList<>();
    final List<Pin> pins = new ArrayList<>();
    long lastSpanMillis;
    long gapRequestedAt = Long.MIN_VALUE;
    boolean late;
    boolean storeConsulted;
    /** The last verdict; null when the trace changed since. */
    Verdict verdict;

    Held(TraceId id, long now, boolean late) {
      this.id = id;
      this.firstMillis = now;
      this.lastSpanMillis = now;
      this.late = late;
    }
  }

  private static final class HostCursor {
    /** Sequence → records of that block still unacknowledged. */
    final TreeMap<Long, Integer> held = new TreeMap<>();
    long highestDone = -1;
  }

  private record Pin(HostCursor cursor, long seq) {}

  private record KnownSpan(long parent, String service) {}

  /** A trace part queued for the store; the rejected counts are set by whoever writes it. */
  private static final class Part {
    final List<StoredSpan> spans;
    final List<LogRecord> logs;
    final TraceNote note;
    final List<Pin> pins;
    int rejectedSpans;
    int rejectedLogs;

    Part(List<StoredSpan> spans, List<LogRecord> logs, TraceNote note, List<Pin> pins) {
      this.spans = spans;
      this.logs = logs;
      this.note = note;
      this.pins = pins;
    }

    int records() {
      return spans.size() + logs.size();
    }
  }

  /** One span or log line of a part, when a refused batch is split. */
  private record Unit(Part part, StoredSpan span, LogRecord log) {}

  private record Verdict(boolean complete, boolean root, Map<Long, List<Long>> missingParents) {}

  /**
   * Options of a {@link TraceAssembler}. Defaults: quiet 2 s, maximum wait 30 s, gap window 10 s,
   * 1,000,000 held records, batches of 5,000 records, 100,000 remembered traces, retries from
   * 100 ms doubling to 30 s, split after 3 failures, a store always healthy, writes on the
   * assembly thread, the system clock, no reader, gap fetches ignored.
   */
  public static final class Builder {
    private final SpanWriter writer;
    private SpanReader reader;
    private LongSupplier clock = System::currentTimeMillis;
    private Consumer<GapFetch> onGapFetch = g -> { };
    private long quietMillis = 2_000;
    private long maxWaitMillis = 30_000;
    private long gapFetchMillis = 10_000;
    private int maxHeldRecords = 1_000_000;
    private int maxBatchRecords = 5_000;
    private int rememberedTraces = 100_000;
    private long retryMinMillis = 100;
    private long retryMaxMillis = 30_000;
    private BooleanSupplier storeHealthy = () -> true;
    private int splitAfterFailures = 3;
    private boolean writeBehind;

    Builder(SpanWriter writer) {
      this.writer = requireNonNull(writer, "writer");
    }

    /** Reads back stored traces the assembler no longer remembers, to judge late parts whole. */
    public Builder reader(SpanReader reader) {
      this.reader = requireNonNull(reader, "reader");
      return this;
    }

    /** Milliseconds now; injected so tests are deterministic. */
    public Builder clock(LongSupplier millis) {
      this.clock = requireNonNull(millis, "clock");
      return this;
    }

    /** Receives each {@link GapFetch} on the assembly thread; it must only hand it on. */
    public Builder onGapFetch(Consumer<GapFetch> callback) {
      this.onGapFetch = requireNonNull(callback, "onGapFetch");
      return this;
    }

    public Builder quietMillis(long ms) {
      this.quietMillis = nonNegative(ms, "quietMillis");
      return this;
    }

    public Builder maxWaitMillis(long ms) {
      this.maxWaitMillis = nonNegative(ms, "maxWaitMillis");
      return this;
    }

    public Builder gapFetchMillis(long ms) {
      this.gapFetchMillis = nonNegative(ms, "gapFetchMillis");
      return this;
    }

    /** Spans plus log lines held while assembling before the oldest traces are flushed early. */
    public Builder maxHeldRecords(int n) {
      this.maxHeldRecords = (int) positive(n, "maxHeldRecords");
      return this;
    }

    /** Spans plus log lines per store write (a larger single trace is written alone). */
    public Builder maxBatchRecords(int n) {
      this.maxBatchRecords = (int) positive(n, "maxBatchRecords");
      return this;
    }

    /** Traces whose span IDs, parents and services are remembered after they were written. */
    public Builder rememberedTraces(int n) {
      this.rememberedTraces = (int) positive(n, "rememberedTraces");
      return this;
    }

    /** The first retry's delay; it doubles on each further failure up to {@code maxMillis}. */
    public Builder retryBackoff(long minMillis, long maxMillis) {
      this.retryMinMillis = positive(minMillis, "retryMinMillis");
      this.retryMaxMillis = positive(maxMillis, "retryMaxMillis");
      if (maxMillis < minMillis) {
        throw new IllegalArgumentException("retryMaxMillis (" + maxMillis + ") is below retryMinMillis ("
            + minMillis + ")");
      }
      return this;
    }

    /**
     * Whether the store says it works (e.g. {@code () -> store.check().healthy()}): a batch is
     * split to find a record the store refuses only while it does.
     */
    public Builder storeHealth(BooleanSupplier healthy) {
      this.storeHealthy = requireNonNull(healthy, "storeHealth");
      return this;
    }

    /** Failed writes of the same batch in a row before it is split to skip what the store refuses. */
    public Builder splitAfterFailures(int n) {
      this.splitAfterFailures = (int) positive(n, "splitAfterFailures");
      return this;
    }

    /**
     * Writes on a thread of the assembler's own ({@code cairn-puller-store-writer}) instead of
     * inside {@code tick()}, so that assembling goes on while the store writes; parts waiting
     * meanwhile are merged into the next write. Call {@link TraceAssembler#close()} at the end.
     */
    public Builder writeBehind(boolean on) {
      this.writeBehind = on;
      return this;
    }

    public TraceAssembler build() {
      return new TraceAssembler(this);
    }

    private static long nonNegative(long v, String name) {
      if (v < 0) {
        throw new IllegalArgumentException(name + " must not be negative: " + v);
      }
      return v;
    }

    private static long positive(long v, String name) {
      if (v <= 0) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return v;
    }
  }
}
