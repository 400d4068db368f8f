package dev.cairn.store.elasticsearch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.ui.UiConfig;
import dev.cairn.ui.UiServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Two query servers, {@code cairn ui} on Elasticsearch (an index prefix on the shared test node)
 * and on an embedded store, each started from its {@link UiConfig}, asked the same Jaeger API
 * requests.
 *
 * <pre>{@code
 * try (JaegerApiPair apis = JaegerApiPair.start(prefix, embeddedDir)) {
 *   apis.assertSameAnswers(List.of("/api/services", "/api/traces/" + id.hex()));
 * }
 * }</pre>
 */
final class JaegerApiPair implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  private final UiServer es;
  private final UiServer embedded;

  private JaegerApiPair(UiServer es, UiServer embedded) {
    this.es = es;
    this.embedded = embedded;
  }

  static JaegerApiPair start(String prefix, Path embeddedDir) throws IOException {
    UiConfig onEs = UiConfig.load(null, List.of("http=127.0.0.1:0",
        "store.type=elasticsearch", "store.elasticsearch.urls=" + EsNode.shared().url(),
        "store.elasticsearch.indexPrefix=" + prefix, "store.elasticsearch.replicas=0",
        "store.elasticsearch.retentionDays=1"), Map.of(), Map.of());
    UiConfig onEmbedded = UiConfig.load(null, List.of("http=127.0.0.1:0",
        "store.path=" + embeddedDir), Map.of(), Map.of());
    UiServer es = UiServer.start(onEs);
    try {
      return new JaegerApiPair(es, UiServer.start(onEmbedded));
    } catch (IOException | RuntimeException e) {
      es.close();
      throw e;
    }
  }

  /**
   * Each path answers the same status and the same body, byte for byte, on both stores. Every path
   * is asked; a failure names the paths that differ and shows the first difference.
   */
  void assertSameAnswers(List<String> paths) throws IOException, InterruptedException {
    List<String> differ = new ArrayList<>();
    String expected = null;
    String actual = null;
    for (String path : paths) {
      HttpResponse<String> a = get(es, path);
      HttpResponse<String> b = get(embedded, path);
      if (a.statusCode() != b.statusCode() || !a.body().equals(b.body())) {
        if (differ.isEmpty()) {
          expected = b.statusCode() + " " + b.body();
          actual = a.statusCode() + " " + a.body();
        }
        differ.add(path);
      }
    }
    assertEquals(expected, actual, differ.size() + " of " + paths.size()
        + " paths answer differently on Elasticsearch (actual) and the embedded store (expected): "
        + differ.subList(0, Math.min(10, differ.size())) + "; the first");
  }

  /** The answer of the server on Elasticsearch. */
  HttpResponse<String> onEs(String path) throws IOException, InterruptedException {
    return get(es, path);
  }

  private static HttpResponse<String> get(UiServer ui, String path)
      throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
        + ui.address().getPort() + path)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws IOException {
    try (UiServer a = es; UiServer b = embedded) {
      // both closed, the second even when the first throws
    }
  }
}
