package dev.cairn.shipper;

import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The shipper's journal: every block read from a span file, appended once to a primary Chronicle
 * Queue and then to a replica queue on a second path, under a sequence number that is the same in
 * both. Readers address blocks by sequence number; the journal serves them from the primary, or
 * from the replica when the primary is missing or damaged.
 *
 * <p>Threads: one thread appends (the ingest thread). Any thread may read through its own
 * {@link Reader}.
 */
interface Journal extends Closeable {
  /**
   * Appends a verified block to the primary, then the replica, and returns its sequence number.
   * When this returns, both journals hold the block (in the OS page cache: a process crash cannot
   * lose it).
   */
  long append(UUID fileId, long fileOffset, ByteBuffer block);

  /** Sequence number of the oldest block still in the journal (after retention); 1 when empty. */
  long firstSeq();

  /** Sequence number of the newest block; 0 when nothing was ever journaled. */
  long lastSeq();

  /** A reader for the calling thread; not thread-safe; close it when done. */
  Reader reader();

  /** Registers a callback run on the appending thread after each append (long-poll wake-ups). */
  void onAppend(Runnable listener);

  /** Deletes whole journal cycles older than {@code maxAgeMillis} or beyond {@code maxBytes} in total
   *  (oldest first, never the current cycle), in both queues. Returns what it deleted. */
  Retention.Result applyRetention(long maxAgeMillis, long maxBytes);

  /** Bytes on disk of the primary and replica queues. */
  long primaryBytes();

  long replicaBytes();

  /** Which copy readers are served from. */
  Source servingFrom();

  enum Source { PRIMARY, REPLICA }

  /** Reads entries in sequence order. */
  interface Reader extends Closeable {
    /**
     * Positions the reader so that {@link #next()} returns the entry with sequence number
     * {@code seq}, or the oldest retained one if {@code seq} was deleted. Returns the sequence
     * number the next entry will have.
     */
    long seek(long seq);

    /** The next entry, or null when the reader is at the end. The entry is valid until the next call. */
    JournalEntry next();

    @Override
    void close();
  }
}
