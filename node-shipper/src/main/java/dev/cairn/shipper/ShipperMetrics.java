package dev.cairn.shipper;

import java.util.concurrent.atomic.LongAdder;

/**
 * The shipper's counters, incremented by its parts and rendered at {@code /metrics} (Prometheus
 * text format). Gauges (files tracked, lag, journal sizes) are computed when rendered.
 */
final class ShipperMetrics {
  // Ingest (the tailer).
  final LongAdder filesDiscovered = new LongAdder();
  final LongAdder filesFinished = new LongAdder();
  final LongAdder filesLost = new LongAdder();
  final LongAdder truncations = new LongAdder();
  final LongAdder bytesRead = new LongAdder();
  final LongAdder blocksJournaled = new LongAdder();
  final LongAdder recordsJournaled = new LongAdder();
  final LongAdder corruptRegions = new LongAdder();
  final LongAdder corruptBytes = new LongAdder();
  final LongAdder tornTails = new LongAdder();
  final LongAdder unsupportedBlocks = new LongAdder();
  final LongAdder ingestErrors = new LongAdder();

  // Journal and retention.
  final LongAdder cyclesDeleted = new LongAdder();
  final LongAdder blocksExpired = new LongAdder();
  final LongAdder blocksExpiredUnread = new LongAdder();
  final LongAdder replicaRepairs = new LongAdder();

  // Pull server.
  final LongAdder connections = new LongAdder();
  final LongAdder authFailures = new LongAdder();
  final LongAdder pullRequests = new LongAdder();
  final LongAdder fetchRequests = new LongAdder();
  final LongAdder statusRequests = new LongAdder();
  final LongAdder blocksServed = new LongAdder();
  final LongAdder bytesServed = new LongAdder();
  final LongAdder protocolErrors = new LongAdder();
  final LongAdder connectionsRefused = new LongAdder();
  final LongAdder idleClosed = new LongAdder();
}
