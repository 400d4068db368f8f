package dev.cairn.shipper;

import java.io.Closeable;
import java.nio.ByteBuffer;

/**
 * Finds the journal blocks that hold a trace. Fed by the ingest thread with every journaled block;
 * queried by the pull server (FETCH) from other threads. See docs/shipper.md for the design.
 */
interface TraceIndex extends Closeable {
  /** Indexes the trace IDs of the records in {@code block}, journaled under {@code seq}. */
  void add(long seq, ByteBuffer block);

  /**
   * Sequence numbers of the retained blocks that hold records of this trace, ascending. May
   * include a block that does not (a hash collision): callers filter records by trace ID.
   */
  long[] find(long traceIdHigh, long traceIdLow);

  /** Forgets blocks below {@code firstSeq} (journal retention removed them). */
  void retainFrom(long firstSeq);

  /**
   * The highest sequence number whose block is durably indexed; after a restart the shipper feeds
   * the journal's entries after it through {@link #add} again.
   */
  long durableSeq();
}
