package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.core.internal.ConfigValues;
import dev.cairn.core.internal.PrometheusText;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shipper's operations endpoint over plain HTTP (the JDK's server: the pull protocol keeps
 * Netty to itself):
 *
 * <ul>
 *   <li>{@code GET /metrics}: every {@link ShipperMetrics} counter and the gauges the shipper
 *       supplies, in Prometheus text format 0.0.4;
 *   <li>{@code GET /health}: {@code 200 {"status":"UP",...}} with a few facts, or {@code 503
 *       {"status":"DOWN","reason":...}} when the ingest thread died or the journal is unusable.
 * </ul>
 *
 * <p>Requests are served one at a time on one thread: scrapes are rare and cheap, and a slow
 * client cannot multiply the work.
 */
final class MetricsHttpServer implements Closeable {
  private static final Logger LOG = LogManager.getLogger(MetricsHttpServer.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /** Writes the gauges of this moment; called on the HTTP thread, so it must read shared state safely. */
  interface Gauges {
    void write(PrometheusText out);
  }

  /**
   * What {@code /health} answers.
   *
   * @param up whether the shipper does its job
   * @param reason why not, when down; null when up
   * @param facts a few values for humans (strings, numbers, booleans), in order
   */
  record Health(boolean up, String reason, Map<String, Object> facts) {
    static Health up(Map<String, Object> facts) {
      return new Health(true, null, facts);
    }

    static Health down(String reason, Map<String, Object> facts) {
      return new Health(false, reason, facts);
    }
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

  private final HttpServer server;
  private final ExecutorService executor;
  private final ShipperMetrics metrics;
  private final Gauges gauges;
  private final Supplier<Health> health;

  private MetricsHttpServer(HttpServer server, ExecutorService executor, ShipperMetrics metrics,
      Gauges gauges, Supplier<Health> health) {
    this.server = server;
    this.executor = executor;
    this.metrics = metrics;
    this.gauges = gauges;
    this.health = health;
  }

  /**
   * Binds {@code address} (port 0: an ephemeral port, see {@link #address()}) and starts serving.
   *
   * @throws IOException when the address cannot be bound (the message names it)
   */
  static MetricsHttpServer start(InetSocketAddress address, ShipperMetrics metrics, Gauges gauges,
      Supplier<Health> health) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("cannot serve /metrics on " + ConfigValues.formatAddress(address) + ": " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cairn-shipper-http-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    MetricsHttpServer s = new MetricsHttpServer(server, executor, metrics, gauges, health);
    server.setExecutor(executor);
    server.createContext("/", s::handle);
    server.start();
    return s;
  }

  /** The bound address (with the actual port when 0 was asked for). */
  InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * Stops serving at once (a scrape in progress is cut: the next one goes to the next process),
   * then waits up to 2 s for the thread. A grace period would be spent on pullers' idle
   * keep-alive connections, which the JDK server waits for.
   */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        LOG.warn("the /metrics thread did not stop within 2 s; leaving it (it is a daemon thread)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      String path = exchange.getRequestURI().getPath();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        respond(exchange, 405, "text/plain; charset=utf-8", "only GET and HEAD\n");
        return;
      }
      switch (path) {
        case "/metrics" -> respond(exchange, 200, PrometheusText.CONTENT_TYPE, render(metrics, gauges));
        case "/health" -> {
          Health h = healthNow();
          respond(exchange, h.up() ? 200 : 503, "application/json", healthJson(h));
        }
        case "/" -> respond(exchange, 200, "text/plain; charset=utf-8",
            "cairn shipper: GET /metrics (Prometheus text), GET /health (JSON)\n");
        default -> respond(exchange, 404, "text/plain; charset=utf-8", "not found: " + path + "\n");
      }
    } catch (RuntimeException e) {
      // The exchange is closed by try-with-resources; the server thread lives on.
      LOG.warn("HTTP request {} failed: {}", exchange.getRequestURI(), e.toString(), e);
    }
  }

  private Health healthNow() {
    try {
      return health.get();
    } catch (RuntimeException e) {
      return Health.down("health check failed: " + e, Map.of());
    }
  }

  private static void respond(HttpExchange exchange, int status, String contentType, String body)
      throws IOException {
    byte[] bytes = body.getBytes(UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
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

  /** {@code {"status":"UP"|"DOWN","reason":...,facts...}}. */
  static String healthJson(Health h) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("status", h.up() ? "UP" : "DOWN");
    if (h.reason() != null) {
      all.put("reason", h.reason());
    }
    h.facts().forEach(all::putIfAbsent);
    StringBuilder b = new StringBuilder("{");
    for (Map.Entry<String, Object> e : all.entrySet()) {
      if (b.length() > 1) {
        b.append(',');
      }
      jsonString(b, e.getKey());
      b.append(':');
      Object v = e.getValue();
      if (v == null) {
        b.append("null");
      } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
        b.append(v);
      } else if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
        b.append(n.doubleValue());
      } else {
        jsonString(b, v.toString());
      }
    }
    return b.append("}\n").toString();
  }

  private static void jsonString(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
