package dev.cairn.store;

/** Writes spans, log lines and trace notes. Thread-safe; calls may block for back-pressure. */
public interface SpanWriter {
  /**
   * Stores a batch. When this returns normally, everything in it is durable (survives kill -9 of
   * the process); spans already present (same trace ID and span ID) are left as they are and
   * counted, not duplicated. Trace summaries of the touched traces reflect the batch.
   *
   * @throws StoreException when the batch could not be stored; nothing of it may be assumed
   *     stored, and writing it again is safe
   */
  WriteResult write(WriteBatch batch) throws StoreException;
}
