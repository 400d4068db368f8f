package dev.cairn.shipper;

import java.util.function.LongSupplier;
import net.openhft.chronicle.core.time.TimeProvider;

/**
 * The time both journal queues see. Chronicle picks the cycle (file) of an excerpt from its time
 * provider at the moment of the write; the primary and the replica would roll at slightly different
 * entries if each read the wall clock itself (a block appended to the primary at 12:59:59.999 and
 * to the replica at 13:00:00.001). So the appending thread <em>pins</em> the time once per block,
 * and both queues file the block under the same cycle: their layouts, and so their retention
 * boundaries, stay identical. Repairs pin the cycle of the entry they copy for the same reason.
 *
 * <p>Only the thread that pinned sees the pinned time; every other thread (tailers, retention)
 * sees the wall clock. The pin fields are written and compared by the pinning thread only, so they
 * need no synchronisation: another thread can never find itself in {@code pinnedBy}.
 */
final class JournalClock implements TimeProvider {
  private final LongSupplier wallMillis;
  private Thread pinnedBy;
  private long pinnedMillis;

  JournalClock(LongSupplier wallMillis) {
    this.wallMillis = wallMillis;
  }

  /** The wall clock (or the test clock standing in for it). */
  long wallMillis() {
    return wallMillis.getAsLong();
  }

  /** Makes the calling thread see {@code millis} until {@link #unpin()}. */
  void pin(long millis) {
    pinnedMillis = millis;
    pinnedBy = Thread.currentThread();
  }

  void unpin() {
    pinnedBy = null;
  }

  @Override
  public long currentTimeMillis() {
    return pinnedBy == Thread.currentThread() ? pinnedMillis : wallMillis.getAsLong();
  }

  @Override
  public long currentTimeMicros() {
    return currentTimeMillis() * 1_000L;
  }

  @Override
  public long currentTimeNanos() {
    return currentTimeMillis() * 1_000_000L;
  }
}
