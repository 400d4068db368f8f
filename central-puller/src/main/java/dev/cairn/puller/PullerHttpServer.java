package dev.cairn.puller;

import dev.cairn.core.internal.OpsHttpServer;
import dev.cairn.core.internal.OpsHttpServer.Health;
import dev.cairn.core.internal.PrometheusText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The puller's operations endpoint, served by {@link OpsHttpServer} as the shipper's:
 * {@code GET /metrics} (Prometheus text 0.0.4, {@code cairn_puller_*}) and {@code GET /health}
 * (200 UP / 503 DOWN, JSON).
 */
final class PullerHttpServer {
  private PullerHttpServer() {}

  /**
   * Serves {@code /metrics} and {@code /health} on {@code address} (port 0: an ephemeral port).
   *
   * @throws IOException when the address cannot be bound (the message names it)
   */
  static OpsHttpServer start(InetSocketAddress address, Supplier<String> metrics, Supplier<Health> health)
      throws IOException {
    return OpsHttpServer.start("puller", address, metrics, health);
  }

  /** Every {@code cairn_puller_*} family (docs/puller-config.md lists them). */
  static String render(Puller p) {
    PrometheusText t = new PrometheusText();
    List<HostState> hs = new ArrayList<>(p.hostStates().values());
    hs.sort(Comparator.comparing(HostState::name));
    long now = System.currentTimeMillis();
    hostFamily(t, hs, "cairn_puller_pulls_total", "counter", "PULL requests answered, by host.", h -> h.pulls.sum());
    hostFamily(t, hs, "cairn_puller_pulled_bytes_total", "counter", "Block bytes pulled, by host.", h -> h.bytes.sum());
    hostFamily(t, hs, "cairn_puller_pulled_blocks_total", "counter", "Blocks pulled, by host.", h -> h.blocks.sum());
    hostFamily(t, hs, "cairn_puller_pulled_spans_total", "counter", "Spans decoded from pulled blocks, by host.", h -> h.spans.sum());
    hostFamily(t, hs, "cairn_puller_pulled_logs_total", "counter", "Log lines decoded from pulled blocks, by host.", h -> h.logs.sum());
    hostFamily(t, hs, "cairn_puller_lost_blocks_total", "counter",
        "Blocks deleted by a shipper's retention before they were pulled: lost to the store.", h -> h.lostBlocks.sum());
    hostFamily(t, hs, "cairn_puller_corrupt_blocks_total", "counter", "Pulled or fetched blocks that did not decode; skipped.",
        h -> h.corruptBlocks.sum());
    hostFamily(t, hs, "cairn_puller_host_errors_total", "counter",
        "Failed connections or pulls, by host (each followed by a back-off).", h -> h.errors.sum());
    hostFamily(t, hs, "cairn_puller_host_up", "gauge", "1 while the host is connected, 0 while it is backed off.",
        h -> h.up ? 1 : 0);
    hostFamily(t, hs, "cairn_puller_host_lag_blocks", "gauge",
        "Blocks the shipper holds beyond the puller's next PULL (shipper lastSeq + 1 - cursor); -1 before the first answer.",
        HostState::lagBlocks);
    hostFamily(t, hs, "cairn_puller_host_lag_bytes", "gauge",
        "Bytes of blocks the shipper holds beyond the puller's next PULL (from its STATUS); -1 when it does not tell.",
        h -> h.lagBytes);
    PrometheusText.Family lagSeconds = t.family("cairn_puller_host_lag_seconds", "gauge",
        "Age of the oldest block not pulled yet (0 when caught up); from the shipper's STATUS, or how long the host has "
            + "had blocks not pulled when the shipper does not tell.");
    for (HostState h : hs) {
      long millis = h.lagMillis >= 0 ? h.lagMillis : h.lagSinceMillis == 0 ? 0 : now - h.lagSinceMillis;
      lagSeconds.sample(millis / 1000.0, "host", h.name());
    }
    hostFamily(t, hs, "cairn_puller_host_cursor", "gauge", "The next sequence number pulled from the host.", h -> h.cursor);
    Map<String, Long> saved = p.assembly().savedCursors();
    hostFamily(t, hs, "cairn_puller_host_saved_cursor", "gauge",
        "The cursor last saved to disk (never ahead of the store).", h -> saved.getOrDefault(h.name(), 0L));

    AssemblerStats a = p.assembly().stats();
    PullerMetrics m = p.metrics();
    t.family("cairn_puller_traces_stored_total", "counter", "Trace writes acknowledged by the store, by verdict.")
        .sample(a.tracesWrittenComplete(), "verdict", "complete")
        .sample(a.tracesWrittenPartial(), "verdict", "partial");
    t.counter("cairn_puller_late_spans_total", "Spans of traces already stored, written as late parts.", a.lateSpans());
    t.counter("cairn_puller_traces_flushed_early_total", "Traces stored before assembly ended because the memory bound was reached.",
        a.tracesFlushedEarly());
    t.counter("cairn_puller_duplicate_spans_total", "Spans dropped as already held or stored (re-pulls, fetches).", a.duplicateSpans());
    t.counter("cairn_puller_gap_fetches_total", "Traces the assembler asked to fetch from every host.", a.gapFetchesRequested());
    t.counter("cairn_puller_fetch_requests_total", "FETCH requests sent to shippers.", m.gapFetchRequests.sum());
    t.counter("cairn_puller_fetched_blocks_total", "Blocks received by FETCH.", m.gapFetchBlocks.sum());
    t.counter("cairn_puller_fetch_errors_total", "FETCH requests that failed.", m.gapFetchErrors.sum());
    t.counter("cairn_puller_spans_stored_total", "Spans the store acknowledged as new.", m.spansStored.sum());
    t.counter("cairn_puller_spans_already_stored_total",
        "Spans the store acknowledged as already present (re-pulls after a restart).", m.spansAlreadyStored.sum());
    t.counter("cairn_puller_spans_rejected_total",
        "Spans skipped because the store refused them on their own (their trace IDs are logged).", a.spansRejected());
    t.counter("cairn_puller_logs_rejected_total", "Log lines skipped because the store refused them on their own.",
        a.logsRejected());
    t.counter("cairn_puller_store_batches_total", "Store writes that succeeded.", a.batchesWritten());
    t.counter("cairn_puller_store_errors_total", "Store writes that failed (retried with back-off).", m.storeErrors.sum());
    t.counter("cairn_puller_cursor_save_errors_total", "Failed cursor saves (retried every second).", m.cursorSaveErrors.sum());
    t.counter("cairn_puller_assembly_errors_total", "Assembly passes that failed unexpectedly (logged).", m.assemblyErrors.sum());
    t.counter("cairn_puller_host_reloads_total", "Host list reloads applied.", m.hostReloads.sum());
    t.counter("cairn_puller_host_reload_errors_total", "Changed configuration files refused (the hosts were kept).",
        m.hostReloadErrors.sum());
    PrometheusText.Family f = t.family("cairn_puller_store_write_seconds", "histogram", "Latency of store writes.");
    for (int i = 0; i < PullerMetrics.LATENCY_BUCKETS.length; i++) {
      f.sample("_bucket", m.cumulative(i), "le", Double.toString(PullerMetrics.LATENCY_BUCKETS[i]));
    }
    long count = m.latencyCount.sum();
    f.sample("_bucket", count, "le", "+Inf");
    f.sample("_sum", m.latencyNanos.sum() / 1e9);
    f.sample("_count", count);
    t.gauge("cairn_puller_held_records", "Spans and log lines held: assembling or queued for the store.",
        a.spansHeld() + a.logsHeld());
    t.gauge("cairn_puller_held_traces", "Traces being assembled.", a.tracesHeld());
    t.gauge("cairn_puller_queued_trace_parts", "Trace parts queued for the store.", a.tracesQueued());
    t.gauge("cairn_puller_assembly_queue_blocks", "Decoded blocks waiting for the assembly thread.", p.assembly().queuedBlocks());
    t.gauge("cairn_puller_assembly_has_capacity", "1 while pulling may go on, 0 while held back by the memory bound.",
        p.assembly().hasCapacity() ? 1 : 0);
    t.gauge("cairn_puller_start_time_seconds", "When the process started, seconds since the epoch.", p.startedAtMillis() / 1000);
    return t.toString();
  }

  private static void hostFamily(PrometheusText t, List<HostState> hs, String name, String type, String help,
      java.util.function.ToLongFunction<HostState> value) {
    PrometheusText.Family f = t.family(name, type, help);
    for (HostState h : hs) {
      f.sample(value.applyAsLong(h), "host", h.name());
    }
  }
}
