package dev.cairn.shipper;

import dev.cairn.core.wire.Wire;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a puller still has to pull, from a cursor to the newest journal entry: how many bytes (as
 * PULL counts them, entry headers included) and the time of the oldest block not yet pulled (the
 * latest timestamp in its header). Kept as a ring of the newest {@link #CAPACITY} entries —
 * cumulative bytes and block time per sequence number — filled lazily by reading each new entry's
 * header once, on whichever read thread asks first. A cursor older than the ring costs one journal
 * read for its block time, and its bytes are estimated with the ring's average entry size.
 *
 * <p>Thread-safe (one lock; the work per call is reading the entries appended since the last one).
 * Reads go through the calling thread's own journal reader, which is left positioned anywhere.
 */
final class JournalLedger {
  /** Entries remembered (4 MiB): at 20 blocks a second, more than three hours. */
  static final int CAPACITY = 1 << 18;
  private static final int TIME_OFFSET = 28; // BlockHeader: latest timestamp, µs, big-endian
  private final Journal journal;
  private final int mask;
  private final long[] cumulative;
  private final long[] blockMicros;
  /** Oldest and newest sequence in the ring; {@code newest < oldest} while empty. */
  private long oldest = 1;
  private long newest = 0;
  /** Cumulative bytes before {@code oldest}. */
  private long base;

  /**
   * What is left to pull from a cursor.
   *
   * @param blocks entries from the cursor to the newest
   * @param bytes their bytes as PULL counts them (entry headers included)
   * @param exact false when part of it is estimated (a cursor older than the ring)
   * @param oldestBlockMicros the latest timestamp in the header of the oldest block not pulled; 0 when none
   */
  record Lag(long blocks, long bytes, boolean exact, long oldestBlockMicros) {
    static final Lag NONE = new Lag(0, 0, true, 0);
  }

  JournalLedger(Journal journal) {
    this(journal, CAPACITY);
  }

  JournalLedger(Journal journal, int capacity) {
    if (Integer.bitCount(capacity) != 1) {
      throw new IllegalArgumentException("capacity must be a power of two: " + capacity);
    }
    this.journal = journal;
    this.mask = capacity - 1;
    this.cumulative = new long[capacity];
    this.blockMicros = new long[capacity];
  }

  /** The lag of a puller whose next PULL starts at {@code cursor}; {@code r} is this thread's reader. */
  synchronized Lag lag(Journal.Reader r, long cursor) {
    catchUp(r);
    long from = Math.max(Math.max(cursor, 1), journal.firstSeq());
    if (newest < oldest || from > newest) {
      return Lag.NONE;
    }
    long blocks = newest - from + 1;
    if (from >= oldest) {
      return new Lag(blocks, cumulative(newest) - cumulative(from - 1), true, blockMicros[index(from)]);
    }
    long ringBytes = cumulative(newest) - base;
    long average = ringBytes / (newest - oldest + 1);
    return new Lag(blocks, ringBytes + average * (oldest - from), false, readMicros(r, from));
  }

  private long cumulative(long seq) {
    return seq < oldest ? base : cumulative[index(seq)];
  }

  private int index(long seq) {
    return (int) (seq & mask);
  }

  /** Reads the headers of the entries appended since the last call. */
  private void catchUp(Journal.Reader r) {
    long last = journal.lastSeq();
    if (last <= newest && newest >= oldest) {
      return;
    }
    long start = newest >= oldest ? newest + 1 : Math.max(journal.firstSeq(), last - mask);
    if (r.seek(start) != start || newest < oldest) {
      // First call, or entries deleted under us: start the ring afresh.
      oldest = Math.max(start, journal.firstSeq());
      newest = oldest - 1;
      base = 0;
      r.seek(oldest);
    }
    for (JournalEntry e; newest < last && (e = r.next()) != null; ) {
      if (e.seq() != newest + 1) {
        oldest = e.seq();
        base = 0;
        newest = oldest - 1;
      }
      long before = newest >= oldest ? cumulative[index(newest)] : base;
      if (e.seq() - oldest > mask) {
        base = cumulative[index(oldest)];
        oldest++;
      }
      cumulative[index(e.seq())] = before + Wire.entryBytes(e.block().remaining());
      blockMicros[index(e.seq())] = micros(e.block());
      newest = e.seq();
    }
  }

  private static long readMicros(Journal.Reader r, long seq) {
    if (r.seek(seq) != seq) {
      return 0;
    }
    JournalEntry e = r.next();
    return e == null ? 0 : micros(e.block());
  }

  private static long micros(ByteBuffer block) {
    ByteBuffer b = block.duplicate().order(ByteOrder.BIG_ENDIAN);
    return b.remaining() >= TIME_OFFSET + 8 ? b.getLong(b.position() + TIME_OFFSET) : 0;
  }
}
