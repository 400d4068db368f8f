package dev.cairn.shipper;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The index's in-memory segment for the most recent blocks: (key, seq) entries in arrival order
 * (so ascending by seq), chained per hash slot for lookups, in primitive arrays allocated in chunks
 * as the segment fills. When full it is frozen and written out as a {@link SealedSegment}.
 *
 * <p>Threads: one writer (the ingest thread) calls {@link #add} and {@link #extendTo}; any thread
 * may call {@link #find} at the same time. An entry is written with plain stores and then published
 * by a release store of its slot's chain head; {@link #find} reads chain heads with acquire loads,
 * so it sees every entry it reaches completely, and the chain links (which point only to older
 * entries) were published before it. After {@link #freeze()} nothing writes, and the sealer reads
 * the arrays after a hand-off through an executor (a happens-before edge).
 */
final class MutableSegment {
  private static final VarHandle HEADS = MethodHandles.arrayElementVarHandle(int[].class);
  private static final int CHUNK_BITS = 16;
  private static final int CHUNK = 1 << CHUNK_BITS;
  private static final int CHUNK_MASK = CHUNK - 1;
  /** Room for one block's entries beyond the capacity: a block is never split across segments. */
  static final int BLOCK_SLACK = 1 << 20;

  private final long firstSeq;
  private final int capacity;
  private final long[][] keys;
  private final int[][] seqDeltas;
  private final int[][] next;
  // Chain head per slot: entry index + 1, 0 when the slot is empty.
  private final int[] heads;
  private final int slotMask;
  private int size;
  private volatile long lastSeq;
  private volatile boolean frozen;

  /**
   * @param firstSeq the first sequence number this segment covers
   * @param capacity entries after which the index rotates to a new segment
   */
  MutableSegment(long firstSeq, int capacity) {
    this.firstSeq = firstSeq;
    this.capacity = capacity;
    this.lastSeq = firstSeq - 1;
    int chunks = (int) (((long) capacity + BLOCK_SLACK + CHUNK - 1) >>> CHUNK_BITS);
    keys = new long[chunks][];
    seqDeltas = new int[chunks][];
    next = new int[chunks][];
    // About four entries per slot when full: chains stay short and the table costs one byte an entry.
    int slots = Integer.highestOneBit(Math.max(16, capacity / 4 - 1)) << 1;
    heads = new int[slots];
    slotMask = slots - 1;
  }

  long firstSeq() {
    return firstSeq;
  }

  /** The last sequence number this segment covers; {@code firstSeq - 1} while it covers none. */
  long lastSeq() {
    return lastSeq;
  }

  int size() {
    return size;
  }

  int capacity() {
    return capacity;
  }

  /** Whether {@code more} entries still fit, and the block's sequence number stays addressable. */
  boolean fits(int more, long seq) {
    return (size == 0 || size + (long) more <= capacity)
        && size + (long) more <= (long) capacity + BLOCK_SLACK
        && seq - firstSeq <= Integer.MAX_VALUE;
  }

  /** Bytes of heap this segment holds. */
  long heapBytes() {
    long chunks = (size + CHUNK - 1) >>> CHUNK_BITS;
    return chunks * CHUNK * (8L + 4 + 4) + heads.length * 4L;
  }

  /** Adds an entry for block {@code seq} (not below the last one). Writer thread only. */
  void add(long key, long seq) {
    int i = size;
    int chunk = i >>> CHUNK_BITS;
    if (keys[chunk] == null) {
      keys[chunk] = new long[CHUNK];
      seqDeltas[chunk] = new int[CHUNK];
      next[chunk] = new int[CHUNK];
    }
    int at = i & CHUNK_MASK;
    int slot = (int) key & slotMask;
    keys[chunk][at] = key;
    seqDeltas[chunk][at] = (int) (seq - firstSeq);
    next[chunk][at] = heads[slot];
    size = i + 1;
    HEADS.setRelease(heads, slot, i + 1);
  }

  /** Records that this segment covers blocks up to {@code seq} (also those without entries). */
  void extendTo(long seq) {
    if (seq > lastSeq) {
      lastSeq = seq;
    }
  }

  void freeze() {
    frozen = true;
  }

  boolean isFrozen() {
    return frozen;
  }

  /**
   * Adds to {@code out}, ascending, the sequence numbers in [{@code fromSeq}, {@code toSeq}] of the
   * entries with this key. Any thread.
   */
  void find(long key, long fromSeq, long toSeq, LongList out) {
    int mark = out.size();
    int i = (int) HEADS.getAcquire(heads, (int) key & slotMask);
    while (i != 0) {
      int e = i - 1;
      int chunk = e >>> CHUNK_BITS;
      int at = e & CHUNK_MASK;
      if (keys[chunk][at] == key) {
        long seq = firstSeq + (seqDeltas[chunk][at] & 0xFFFFFFFFL);
        if (seq >= fromSeq && seq <= toSeq) {
          out.add(seq);
        }
      }
      i = next[chunk][at];
    }
    // Chains run newest first.
    out.reverseFrom(mark);
  }

  /** Key of entry {@code i}, for the sealer. */
  long key(int i) {
    return keys[i >>> CHUNK_BITS][i & CHUNK_MASK];
  }

  /** Sequence number minus {@link #firstSeq()} of entry {@code i}, for the sealer. */
  int seqDelta(int i) {
    return seqDeltas[i >>> CHUNK_BITS][i & CHUNK_MASK];
  }

  @Override
  public String toString() {
    return "MutableSegment{seq " + firstSeq + ".." + lastSeq + ", " + size + " entries}";
  }
}
