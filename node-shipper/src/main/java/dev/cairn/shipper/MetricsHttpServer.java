package dev.cairn.shipper;

import dev.cairn.core.internal.OpsHttpServer;
import dev.cairn.core.internal.OpsHttpServer.Health;
import dev.cairn.core.internal.PrometheusText;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shipper's operations endpoint, served by {@link OpsHttpServer}:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every {@link ShipperMetrics} counter and the gauges the shipper
 *       supplies, in Prometheus text format 0.0.4;
 *   <li>{@code GET /health}: {@code 200 {"status":"UP",...}} with a few facts, or {@code 503
 *       {"status":"DOWN","reason":...}} when the ingest thread died or the journal is unusable.
 * </ul>
 */
final class MetricsHttpServer {
  private static final Logger LOG = LogManager.getLogger(MetricsHttpServer.class);

  /** Writes the gauges of this moment; called on the HTTP thread, so it must read shared state safely. */
  interface Gauges {
    void write(PrometheusText out);
  }

  /** A counter: a field of {@link ShipperMetrics} as one sample of a family. */
  record Counter(String name, String help, String[] labels, Function<ShipperMetrics, LongAdder> field) {}

  /** Every counter, in the order of docs/shipper-config.md; one family's samples are adjacent. */
  static final List<Counter> COUNTERS = List.of(
      counter("cairn_shipper_files_discovered_total", "Span files found by the globs (by file ID; a renamed file counts once).",
          m -> m.filesDiscovered),
      counter("cairn_shipper_files_finished_total", "Span files read to their end whose writer will not append again; their descriptors were released.",
          m -> m.filesFinished),
      counter("cairn_shipper_files_lost_total", "Span files deleted before they were read to the end, or never seen (a gap in a writer's file numbers).",
          m -> m.filesLost),
      counter("cairn_shipper_truncations_total", "Span files that became shorter than what was already read.",
          m -> m.truncations),
      counter("cairn_shipper_read_bytes_total", "Bytes read from span files.", m -> m.bytesRead),
      counter("cairn_shipper_journaled_blocks_total", "Blocks appended to the primary and the replica journal.",
          m -> m.blocksJournaled),
      counter("cairn_shipper_journaled_records_total", "Span and log records in the journaled blocks.",
          m -> m.recordsJournaled),
      counter("cairn_shipper_corrupt_regions_total", "Regions of span files that were not valid blocks; skipped.",
          m -> m.corruptRegions),
      counter("cairn_shipper_corrupt_bytes_total", "Bytes in skipped corrupt regions.", m -> m.corruptBytes),
      counter("cairn_shipper_torn_tails_total", "Finished span files that ended inside a block (a crashed writer); the partial block was skipped.",
          m -> m.tornTails),
      counter("cairn_shipper_unsupported_blocks_total", "Blocks of a newer format version; skipped (upgrade Cairn).",
          m -> m.unsupportedBlocks),
      counter("cairn_shipper_ingest_errors_total", "Failed ingest or retention passes (I/O or journal errors); each was logged and retried.",
          m -> m.ingestErrors),
      counter("cairn_shipper_retention_deleted_cycles_total", "Journal cycle files deleted by retention (a primary and replica pair counts once).",
          m -> m.cyclesDeleted),
      counter("cairn_shipper_retention_expired_blocks_total", "Blocks deleted by retention.", m -> m.blocksExpired),
      counter("cairn_shipper_retention_expired_unread_blocks_total", "Blocks deleted by retention before any puller pulled them: data lost to the central store.",
          m -> m.blocksExpiredUnread),
      counter("cairn_shipper_journal_repairs_total", "Journal copies repaired when the journal was opened (the replica behind or damaged, or the primary missing or damaged).",
          m -> m.replicaRepairs),
      counter("cairn_shipper_pull_connections_total", "Connections accepted by the pull server.", m -> m.connections),
      counter("cairn_shipper_pull_auth_failures_total", "Pull connections refused for a wrong or missing proof of the shared secret.",
          m -> m.authFailures),
      new Counter("cairn_shipper_pull_requests_total", "Requests served by the pull server, by type.",
          new String[] {"type", "pull"}, m -> m.pullRequests),
      new Counter("cairn_shipper_pull_requests_total", "", new String[] {"type", "fetch"}, m -> m.fetchRequests),
      new Counter("cairn_shipper_pull_requests_total", "", new String[] {"type", "status"}, m -> m.statusRequests),
      counter("cairn_shipper_pull_served_blocks_total", "Blocks sent to pullers (PULL and FETCH).", m -> m.blocksServed),
      counter("cairn_shipper_pull_served_bytes_total", "Block bytes sent to pullers.", m -> m.bytesServed),
      counter("cairn_shipper_pull_protocol_errors_total", "Pull connections closed for a malformed or oversize frame.",
          m -> m.protocolErrors),
      counter("cairn_shipper_pull_refused_connections_total",
          "Pull connections refused because the shipper already served pull.maxConnections.",
          m -> m.connectionsRefused),
      counter("cairn_shipper_pull_idle_closed_total",
          "Authenticated pull connections closed after staying silent beyond the idle timeout.",
          m -> m.idleClosed));

  private static Counter counter(String name, String help, Function<ShipperMetrics, LongAdder> field) {
    return new Counter(name, help, new String[0], field);
  }

  private MetricsHttpServer() {}

  /**
   * Serves {@code /metrics} (the counters and the gauges) and {@code /health} on {@code address}
   * (port 0: an ephemeral port).
   *
   * @throws IOException when the address cannot be bound (the message names it)
   */
  static OpsHttpServer start(InetSocketAddress address, ShipperMetrics metrics, Gauges gauges,
      Supplier<Health> health) throws IOException {
    return OpsHttpServer.start("shipper", address, () -> render(metrics, gauges), health);
  }

  /**
   * The {@code /metrics} text: the counters, then the gauges. Gauges are rendered apart, so a
   * failing gauge source costs only the gauges (a comment line says why), never the counters.
   */
  static String render(ShipperMetrics metrics, Gauges gauges) {
    PrometheusText out = new PrometheusText();
    PrometheusText.Family family = null;
    String current = null;
    for (Counter c : COUNTERS) {
      if (!c.name().equals(current)) {
        family = out.family(c.name(), "counter", c.help());
        current = c.name();
      }
      family.sample(c.field().apply(metrics).sum(), c.labels());
    }
    PrometheusText g = new PrometheusText();
    try {
      gauges.write(g);
      out.append(g);
    } catch (RuntimeException e) {
      LOG.warn("gauges for /metrics failed: {}", e.toString(), e);
      return out + "# gauges unavailable: " + e.toString().replace('\n', ' ') + "\n";
    }
    return out.toString();
  }
}
