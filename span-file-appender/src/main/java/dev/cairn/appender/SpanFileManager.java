package dev.cairn.appender;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.EventPoller;
import com.lmax.disruptor.InsufficientCapacityException;
import com.lmax.disruptor.RingBuffer;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.SpanView;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractManager;
import org.apache.logging.log4j.core.appender.ManagerFactory;

/**
 * Owns what outlives an appender across reconfiguration: the ring, the writer thread and the open
 * span file. Keyed by directory and file prefix ({@link SpanFileConfig#managerKey()}).
 *
 * <p>Application threads only claim a ring slot with {@code tryNext()}, store a reference (or copy
 * a log line) and publish: no lock, no allocation, no wait. When the ring is full the record is
 * dropped and counted. One daemon thread drains the ring through an {@link EventPoller}, so
 * producers never signal a wait strategy; it encodes records into blocks and writes each block
 * with one positional write. A block is written when it reaches the block size, when the flush
 * interval has passed since its first record, and on stop.
 */
final class SpanFileManager extends AbstractManager {
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  /**
   * After this many empty polls with no block pending (about 50 ms), the writer dozes: it polls
   * every 10 ms instead of every millisecond, so an idle application's writer wakes 100 times a
   * second, not 1,000. A ring of 16,384 slots fills in 10 ms only above 1.6 million spans/s.
   */
  private static final int IDLE_POLLS_BEFORE_DOZE = 50;
  private static final long DOZE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long REPORT_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long REPORT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long DEFAULT_STOP_MILLIS = 10_000;
  /** How long shutdown waits for producers that claimed a slot but have not published it yet. */
  private static final long UNPUBLISHED_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

  /**
   * How many threads get a lane of their own: four per processor, at least 8 and at most 64. A
   * lane holds {@code ringSize} references and is made on first lease, so memory stays bounded at
   * {@code (lanes + 1) × ringSize} slots per manager.
   */
  static final int MAX_LANES = Math.min(64, Math.max(8, 4 * Runtime.getRuntime().availableProcessors()));
  /**
   * Log-line copies per lane, made on first use: bounds the text a lane can hold at
   * {@code 4096 × 2 KB} at worst (slots shrink back to 1 KB per text after a longer line).
   */
  static final int LOG_SLOTS_PER_LANE = 4096;
  /** Records the writer takes from one lane before it looks at the others. */
  private static final int LANE_BATCH = 256;
  /** Thread.isVirtual() on Java 19 and later, null before: virtual threads share the ring. */
  private static final MethodHandle IS_VIRTUAL = isVirtualHandle();

  private final SpanFileConfig initial;
  private volatile SpanFileConfig settings;
  private final Counters counters = new Counters();
  private final RingBuffer<Slot> ring;
  private final EventPoller<Slot> poller;
  private final EventPoller.Handler<Slot> handler = this::onEvent;
  private final BlockEncoder encoder;
  private final RollingSpanFile file;
  private final Thread writer;
  /**
   * Each thread's lane, or null for a thread that uses the shared ring (no lane was free when it
   * first offered a span). A thread keeps that choice for life, so its spans stay in order.
   */
  private final ThreadLocal<Lane> laneOfThread = ThreadLocal.withInitial(this::leaseLane);
  /** The lanes made so far; copied on growth (at most {@link #MAX_LANES} times), read by the writer. */
  private volatile Lane[] lanes = new Lane[0];
  private final Consumer<Object> laneSink = this::onLaneRecord;

  private volatile boolean accepting = true;
  private volatile boolean stopRequested;
  private volatile boolean pauseRequested;
  private volatile boolean paused;

  // Writer-thread state.
  private long blockStartNanos;
  private int pendingSpans;
  private int pendingLogs;
  private long nextReportCheck;
  private long lastReportNanos;
  private long reportedTrouble;
  private String lastWriterError;

  private SpanFileManager(LoggerContext context, String key, SpanFileConfig config) {
    super(context, key);
    this.initial = config;
    this.settings = config;
    // Never waited on (the writer polls), and its signal is a no-op, so publishing stays lock-free.
    this.ring = RingBuffer.createMultiProducer(Slot::new, config.ringSize(), new BusySpinWaitStrategy());
    this.poller = ring.newPoller();
    ring.addGatingSequences(poller.getSequence());
    this.encoder = new BlockEncoder(config.blockSize());
    this.file = new RollingSpanFile(config.directory(), config.filePrefix(), counters);
    this.writer = new Thread(this::run, "cairn-spanfile-" + config.appenderName());
    writer.setDaemon(true);
    long now = System.nanoTime();
    lastReportNanos = now - REPORT_INTERVAL_NANOS;
    nextReportCheck = now;
  }

  /** The manager for the config's directory and prefix, created and started on first use. */
  static SpanFileManager acquire(LoggerContext context, SpanFileConfig config) {
    ManagerFactory<SpanFileManager, SpanFileConfig> factory = (key, data) -> {
      try {
        // Found at once rather than at the first block, when nobody is looking.
        Files.createDirectories(data.directory());
      } catch (Exception e) {
        LOGGER.error("SpanFile appender '{}': cannot create directory '{}' (attribute directory): {};"
            + " will retry when writing", data.appenderName(), data.directory(), e.toString());
      }
      SpanFileManager m = new SpanFileManager(context, key, data);
      m.writer.start();
      return m;
    };
    return getManager(config.managerKey(), factory, config);
  }

  /** A reconfiguration reusing this manager: sizes and names apply from the next block on. */
  @Override
  public void updateData(Object data) {
    SpanFileConfig next = (SpanFileConfig) data;
    if (next.ringSize() != initial.ringSize() || next.blockSize() != initial.blockSize()) {
      LOGGER.warn("SpanFile appender '{}': ringSize and blockSize cannot change while the files in"
          + " '{}' are open; keeping ringSize={} blockSize={} until the application restarts",
          next.appenderName(), next.directory(), initial.ringSize(), initial.blockSize());
    }
    settings = next;
  }

  // ---- application threads ----

  /**
   * Hands a span to the writer. Never blocks, never throws, and allocates only on a thread's first
   * span (its thread-local entry). The span goes to the thread's own lane when it has one:
   * no compare-and-set, no cache line shared with other producers; otherwise to the shared ring.
   */
  boolean offerSpan(SpanView span) {
    if (!accepting) {
      counters.droppedAfterStop.increment();
      return false;
    }
    Lane lane = laneOfThread.get();
    if (lane != null) {
      if (lane.offer(span)) {
        return true;
      }
      counters.droppedRingFull.increment();
      return false;
    }
    long seq = claim();
    if (seq < 0) {
      return false;
    }
    ring.get(seq).setSpan(span);
    ring.publish(seq);
    return true;
  }

  /** Claims a ring slot, or counts the drop and returns -1 (stopped, or the ring is full). */
  private long claim() {
    if (!accepting) {
      counters.droppedAfterStop.increment();
      return -1;
    }
    try {
      return ring.tryNext();
    } catch (InsufficientCapacityException e) {
      counters.droppedRingFull.increment();
      return -1;
    }
  }

  /**
   * Copies a log event that carries a trace context into the thread's lane (so it stays in order
   * with the thread's spans), or into the ring for a thread without one. Never throws.
   */
  boolean offerLog(LogEvent event, long traceHigh, long traceLow, long spanId,
      int maxMessageChars, int maxThrownChars) {
    if (!accepting) {
      counters.droppedAfterStop.increment();
      return false;
    }
    Lane lane = laneOfThread.get();
    if (lane != null) {
      Slot slot = lane.claimLog();
      if (slot == null) {
        counters.droppedRingFull.increment();
        return false;
      }
      boolean copied = copyLog(slot, event, traceHigh, traceLow, spanId, maxMessageChars, maxThrownChars);
      lane.publishLog(slot);
      return copied;
    }
    long seq = claim();
    if (seq < 0) {
      return false;
    }
    Slot slot = ring.get(seq);
    try {
      return copyLog(slot, event, traceHigh, traceLow, spanId, maxMessageChars, maxThrownChars);
    } finally {
      ring.publish(seq);
    }
  }

  /**
   * Fills a claimed slot; on failure (a message whose toString throws) marks it EMPTY, which the
   * writer skips: the slot must still be published, an unpublished one would stall its ring.
   */
  private boolean copyLog(Slot slot, LogEvent event, long traceHigh, long traceLow, long spanId,
      int maxMessageChars, int maxThrownChars) {
    try {
      slot.setLog(traceHigh, traceLow, spanId, micros(event), event.getLevel().name(),
          event.getLoggerName(), event.getThreadName(), event.getMessage(), event.getThrown(),
          maxMessageChars, maxThrownChars);
      return true;
    } catch (Throwable e) {
      slot.kind = Slot.EMPTY;
      counters.droppedEncode.increment();
      return false;
    }
  }

  /**
   * Leases a free lane to the calling thread (a lane whose thread died, or a new one while fewer
   * than {@link #MAX_LANES} exist), or returns null: the thread then uses the shared ring.
   */
  private Lane leaseLane() {
    Thread me = Thread.currentThread();
    if (isVirtual(me)) {
      return null;
    }
    synchronized (laneOfThread) {
      Lane[] current = lanes;
      for (Lane l : current) {
        if (l.owner == null) {
          l.owner = me;
          return l;
        }
      }
      if (current.length >= MAX_LANES) {
        return null;
      }
      Lane l = new Lane(initial.ringSize(), Math.min(initial.ringSize(), LOG_SLOTS_PER_LANE));
      l.owner = me;
      Lane[] grown = Arrays.copyOf(current, current.length + 1);
      grown[current.length] = l;
      lanes = grown;
      return l;
    }
  }

  private static boolean isVirtual(Thread t) {
    if (IS_VIRTUAL == null) {
      return false;
    }
    try {
      return (boolean) IS_VIRTUAL.invokeExact(t);
    } catch (Throwable e) {
      return false;
    }
  }

  private static MethodHandle isVirtualHandle() {
    try {
      return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
          MethodType.methodType(boolean.class));
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** Lanes in use, for tests. */
  int lanesLeased() {
    int n = 0;
    for (Lane l : lanes) {
      n += l.owner != null ? 1 : 0;
    }
    return n;
  }

  /** Lanes made so far, for tests. */
  int lanesMade() {
    return lanes.length;
  }

  private static long micros(LogEvent event) {
    org.apache.logging.log4j.core.time.Instant i = event.getInstant();
    return i.getEpochSecond() * 1_000_000L + i.getNanoOfSecond() / 1_000;
  }

  void countLogWithoutTrace() {
    counters.logsWithoutTrace.increment();
  }

  SpanFileStats stats() {
    return counters.snapshot(SpanFiles.droppedNoAppender());
  }

  Path directory() {
    return initial.directory();
  }

  Path activeFile() {
    return file.activeFile();
  }

  // ---- test hooks ----

  /** Replaces how new span files are opened; applies from the next file on. */
  void channelOpener(ChannelOpener opener) {
    file.opener(opener);
  }

  /** Stops the writer consuming, returning once it has; bounded at 5 s. */
  void pauseWriter() {
    pauseRequested = true;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!paused && System.nanoTime() < deadline) {
      LockSupport.parkNanos(IDLE_PARK_NANOS);
    }
  }

  void resumeWriter() {
    pauseRequested = false;
  }

  // ---- lifecycle ----

  @Override
  protected boolean releaseSub(long timeout, TimeUnit unit) {
    accepting = false;
    stopRequested = true;
    LockSupport.unpark(writer);
    long millis = timeout > 0 ? unit.toMillis(timeout) : DEFAULT_STOP_MILLIS;
    try {
      writer.join(Math.max(1, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writer.isAlive()) {
      LOGGER.warn("SpanFile appender '{}': writer did not finish within {} ms; spans still in its"
          + " ring may be lost", settings.appenderName(), millis);
      return false;
    }
    return true;
  }

  // ---- writer thread ----

  private void run() {
    int idlePolls = 0;
    while (true) {
      try {
        if (pauseRequested && !stopRequested) {
          paused = true;
          LockSupport.parkNanos(IDLE_PARK_NANOS);
          continue;
        }
        paused = false;
        EventPoller.PollState state = poller.poll(handler);
        boolean fromLanes = drainLanes();
        long now = System.nanoTime();
        if (!encoder.isEmpty() && now - blockStartNanos >= flushIntervalNanos()) {
          writeBlock();
        }
        if (now >= nextReportCheck) {
          nextReportCheck = now + REPORT_CHECK_NANOS;
          releaseLanesOfDeadThreads();
          reportTrouble(now, false);
        }
        if (state == EventPoller.PollState.PROCESSING || fromLanes) {
          idlePolls = 0;
          continue;
        }
        if (stopRequested) {
          break;
        }
        idlePolls = Math.min(idlePolls + 1, IDLE_POLLS_BEFORE_DOZE + 1);
        LockSupport.parkNanos(encoder.isEmpty() && idlePolls > IDLE_POLLS_BEFORE_DOZE
            ? DOZE_PARK_NANOS : IDLE_PARK_NANOS);
      } catch (Throwable t) {
        writerError(t);
      }
    }
    shutdown();
  }

  /**
   * Drains what producers managed to publish before the stop, writes the last block and closes the
   * file. Producers check {@code accepting} before claiming, so only the few already past that
   * check can still publish; they get a short grace period.
   */
  private void shutdown() {
    long deadline = System.nanoTime() + UNPUBLISHED_GRACE_NANOS;
    try {
      while (true) {
        EventPoller.PollState state = poller.poll(handler);
        boolean fromLanes = drainLanes();
        if ((state == EventPoller.PollState.IDLE && !fromLanes) || System.nanoTime() > deadline) {
          break;
        }
        if (state == EventPoller.PollState.GATING) {
          LockSupport.parkNanos(IDLE_PARK_NANOS / 10);
        }
      }
      long unconsumed = ring.getCursor() - poller.getSequence().get();
      for (Lane l : lanes) {
        unconsumed += l.size();
      }
      if (unconsumed > 0) {
        counters.droppedAfterStop.add(unconsumed);
      }
      if (!encoder.isEmpty()) {
        writeBlock();
      }
    } catch (Throwable t) {
      writerError(t);
    } finally {
      file.close();
      reportTrouble(System.nanoTime(), true);
    }
  }

  /** Takes up to a batch from every lane; true if any lane had spans. */
  private boolean drainLanes() {
    boolean any = false;
    for (Lane l : lanes) {
      any |= l.drain(laneSink, LANE_BATCH) > 0;
    }
    return any;
  }

  /**
   * Frees the lanes of threads that have died, once drained, for threads that come later: a pool
   * that replaces its threads does not use up the lanes. A dead thread offers nothing more, so
   * after this drain its lane is empty for good.
   */
  private void releaseLanesOfDeadThreads() {
    for (Lane l : lanes) {
      Thread t = l.owner;
      if (t != null && !t.isAlive()) {
        while (l.drain(laneSink, Integer.MAX_VALUE) > 0) {
          // drained
        }
        l.owner = null;
      }
    }
  }

  /** A record from a lane: a log slot (cleared here) or a span. Never throws. */
  private void onLaneRecord(Object record) {
    if (record instanceof Slot slot) {
      onEvent(slot, 0, false);
    } else {
      onSpan((SpanView) record);
    }
  }

  /** A span from a lane. Never throws, like {@link #onEvent}. */
  private void onSpan(SpanView span) {
    try {
      if (encoder.isEmpty()) {
        blockStartNanos = System.nanoTime();
      }
      addSpan(span);
      if (encoder.isFull()) {
        writeBlock();
      }
    } catch (Throwable t) {
      dropBlock(t);
    }
  }

  private void addSpan(SpanView span) {
    if (encoder.addSpan(span)) {
      pendingSpans++;
    } else {
      counters.droppedEncode.increment();
    }
  }

  private void dropBlock(Throwable t) {
    // The encoder may be half-way through a record: drop the block rather than write garbage.
    counters.droppedEncode.add(pendingSpans + pendingLogs + 1L);
    pendingSpans = 0;
    pendingLogs = 0;
    encoder.reset();
    writerError(t);
  }

  private boolean onEvent(Slot slot, long sequence, boolean endOfBatch) {
    // Must not throw: the poller would not advance past this slot and retry it forever.
    try {
      if (slot.kind == Slot.EMPTY) {
        return true;
      }
      if (encoder.isEmpty()) {
        blockStartNanos = System.nanoTime();
      }
      if (slot.kind == Slot.SPAN) {
        addSpan(slot.span);
      } else if (encoder.addLog(slot)) {
        pendingLogs++;
      } else {
        counters.droppedEncode.increment();
      }
      if (encoder.isFull()) {
        writeBlock();
      }
    } catch (Throwable t) {
      dropBlock(t);
    } finally {
      slot.clear();
    }
    return true;
  }

  private void writeBlock() {
    int spans = pendingSpans;
    int logs = pendingLogs;
    pendingSpans = 0;
    pendingLogs = 0;
    ByteBuffer block;
    try {
      block = encoder.finish();
    } catch (RuntimeException e) {
      encoder.reset();
      counters.droppedEncode.add(spans + logs);
      writerError(e);
      return;
    }
    int bytes = block.remaining();
    if (file.write(block, settings)) {
      counters.spansWritten.add(spans);
      counters.logsWritten.add(logs);
      counters.blocksWritten.increment();
      counters.bytesWritten.add(bytes);
    } else {
      counters.droppedIo.add(spans + logs);
    }
  }

  private long flushIntervalNanos() {
    return TimeUnit.MILLISECONDS.toNanos(settings.flushIntervalMillis());
  }

  private void writerError(Throwable t) {
    counters.writerErrors.increment();
    lastWriterError = t.toString();
  }

  /**
   * At most one warning per 30 s, and only when something went wrong since the last one; the last
   * one at stop, so a problem is never silent.
   */
  private void reportTrouble(long now, boolean evenIfRecent) {
    long trouble = counters.troubleTotal();
    if (trouble == reportedTrouble
        || (!evenIfRecent && now - lastReportNanos < REPORT_INTERVAL_NANOS)) {
      return;
    }
    reportedTrouble = trouble;
    lastReportNanos = now;
    SpanFileStats s = counters.snapshot(SpanFiles.droppedNoAppender());
    String ioError = file.takeLastError();
    String writerError = lastWriterError;
    lastWriterError = null;
    LOGGER.warn("SpanFile appender '{}' ({}): records dropped so far: ringFull={} io={} afterStop={}"
        + " encode={}; ioErrors={} writerErrors={}{}{}", settings.appenderName(),
        initial.directory(), s.droppedRingFull(), s.droppedIo(), s.droppedAfterStop(),
        s.droppedEncode(), s.ioErrors(), s.writerErrors(),
        ioError == null ? "" : "; last I/O error: " + ioError,
        writerError == null ? "" : "; last writer error: " + writerError);
  }
}
