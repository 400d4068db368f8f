package dev.cairn.puller;

import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.core.wire.WireMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The one thread that owns the {@link TraceAssembler}. Pull jobs hand it decoded blocks through a
 * bounded queue ({@link #offer}: a full queue makes the job wait, which is the back-pressure
 * between pulling and storing); it adds their records, calls {@code tick()} every 100 ms, sends
 * the gap fetches the assembler asks for to every connected host and adds what comes back with
 * {@link TraceAssembler#NO_SEQ}, and saves every host's {@link TraceAssembler#safeCursor} as soon
 * as the store's acknowledgements move one (at most every {@value #MOVED_SAVE_MILLIS} ms), and once
 * a second regardless. Saving at once matters with a slow store: its first acknowledgement may
 * come late, and a puller killed before a timer saved it would pull every host again from the
 * start. {@link #stop} ends it in order: the queue drained, {@code flushAll}, final cursors.
 */
final class AssemblyLoop implements Runnable {
  private static final Logger LOG = LogManager.getLogger(AssemblyLoop.class);
  static final int QUEUE_BLOCKS = 256;
  private static final long TICK_MILLIS = 100;
  private static final long SAVE_MILLIS = 1_000;
  static final long MOVED_SAVE_MILLIS = 100;
  private static final long FLUSH_AT_STOP_MILLIS = 15_000;

  /** Every record of one pulled block. */
  record Decoded(String host, long seq, List<Object> records) {}

  private final TraceAssembler assembler;
  private final CursorStore cursorStore;
  private final PullerMetrics metrics;
  private final Supplier<List<HostState>> hosts;
  private final int fetchMaxBytes;
  private final BlockingQueue<Decoded> queue = new ArrayBlockingQueue<>(QUEUE_BLOCKS);
  /** Fetched spans: unbounded, but bounded in practice by the gap fetches asked for. */
  private final ConcurrentLinkedQueue<List<SpanRecord>> fetched = new ConcurrentLinkedQueue<>();
  private final List<GapFetch> gaps = new ArrayList<>();
  private final Map<String, Long> cursors;
  private final Set<String> knownHosts = new HashSet<>();

  private volatile boolean running = true;
  private volatile boolean capacity = true;
  private volatile boolean alive = true;
  private volatile AssemblerStats stats;
  private volatile Map<String, Long> savedCursors;

  AssemblyLoop(TraceAssembler.Builder builder, CursorStore cursorStore, Map<String, Long> initialCursors,
      PullerMetrics metrics, Supplier<List<HostState>> hosts, int fetchMaxBytes) {
    this.assembler = builder.onGapFetch(gaps::add).build();
    this.cursorStore = cursorStore;
    this.cursors = new TreeMap<>(initialCursors);
    this.savedCursors = Map.copyOf(initialCursors);
    this.metrics = metrics;
    this.hosts = hosts;
    this.fetchMaxBytes = fetchMaxBytes;
    this.stats = assembler.stats();
  }

  /**
   * Hands a decoded block over, waiting while the queue is full. False when the loop stops first:
   * the block was not taken (its host's cursor must not move past it).
   */
  boolean offer(Decoded block) throws InterruptedException {
    while (running) {
      if (queue.offer(block, 100, TimeUnit.MILLISECONDS)) {
        return true;
      }
    }
    return false;
  }

  /** Whether pull jobs may pull: the assembler is below its memory bound. */
  boolean hasCapacity() {
    return capacity;
  }

  boolean alive() {
    return alive;
  }

  AssemblerStats stats() {
    return stats;
  }

  int queuedBlocks() {
    return queue.size();
  }

  /** The cursors last saved to disk. */
  Map<String, Long> savedCursors() {
    return savedCursors;
  }

  /** Asks the loop to finish; {@link #run} then drains, flushes and saves before it returns. */
  void stop() {
    running = false;
  }

  @Override
  public void run() {
    long nextTick = 0;
    long nextSave = System.currentTimeMillis() + SAVE_MILLIS;
    long lastSave = 0;
    List<Decoded> batch = new ArrayList<>();
    try {
      while (running) {
        try {
          Decoded first = queue.poll(TICK_MILLIS / 2, TimeUnit.MILLISECONDS);
          if (first != null) {
            batch.add(first);
            queue.drainTo(batch, 64);
            batch.forEach(this::add);
            batch.clear();
          }
          addFetched();
          long now = System.currentTimeMillis();
          if (now >= nextTick) {
            assembler.tick();
            sendGapFetches();
            nextTick = now + TICK_MILLIS;
          }
          publish();
          if (now >= nextSave || (now - lastSave >= MOVED_SAVE_MILLIS && cursorsMoved())) {
            saveCursors();
            lastSave = now;
            nextSave = now + SAVE_MILLIS;
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (RuntimeException e) {
          // The hot path never throws out of the loop: log, count, carry on.
          metrics.assemblyErrors.increment();
          LOG.error("assembly pass failed: {}", e.toString(), e);
        }
      }
      finish();
    } catch (RuntimeException | Error e) {
      alive = false;
      LOG.error("the assembly thread died: {}", e.toString(), e);
      throw e;
    }
  }

  private void finish() {
    List<Decoded> rest = new ArrayList<>();
    queue.drainTo(rest);
    rest.forEach(this::add);
    addFetched();
    long deadline = System.currentTimeMillis() + FLUSH_AT_STOP_MILLIS;
    boolean flushed = assembler.flushAll();
    while (!flushed && System.currentTimeMillis() < deadline) {
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      flushed = assembler.flushAll();
    }
    if (!flushed) {
      LOG.warn("the store did not acknowledge everything within {} s; the unacknowledged blocks are pulled "
          + "again at the next start (their cursors were not moved past them)", FLUSH_AT_STOP_MILLIS / 1000);
    }
    assembler.close();
    publish();
    saveCursors();
    alive = false;
    LOG.info("assembly stopped: {}", stats);
  }

  private void add(Decoded d) {
    for (Object r : d.records()) {
      if (r instanceof SpanRecord s) {
        assembler.add(s, d.host(), d.seq());
      } else {
        assembler.add((LogRecord) r, d.host(), d.seq());
      }
    }
    assembler.blockDone(d.host(), d.seq());
  }

  private void addFetched() {
    List<SpanRecord> spans;
    while ((spans = fetched.poll()) != null) {
      for (SpanRecord s : spans) {
        // A fetched block is not the host's next block: it must not hold any cursor back.
        assembler.add(s, "fetch", TraceAssembler.NO_SEQ);
      }
    }
  }

  private void publish() {
    stats = assembler.stats();
    capacity = assembler.hasCapacity();
  }

  private void saveCursors() {
    for (String host : new ArrayList<>(knownHosts())) {
      OptionalLong c = assembler.safeCursor(host);
      if (c.isPresent()) {
        cursors.put(host, c.getAsLong());
      }
    }
    try {
      cursorStore.save(cursors);
      savedCursors = Map.copyOf(cursors);
    } catch (IOException e) {
      metrics.cursorSaveErrors.increment();
      LOG.warn("cannot save the cursors: {} (they are saved again in a second)", e.toString());
    }
  }

  /** Whether a host's safe cursor is not the one last saved. */
  private boolean cursorsMoved() {
    for (String host : knownHosts()) {
      OptionalLong c = assembler.safeCursor(host);
      if (c.isPresent() && !Long.valueOf(c.getAsLong()).equals(savedCursors.get(host))) {
        return true;
      }
    }
    return false;
  }

  /** Every host ever pulled in this process (a removed host keeps its cursor line). */
  private Set<String> knownHosts() {
    for (HostState h : hosts.get()) {
      knownHosts.add(h.name());
    }
    return knownHosts;
  }

  /** Sends one FETCH per connected host for every trace the assembler asked about since the last tick. */
  private void sendGapFetches() {
    if (gaps.isEmpty()) {
      return;
    }
    Set<TraceId> wanted = new HashSet<>();
    gaps.forEach(g -> wanted.add(g.traceId()));
    gaps.clear();
    List<WireMessage.TraceId> ids = new ArrayList<>();
    wanted.forEach(t -> ids.add(new WireMessage.TraceId(t.high(), t.low())));
    for (HostState h : hosts.get()) {
      ShipperClient c = h.client;
      if (c == null || !c.isOpen()) {
        continue;
      }
      for (int from = 0; from < ids.size(); from += 4096) {
        fetch(h, c, ids.subList(from, Math.min(ids.size(), from + 4096)), Set.copyOf(wanted), 0);
      }
    }
  }

  private void fetch(HostState h, ShipperClient c, List<WireMessage.TraceId> ids, Set<TraceId> wanted, long fromSeq) {
    metrics.gapFetchRequests.increment();
    c.fetch(List.copyOf(ids), fromSeq, fetchMaxBytes).whenComplete((result, error) -> {
      if (error != null) {
        metrics.gapFetchErrors.increment();
        LOG.debug("gap fetch from {} failed: {}", h.name(), error.toString());
        return;
      }
      BlockDecoder decoder = new BlockDecoder();
      List<SpanRecord> spans = new ArrayList<>();
      for (ShipperClient.Entry e : result.entries()) {
        metrics.gapFetchBlocks.increment();
        try {
          decoder.decode(e.toBlock(), new RecordVisitor() {
            @Override
            public void span(SpanRecord s) {
              if (wanted.contains(TraceId.of(s))) {
                spans.add(s);
              }
            }
          });
        } catch (FormatException ex) {
          h.corruptBlocks.increment();
        }
      }
      if (!spans.isEmpty()) {
        fetched.add(spans);
      }
      if (result.resumeSeq() > 0 && running) {
        fetch(h, c, ids, wanted, result.resumeSeq());
      }
    });
  }
}
