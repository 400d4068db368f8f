package dev.cairn.shipper;

import java.io.IOException;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One pass of journal retention, run by the shipper every minute: deletes the journal cycles that
 * are too old or beyond the size limit ({@link Journal#applyRetention}, which counts cycles and
 * blocks deleted), tells the trace index to forget them, and counts the deleted blocks that no
 * puller had pulled — {@code blocksExpiredUnread}, data lost to the central store — against the
 * pullers' high-water mark, which it then saves.
 *
 * <p>Never throws: a failing pass is logged and counted as an ingest error and the next pass
 * tries again.
 */
final class RetentionJob implements Runnable {
  private static final Logger LOG = LogManager.getLogger(RetentionJob.class);

  private final Journal journal;
  private final TraceIndex index;
  private final PulledMark pulled;
  private final LongSupplier servedSeq;
  private final ShipperMetrics metrics;
  private final long maxAgeMillis;
  private final long maxBytes;

  /**
   * @param servedSeq the highest sequence number the pull server has sent (read each pass and
   *     folded into {@code pulled})
   */
  RetentionJob(Journal journal, TraceIndex index, PulledMark pulled, LongSupplier servedSeq,
      ShipperMetrics metrics, Duration maxAge, long maxBytes) {
    this.journal = journal;
    this.index = index;
    this.pulled = pulled;
    this.servedSeq = servedSeq;
    this.metrics = metrics;
    this.maxAgeMillis = maxAge.toMillis();
    this.maxBytes = maxBytes;
  }

  @Override
  public void run() {
    try {
      runOnce();
    } catch (RuntimeException e) {
      metrics.ingestErrors.increment();
      LOG.error("Journal retention failed (next attempt in a minute): {}", e.toString(), e);
    }
  }

  /** Applies retention once; returns what was deleted. */
  Retention.Result runOnce() {
    pulled.advance(servedSeq.getAsLong());
    long firstBefore = journal.firstSeq();
    Retention.Result r = journal.applyRetention(maxAgeMillis, maxBytes);
    if (r.firstSeqAfter() > firstBefore) {
      index.retainFrom(r.firstSeqAfter());
    }
    // Read after the deletion: a block a puller fetched while its cycle was being deleted was read.
    pulled.advance(servedSeq.getAsLong());
    long deletedFrom = Math.max(firstBefore, r.firstSeqAfter() - r.blocksDeleted());
    long unread = Math.max(0, r.firstSeqAfter() - Math.max(deletedFrom, pulled.get() + 1));
    if (unread > 0) {
      metrics.blocksExpiredUnread.add(unread);
      LOG.warn("Retention deleted {} blocks (seq {} to {}) that no puller had pulled (pullers are at seq {}): "
          + "they are lost to the central store; pull more often or keep more (retention.maxAge, retention.maxSize)",
          unread, r.firstSeqAfter() - unread, r.firstSeqAfter() - 1, pulled.get());
    }
    if (r.cyclesDeleted() > 0) {
      LOG.info("Retention deleted {} journal cycles: {} blocks, {} bytes; the journal now starts at seq {}",
          r.cyclesDeleted(), r.blocksDeleted(), r.bytesDeleted(), r.firstSeqAfter());
    }
    try {
      pulled.saveIfChanged();
    } catch (IOException e) {
      LOG.warn("Cannot save the pullers' high-water mark {}: {}", pulled.file(), e.toString());
    }
    return r;
  }
}
