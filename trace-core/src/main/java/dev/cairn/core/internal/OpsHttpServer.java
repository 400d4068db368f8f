package dev.cairn.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Internal: a daemon's operations endpoint over plain HTTP (the JDK's server, so the daemons' wire
 * protocols keep Netty to themselves): {@code GET /metrics} (Prometheus text 0.0.4) and
 * {@code GET /health} ({@code 200 {"status":"UP",...}} or {@code 503 {"status":"DOWN","reason":...}},
 * JSON). Requests are served one at a time on one daemon thread: scrapes are rare and cheap, and
 * a slow client cannot multiply the work. Used by the shipper and the puller. Not a stable API.
 *
 * <pre>{@code
 * OpsHttpServer http = OpsHttpServer.start("shipper", address, () -> metricsText(), () -> Health.up(facts));
 * }</pre>
 */
public final class OpsHttpServer implements Closeable {
  // System.Logger, like the rest of trace-core: no logging dependency here.
  private static final System.Logger LOG = System.getLogger(OpsHttpServer.class.getName());
  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * What {@code /health} answers.
   *
   * @param up whether the daemon does its job
   * @param reason why not, when down; null when up
   * @param facts a few values for humans (strings, numbers, booleans), in order
   */
  public record Health(boolean up, String reason, Map<String, Object> facts) {
    public static Health up(Map<String, Object> facts) {
      return new Health(true, null, facts);
    }

    public static Health down(String reason, Map<String, Object> facts) {
      return new Health(false, reason, facts);
    }
  }

  private final String daemon;
  private final HttpServer server;
  private final ExecutorService executor;
  private final Supplier<String> metrics;
  private final Supplier<Health> health;

  private OpsHttpServer(String daemon, HttpServer server, ExecutorService executor, Supplier<String> metrics,
      Supplier<Health> health) {
    this.daemon = daemon;
    this.server = server;
    this.executor = executor;
    this.metrics = metrics;
    this.health = health;
  }

  /**
   * Binds {@code address} (port 0: an ephemeral port, see {@link #address()}) and starts serving.
   *
   * @param daemon the daemon's name, for the thread and the index page ("shipper")
   * @throws IOException when the address cannot be bound (the message names it)
   */
  public static OpsHttpServer start(String daemon, InetSocketAddress address, Supplier<String> metrics,
      Supplier<Health> health) throws IOException {
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new IOException("cannot serve /metrics on " + ConfigValues.formatAddress(address) + ": " + e.getMessage(), e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cairn-" + daemon + "-http-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    OpsHttpServer s = new OpsHttpServer(daemon, server, executor, metrics, health);
    server.setExecutor(executor);
    server.createContext("/", s::handle);
    server.start();
    return s;
  }

  /** The bound address (with the actual port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /**
   * Stops serving at once (a scrape in progress is cut: the next one goes to the next process),
   * then waits up to 2 s for the thread. A grace period would be spent on idle keep-alive
   * connections, which the JDK server waits for.
   */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING,
            "the /metrics thread did not stop within 2 s; leaving it (it is a daemon thread)");
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
        case "/metrics" -> respond(exchange, 200, PrometheusText.CONTENT_TYPE, metrics.get());
        case "/health" -> {
          Health h = healthNow();
          respond(exchange, h.up() ? 200 : 503, "application/json", healthJson(h));
        }
        case "/" -> respond(exchange, 200, "text/plain; charset=utf-8",
            "cairn " + daemon + ": GET /metrics (Prometheus text), GET /health (JSON)\n");
        default -> respond(exchange, 404, "text/plain; charset=utf-8", "not found: " + path + "\n");
      }
    } catch (RuntimeException e) {
      // The exchange is closed by try-with-resources; the server thread lives on.
      LOG.log(System.Logger.Level.WARNING, "HTTP request " + exchange.getRequestURI() + " failed: " + e, e);
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

  /** {@code {"status":"UP"|"DOWN","reason":...,facts...}}. */
  public static String healthJson(Health h) {
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
