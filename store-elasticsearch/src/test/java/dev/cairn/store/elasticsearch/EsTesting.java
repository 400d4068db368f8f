package dev.cairn.store.elasticsearch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
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
