package dev.cairn.store.elasticsearch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP proxy on loopback in front of Elasticsearch that answers the next {@code n} bulk
 * requests with 429 Too Many Requests, as an overloaded node does (the body is Elasticsearch's
 * {@code es_rejected_execution_exception}), and forwards everything else. It counts bulk requests.
 */
final class RejectingProxy implements AutoCloseable {
  private static final List<String> FORWARDED =
      List.of("Content-Type", "Content-Encoding", "Accept", "Authorization");

  private final URI target;
  private final HttpServer server;
  private final ExecutorService pool = Executors.newFixedThreadPool(4);
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicInteger toReject = new AtomicInteger();
  final AtomicInteger rejected = new AtomicInteger();
  final AtomicInteger bulks = new AtomicInteger();

  RejectingProxy(URI target) throws IOException {
    this.target = target;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.createContext("/", this::handle);
    server.setExecutor(pool);
    server.start();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The next {@code n} bulk requests get 429. */
  void rejectNextBulks(int n) {
    toReject.set(n);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = ex.getRequestBody().readAllBytes();
      boolean bulk = ex.getRequestURI().getPath().endsWith("/_bulk");
      if (bulk) {
        bulks.incrementAndGet();
        if (toReject.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
          rejected.incrementAndGet();
          byte[] error = ("{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\","
              + "\"reason\":\"rejected execution of coordinating operation\"}],"
              + "\"type\":\"es_rejected_execution_exception\","
              + "\"reason\":\"rejected execution of coordinating operation\"},\"status\":429}")
              .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().set("Content-Type", "application/json");
          ex.sendResponseHeaders(429, error.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(error);
          }
          return;
        }
      }
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + ex.getRequestURI()
              .toString()))
          .timeout(Duration.ofSeconds(60))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      for (String h : FORWARDED) {
        String v = ex.getRequestHeaders().getFirst(h);
        if (v != null) {
          b.header(h, v);
        }
      }
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      for (String h : List.of("Content-Type", "Content-Encoding", "X-Elastic-Product")) {
        r.headers().firstValue(h).ifPresent(v -> ex.getResponseHeaders().set(h, v));
      }
      byte[] out = r.body();
      ex.sendResponseHeaders(r.statusCode(), out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        try (OutputStream o = ex.getResponseBody()) {
          o.write(out);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
