package dev.cairn.shipper;

import dev.cairn.core.format.BlockHeader;
import java.nio.ByteBuffer;
import java.util.UUID;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Reads one journal copy in sequence order through its own Chronicle tailer. Created for, and used
 * by, one thread (Chronicle tailers check that); the tailer is created on first use so a reader
 * may be built on one thread and handed to the thread that will use it.
 *
 * <p>Each entry is copied out of the memory-mapped file into a buffer this reader reuses: the
 * entry handed out stays valid until the next call, and never points into a file that retention
 * might delete.
 */
final class JournalReader implements Journal.Reader {
  private static final Logger LOG = LogManager.getLogger(ChronicleJournal.class);
  private static final int SEEK_ATTEMPTS = 4;

  private final JournalCopy copy;
  private ExcerptTailer tailer;
  private byte[] buffer = new byte[64 * 1024 + JournalCopy.ENTRY_HEADER + BlockHeader.LENGTH];
  private int length;
  private long index;
  /** The seq the next entry should have; 0 until the reader is positioned. */
  private long nextSeq;
  private boolean closed;
  private long skipped;

  JournalReader(JournalCopy copy) {
    this.copy = copy;
  }

  private ExcerptTailer tailer() {
    if (closed) {
      throw new IllegalStateException("journal reader is closed");
    }
    if (tailer == null) {
      tailer = copy.createTailer();
    }
    return tailer;
  }

  @Override
  public long seek(long seq) {
    nextSeq = position(seq);
    return nextSeq;
  }

  private long position(long seq) {
    ExcerptTailer t = tailer();
    for (int attempt = 0; attempt < SEEK_ATTEMPTS; attempt++) {
      long first = copy.firstSeq();
      long last = copy.lastSeq();
      long target = Math.max(seq, first);
      if (target > last) {
        if (positionAfter(t, last)) {
          return last + 1;
        }
        continue;
      }
      long idx = copy.indexOf(target);
      if (idx >= 0 && t.moveToIndex(idx)) {
        return target;
      }
      // Retention deleted the cycle between reading firstSeq and moving there: look again.
    }
    LOG.warn("{}: could not position a reader at seq {}; reading from the start", copy, seq);
    t.toStart();
    return copy.firstSeq();
  }

  /** Positions after entry {@code last} (exactly, so an entry appended meanwhile is not skipped). */
  private boolean positionAfter(ExcerptTailer t, long last) {
    if (last == 0) {
      t.toStart();
      return true;
    }
    long idx = copy.indexOf(last);
    if (idx < 0 || !t.moveToIndex(idx)) {
      return false;
    }
    try (DocumentContext dc = t.readingDocument()) {
      return dc.isPresent();
    }
  }

  /**
   * Reads the next excerpt into the buffer. Returns false at the end. Excerpts too short or too
   * long to be journal entries cannot come from {@link ChronicleJournal}: they are logged, counted
   * in {@link #skipped()} and passed over.
   */
  boolean readNext() {
    ExcerptTailer t = tailer();
    if (nextSeq == 0 || nextSeq < copy.firstSeq()) {
      // Not positioned yet, or retention deleted the cycle this reader is in: move to the oldest
      // retained entry now, rather than let the tailer discover the file gone under it.
      seek(Math.max(nextSeq, 1));
    }
    while (true) {
      try (DocumentContext dc = t.readingDocument()) {
        if (!dc.isPresent()) {
          return false;
        }
        Bytes<?> in = dc.wire().bytes();
        long n = in.readRemaining();
        if (n < JournalCopy.ENTRY_HEADER + BlockHeader.LENGTH
            || n > JournalCopy.ENTRY_HEADER + JournalCopy.MAX_BLOCK) {
          skipped++;
          LOG.error("{}: excerpt at index 0x{} has {} bytes, which is no journal entry; skipped",
              copy, Long.toHexString(dc.index()), n);
          continue;
        }
        if (buffer.length < n) {
          buffer = new byte[(int) Math.max(n, Math.min((long) buffer.length * 2, Integer.MAX_VALUE - 8))];
        }
        in.read(buffer, 0, (int) n);
        length = (int) n;
        index = dc.index();
        nextSeq = seq() + 1;
        return true;
      }
    }
  }

  /** The seq of the excerpt last read by {@link #readNext()}. */
  long seq() {
    return JournalCopy.getLong(buffer, 0);
  }

  /** The cycle the excerpt last read lies in. */
  int cycle() {
    return copy.cycleOf(index);
  }

  /** The raw excerpt last read: entry header and block. */
  byte[] buffer() {
    return buffer;
  }

  int length() {
    return length;
  }

  long skipped() {
    return skipped;
  }

  @Override
  public JournalEntry next() {
    if (!readNext()) {
      return null;
    }
    UUID fileId = new UUID(JournalCopy.getLong(buffer, 8), JournalCopy.getLong(buffer, 16));
    long offset = JournalCopy.getLong(buffer, 24);
    ByteBuffer block = ByteBuffer.wrap(buffer, JournalCopy.ENTRY_HEADER, length - JournalCopy.ENTRY_HEADER).slice();
    return new JournalEntry(seq(), fileId, offset, block);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (tailer != null) {
      try {
        tailer.close();
      } catch (RuntimeException e) {
        LOG.debug("{}: closing a reader: {}", copy, e.toString());
      }
    }
  }
}
