package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link Journal} in memory, for the pull server's tests until they run against
 * {@code ChronicleJournal}: entries in a list, sequence numbers from 1, retention by
 * {@link #deleteBefore}. Thread-safe.
 */
final class InMemoryJournal implements Journal {
  private final List<JournalEntry> entries = new ArrayList<>();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile long firstSeq = 1;
  private volatile long lastSeq;
  private long bytes;

  @Override
  public long append(UUID fileId, long fileOffset, ByteBuffer block) {
    ByteBuffer copy = ByteBuffer.allocate(block.remaining()).put(block.duplicate()).flip();
    long seq;
    synchronized (this) {
      seq = lastSeq + 1;
      entries.add(new JournalEntry(seq, fileId, fileOffset, copy.asReadOnlyBuffer()));
      bytes += copy.remaining();
      lastSeq = seq;
    }
    for (Runnable r : listeners) {
      r.run();
    }
    return seq;
  }

  /** Retention: forgets every entry below {@code seq}. */
  synchronized void deleteBefore(long seq) {
    for (long s = firstSeq; s < seq && s <= lastSeq; s++) {
      JournalEntry e = entries.set((int) (s - 1), null);
      bytes -= e.block().remaining();
    }
    firstSeq = Math.max(firstSeq, seq);
  }

  @Override
  public long firstSeq() {
    return firstSeq;
  }

  @Override
  public long lastSeq() {
    return lastSeq;
  }

  @Override
  public Reader reader() {
    return new Reader() {
      private long next = 1;

      @Override
      public long seek(long seq) {
        next = Math.max(seq, firstSeq);
        return next;
      }

      @Override
      public JournalEntry next() {
        synchronized (InMemoryJournal.this) {
          next = Math.max(next, firstSeq);
          if (next > lastSeq) {
            return null;
          }
          JournalEntry e = entries.get((int) (next++ - 1));
          return new JournalEntry(e.seq(), e.fileId(), e.offset(), e.block().duplicate());
        }
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void onAppend(Runnable listener) {
    listeners.add(listener);
  }

  @Override
  public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
    throw new UnsupportedOperationException("tests delete with deleteBefore");
  }

  @Override
  public synchronized long primaryBytes() {
    return bytes;
  }

  @Override
  public synchronized long replicaBytes() {
    return bytes;
  }

  @Override
  public Source servingFrom() {
    return Source.PRIMARY;
  }

  @Override
  public void close() {}
}
