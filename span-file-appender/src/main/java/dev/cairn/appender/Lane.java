package dev.cairn.appender;

import dev.cairn.core.model.SpanView;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * A single-producer, single-consumer ring of records: one application thread (its owner)
 * offers, the writer thread drains. A span travels as its reference; a captured log line is
 * copied into one of the lane's {@link Slot}s (Log4j2 may reuse the event), which travels the
 * same way, so a thread's spans and log lines stay in one order. Offering is a plain array store and a release store
 * of the producer's own position: no compare-and-set, and the writer's position is read only
 * when the cached one says the lane is full. Spans leave in the order their thread offered them.
 *
 * <p>The producer's and the writer's positions sit on different cache lines (the padding
 * classes below), so neither side's writes invalidate the line the other side writes.
 *
 * <p>A lane is leased to one thread at a time ({@link #owner}); the writer releases it once that
 * thread has died and the lane is drained, and the next thread reuses it.
 */
final class Lane extends LaneConsumer {
  private static final VarHandle TAIL;
  private static final VarHandle HEAD;
  private static final VarHandle LOG_HEAD;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      TAIL = l.findVarHandle(LaneProducer.class, "tail", long.class);
      HEAD = l.findVarHandle(LaneConsumer.class, "head", long.class);
      LOG_HEAD = l.findVarHandle(LaneConsumer.class, "logHead", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  Lane(int capacity, int logSlots) {
    super(capacity, logSlots);
  }

  /** True when the lane can take one more record (the owner's view; the writer only frees room). */
  private boolean hasRoom(long t) {
    if (t - headCache >= capacity) {
      headCache = (long) HEAD.getAcquire(this);
      return t - headCache < capacity;
    }
    return true;
  }

  /**
   * On the owner's thread: a free log slot to copy a log line into, then {@link #publishLog}; or
   * null when the lane or its log slots are full.
   */
  Slot claimLog() {
    long lt = logTail;
    if (lt - logHeadCache >= logs.length) {
      logHeadCache = (long) LOG_HEAD.getAcquire(this);
      if (lt - logHeadCache >= logs.length) {
        return null;
      }
    }
    if (!hasRoom(tail)) {
      return null;
    }
    int at = (int) lt & (logs.length - 1);
    Slot slot = logs[at];
    if (slot == null) {
      // Made on first use: a lane that only carries spans holds no log slots.
      slot = logs[at] = new Slot();
    }
    return slot;
  }

  /** On the owner's thread: publishes the slot {@link #claimLog} returned, filled or EMPTY. */
  void publishLog(Slot slot) {
    logTail++;
    long t = tail;
    buffer[(int) t & mask] = slot;
    TAIL.setRelease(this, t + 1);
  }

  /** On the owner's thread: stores the span, or returns false at once when the lane is full. */
  boolean offer(SpanView span) {
    long t = tail;
    if (!hasRoom(t)) {
      return false;
    }
    buffer[(int) t & mask] = span;
    // Publishes the store above to a writer that reads the tail with acquire.
    TAIL.setRelease(this, t + 1);
    return true;
  }

  /**
   * On the writer thread: hands at most {@code max} records (a {@link SpanView}, or a log
   * {@link Slot} that the sink must clear), oldest first, to {@code sink}.
   *
   * @return how many were handed over
   */
  int drain(Consumer<Object> sink, int max) {
    long h = head;
    long available = (long) TAIL.getAcquire(this) - h;
    int n = (int) Math.min(available, max);
    for (int i = 0; i < n; i++) {
      int at = (int) (h + i) & mask;
      Object r = buffer[at];
      buffer[at] = null;
      sink.accept(r);
      if (r instanceof Slot) {
        // Log slots are used in order too: the oldest one in use is the one just handled.
        LOG_HEAD.setRelease(this, logHead + 1);
      }
      // Per span, so a slow sink (a block write) frees room for the producer as it goes.
      HEAD.setRelease(this, h + i + 1);
    }
    return n;
  }

  /** Records offered but not drained yet; exact once the owner has stopped offering. */
  long size() {
    return (long) TAIL.getAcquire(this) - (long) HEAD.getAcquire(this);
  }
}

/** Read-mostly state, shared by both sides. */
abstract class LaneBase {
  final Object[] buffer;
  final int mask;
  final int capacity;
  /** Log copies, reused in order; a power of two. */
  final Slot[] logs;
  /** The thread the lane is leased to, or null when it is free. */
  volatile Thread owner;

  LaneBase(int capacity, int logSlots) {
    this.buffer = new Object[capacity];
    this.mask = capacity - 1;
    this.capacity = capacity;
    this.logs = new Slot[logSlots];
  }
}

abstract class LanePad0 extends LaneBase {
  long p00, p01, p02, p03, p04, p05, p06, p07;

  LanePad0(int capacity, int logSlots) {
    super(capacity, logSlots);
  }
}

/** Written by the owner only. */
abstract class LaneProducer extends LanePad0 {
  long tail;
  /** The writer's position as last read; the owner rereads it only when this says "full". */
  long headCache;
  long logTail;
  long logHeadCache;

  LaneProducer(int capacity, int logSlots) {
    super(capacity, logSlots);
  }
}

abstract class LanePad1 extends LaneProducer {
  long p10, p11, p12, p13, p14, p15, p16, p17;

  LanePad1(int capacity, int logSlots) {
    super(capacity, logSlots);
  }
}

/** Written by the writer thread only. */
abstract class LaneConsumer extends LanePad1 {
  long head;
  /** Log slots the writer has handled and cleared. */
  long logHead;
  long p20, p21, p22, p23, p24, p25, p26, p27;

  LaneConsumer(int capacity, int logSlots) {
    super(capacity, logSlots);
  }
}
