package dev.cairn.store.elasticsearch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.StoredSpan;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/** Stores on the shared test node, each test under its own index prefix. */
final class EsTesting {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private EsTesting() {}

  /** A prefix no other test of this run uses. */
  static String newPrefix() {
    return "cairn-test-" + ProcessHandle.current().pid() + "-" + PREFIXES.incrementAndGet();
  }

  /** A store builder for the shared node: no replica (one node), short retries. */
  static EsSpanStore.Builder store(String prefix) {
    return store(EsNode.shared().url(), prefix);
  }

  static EsSpanStore.Builder store(URI url, String prefix) {
    return EsSpanStore.builder(List.of(url)).indexPrefix(prefix).replicas(0)
        .retryFor(Duration.ofSeconds(20));
  }

  /**
   * A trace of a "web" root ("GET /", 50 ms) and n − 1 "cart" children ("load", 1 ms each, 1 ms
   * apart), {@code parentService} on the children.
   */
  static List<StoredSpan> webTrace(Random random, TraceId t, long start, int n,
      String parentService) {
    SpanRecord root = SpanRecord.builder().traceId(t.high(), t.low()).spanId(random.nextLong() | 1)
        .service("web").name("GET /").startMicros(start).durationMicros(50_000).build();
    List<StoredSpan> out = new ArrayList<>(List.of(StoredSpan.of(root)));
    for (int i = 1; i < n; i++) {
      out.add(new StoredSpan(SpanRecord.builder().traceId(t.high(), t.low())
          .spanId(random.nextLong() | 1).parentSpanId(root.spanId()).service("cart")
          .name("load").startMicros(start + i * 1_000L).durationMicros(1_000).build(),
          parentService));
    }
    return out;
  }

  /** Deletes the prefix's indices and templates, so the shared node does not fill up. */
  static void deleteAll(String prefix) throws IOException, InterruptedException {
    send("DELETE", "/" + prefix + "-*", null);
    send("DELETE", "/_index_template/" + prefix + "-*", null);
  }

  /** A request to the shared node; the response body, or an exception naming the status. */
  static String send(String method, String path, String json)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(EsNode.shared().url() + path))
        .timeout(Duration.ofSeconds(60));
    if (json == null) {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(json));
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300 && r.statusCode() != 404) {
      throw new IOException(method + " " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }
}
