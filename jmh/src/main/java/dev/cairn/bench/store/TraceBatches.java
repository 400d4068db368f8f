package dev.cairn.bench.store;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedStoreMeasurement;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The store benchmarks' workload, the same for every store: batches of {@value #BATCH} spans, 100
 * traces of {@value #PER_TRACE} spans, 8 attributes per span, one of them the business key
 * {@code order.id} (unique per trace: {@code 1000000 + n} for the n-th trace): the store module's
 * {@code EmbeddedStoreMeasurement} workload, so the figures compare. Seeded, so two stores fed by
 * two instances get the very same spans.
 */
final class TraceBatches {
  static final int BATCH = 1_000;
  static final int PER_TRACE = 10;

  private final Random random = new Random(42);
  private final List<TraceId> traces = new ArrayList<>();
  private int nextTrace;

  /** The IDs of every trace made so far, in order: the n-th has {@code order.id} 1000000 + n. */
  List<TraceId> traces() {
    return traces;
  }

  /** {@value #BATCH} new spans: 100 traces of 10 spans, each trace with its own order.id. */
  WriteBatch next() {
    List<StoredSpan> out = new ArrayList<>(BATCH);
    for (int t = 0; t < BATCH / PER_TRACE; t++) {
      traces.add(EmbeddedStoreMeasurement.trace(random, nextTrace++, out));
    }
    return WriteBatch.ofSpans(out);
  }
}
