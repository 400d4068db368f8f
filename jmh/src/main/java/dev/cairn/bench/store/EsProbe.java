package dev.cairn.bench.store;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * Whether an Elasticsearch node answers at a URL, asked before {@link EsStoreBenchmark} runs so
 * that a missing node skips the benchmark with a reason instead of failing it. jmh/bench.sh runs
 * it as a command; the smoke test and the benchmark's own set-up call {@link #unavailable}.
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar dev.cairn.bench.store.EsProbe http://127.0.0.1:9200
 * </pre>
 */
public final class EsProbe {
  /** Exit status of {@link #main} when the benchmark is to be skipped. */
  static final int SKIP = 3;
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  private EsProbe() {}

  /** Why no benchmark can run against {@code url}; empty when an Elasticsearch node answers there. */
  public static Optional<String> unavailable(String url) {
    if (url == null || url.isBlank()) {
      return Optional.of("no Elasticsearch URL given (JMH: -p esUrl=http://127.0.0.1:9200;"
          + " jmh/bench.sh: CAIRN_BENCH_ES_URL=<url> or CAIRN_BENCH_ES=start)");
    }
    URI uri;
    try {
      uri = new URI(url.trim());
    } catch (URISyntaxException e) {
      return Optional.of("esUrl \"" + url + "\" is not an http(s)://host:port URL: " + e.getMessage());
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      return Optional.of("esUrl \"" + url + "\" is not an http(s)://host:port URL");
    }
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(uri.resolve("/_cluster/health")).timeout(TIMEOUT)
          .GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return Optional.of(url + " answered HTTP " + r.statusCode() + ", not an open Elasticsearch node");
      }
      if (!r.body().contains("\"cluster_name\"")) {
        return Optional.of(url + " answered, but not as Elasticsearch (no cluster_name)");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("no Elasticsearch answers at " + url + " (" + e + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted while asking " + url);
    }
  }

  /**
   * Deletes the indices and index templates under {@code prefix}, so a benchmark leaves nothing
   * behind in the node; by name, since a node may refuse wildcard deletes of indices.
   */
  static void deleteAll(String url, String prefix) throws IOException, InterruptedException {
    URI base = URI.create(url.trim());
    String names = send(base, "GET", "/_cat/indices/" + prefix + "-*?h=index");
    for (String index : names.split("\\s+")) {
      if (!index.isEmpty()) {
        send(base, "DELETE", "/" + index);
      }
    }
    send(base, "DELETE", "/_index_template/" + prefix + "-*");
  }

  private static String send(URI base, String method, String path)
      throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(base.resolve(path))
        .timeout(Duration.ofSeconds(60)).method(method, HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() >= 300 && r.statusCode() != 404) {
      throw new IOException(method + " " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.statusCode() == 404 ? "" : r.body();
  }

  /** Exit 0 when a node answers at {@code args[0]}; otherwise prints why and exits {@value #SKIP}. */
  public static void main(String[] args) {
    String url = args.length == 0 ? "" : args[0];
    Optional<String> why = unavailable(url);
    if (why.isPresent()) {
      System.out.println("EsStoreBenchmark skipped: " + why.get());
      System.exit(SKIP);
    }
    System.out.println("Elasticsearch answers at " + url);
  }
}
