package dev.cairn.puller;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the puller knows of one host: its connection (reused across job runs), where its next PULL
 * starts, its back-off, and its counters. The pull job of the host is the only writer of the
 * connection, the cursor and the back-off ({@code @DisallowConcurrentExecution}); the HTTP thread
 * and the assembly thread only read the volatile fields.
 */
final class HostState {
  final PullerConfig.Host host;

  volatile ShipperClient client;
  /** The next sequence to PULL; starts at the saved cursor. Ahead of the saved cursor while blocks are assembled. */
  volatile long cursor;
  volatile long lastSeq = -1;
  volatile boolean up;
  volatile boolean removed;
  volatile long lagSinceMillis;
  /** Bytes the shipper holds beyond our next PULL, from its STATUS; 0 when caught up, -1 before the first answer or when the shipper does not say (an older one). */
  volatile long lagBytes = -1;
  /** Age of the oldest block not pulled yet, from the shipper's STATUS; -1 when it does not say. */
  volatile long lagMillis = -1;
  long lastStatusMillis;
  volatile String lastError = "";

  long backoffMillis;
  long nextAttemptAtMillis;
  int failuresInARow;

  final LongAdder pulls = new LongAdder();
  final LongAdder bytes = new LongAdder();
  final LongAdder blocks = new LongAdder();
  final LongAdder spans = new LongAdder();
  final LongAdder logs = new LongAdder();
  final LongAdder lostBlocks = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder corruptBlocks = new LongAdder();

  HostState(PullerConfig.Host host, long cursor) {
    this.host = host;
    this.cursor = cursor;
  }

  String name() {
    return host.name();
  }

  /** Blocks the shipper holds beyond our next PULL; -1 before the first answer. */
  long lagBlocks() {
    long last = lastSeq;
    return last < 0 ? -1 : Math.max(0, last + 1 - Math.max(cursor, 1));
  }

  void closeClient() {
    ShipperClient c = client;
    client = null;
    if (c != null) {
      c.close();
    }
  }
}
