package dev.cairn.store;

import java.io.Closeable;

/**
 * Where assembled traces are kept and searched: one small contract, implemented by the embedded
 * store (one machine, on local disk) and by Elasticsearch (at scale). Every implementation passes
 * the shared contract suite {@code SpanStoreContractTest} (store test jar).
 *
 * <p>Writes are idempotent by (trace ID, span ID): writing a span twice leaves one copy, so the
 * puller can re-pull after a crash without duplicating anything. Per-minute aggregates and
 * dependency links are counted when a span is first stored, so they are idempotent too.
 *
 * <pre>{@code
 * try (SpanStore store = EmbeddedSpanStore.open(dir)) {
 *   store.writer().write(batch);                      // durable when it returns
 *   Optional<Trace> t = store.reader().trace(traceId);
 * }
 * }</pre>
 */
public interface SpanStore extends Closeable {
  SpanWriter writer();

  SpanReader reader();

  /** Whether the store can serve reads and writes now; never throws. */
  default Health check() {
    return Health.ok();
  }

  /** The result of {@link #check()}. */
  record Health(boolean healthy, String message) {
    public static Health ok() {
      return new Health(true, "");
    }

    public static Health failed(String message) {
      return new Health(false, message);
    }
  }
}
