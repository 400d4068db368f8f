package dev.cairn.store.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.ErrorCause;
import co.elastic.clients.elasticsearch._types.Refresh;
import co.elastic.clients.elasticsearch.core.BulkResponse;
import co.elastic.clients.elasticsearch.core.MgetResponse;
import co.elastic.clients.elasticsearch.core.bulk.BulkOperation;
import co.elastic.clients.elasticsearch.core.bulk.BulkResponseItem;
import co.elastic.clients.elasticsearch.core.mget.MultiGetResponseItem;
import co.elastic.clients.json.jackson.Jackson3JsonpMapper;
import co.elastic.clients.transport.TransportException;
import co.elastic.clients.transport.instrumentation.NoopInstrumentation;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import dev.cairn.store.StoreException;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.apache.http.Header;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;

/**
 * The one place that talks to Elasticsearch: builds the client and retries what Elasticsearch
 * asks to be retried. A request that fails for a reason that can pass (connection refused while a
 * node restarts, 429 Too Many Requests, 502/503/504) is retried with exponential back-off and
 * jitter until {@code retryFor} is spent; the caller then gets a {@link StoreException} and the
 * puller keeps the batch and retries it later. Nothing is retried silently for ever here: the
 * caller's thread is the back-pressure.
 */
final class EsClient implements AutoCloseable {
  private static final Logger LOG = LogManager.getLogger(EsClient.class);
  private static final long FIRST_BACKOFF_MILLIS = 50;
  private static final long MAX_BACKOFF_MILLIS = 2_000;

  /** A call to Elasticsearch. */
  interface Call<T> {
    T call(ElasticsearchClient client) throws IOException;
  }

  private final RestClient rest;
  private final ElasticsearchClient client;
  private final long retryForMillis;
  private final String where;
  final LongAdder retries = new LongAdder();

  EsClient(List<URI> urls, String username, String password, long retryForMillis) {
    HttpHost[] hosts = urls.stream()
        .map(u -> new HttpHost(u.getHost(), u.getPort() < 0
            ? ("https".equals(u.getScheme()) ? 443 : 9200) : u.getPort(), u.getScheme()))
        .toArray(HttpHost[]::new);
    List<Header> headers = new ArrayList<>();
    if (!username.isEmpty()) {
      String basic = Base64.getEncoder().encodeToString(
          (username + ':' + password).getBytes(StandardCharsets.UTF_8));
      headers.add(new BasicHeader("Authorization", "Basic " + basic));
    }
    rest = RestClient.builder(hosts)
        .setDefaultHeaders(headers.toArray(Header[]::new))
        .setRequestConfigCallback(c -> c.setConnectTimeout(5_000).setSocketTimeout(60_000))
        .setCompressionEnabled(false)
        .build();
    // No instrumentation: the client would otherwise trace its own requests through the
    // process's global OpenTelemetry, and in a puller those spans would come back to Cairn.
    client = new ElasticsearchClient(new RestClientTransport(rest, new Jackson3JsonpMapper(),
        null, NoopInstrumentation.INSTANCE));
    this.retryForMillis = retryForMillis;
    this.where = urls.toString();
  }

  ElasticsearchClient raw() {
    return client;
  }

  /** Runs a call, retrying failures that can pass until {@code retryFor} is spent. */
  <T> T call(String what, Call<T> call) throws StoreException {
    return call(what, call, retryForMillis);
  }

  /** Runs a call, retrying failures that can pass for {@code retryMillis} (0: one attempt). */
  <T> T call(String what, Call<T> call, long retryMillis) throws StoreException {
    long deadline = System.nanoTime() + retryMillis * 1_000_000L;
    for (int attempt = 0; ; attempt++) {
      Exception failure;
      try {
        return call.call(client);
      } catch (IOException | ElasticsearchException e) {
        failure = e;
      } catch (RuntimeException e) {
        // the low-level client wraps some I/O failures (a closed connection mid-request)
        failure = e;
        if (!(e.getCause() instanceof IOException)) {
          throw new StoreException("Elasticsearch " + what + " failed: " + describe(e), e);
        }
      }
      if (!retriable(failure)) {
        throw new StoreException("Elasticsearch " + what + " failed: " + describe(failure),
            failure);
      }
      if (System.nanoTime() >= deadline) {
        throw new StoreException("Elasticsearch at " + where + " did not accept " + what
            + " for " + retryMillis + " ms: " + describe(failure), failure);
      }
      if (attempt == 0) {
        LOG.warn("Elasticsearch {} failed, retrying: {}", what, describe(failure));
      }
      retries.increment();
      backOff(attempt);
    }
  }

  /**
   * A realtime multi-get of documents by (index, ID) (a get by ID sees the latest write without a
   * refresh). An item failing because its shard is not started yet (an index created a moment
   * ago by another writer) fails the request as one that can pass, so it is retried.
   *
   * @param storedFields the stored fields to return; none for {@code _source}
   */
  <T> MgetResponse<T> mget(String what, List<String[]> where, List<String> storedFields,
      Class<T> type) throws StoreException {
    return call(what, c -> {
      MgetResponse<T> r = c.mget(m -> {
        for (String[] w : where) {
          m.docs(d -> d.index(w[0]).id(w[1]));
        }
        if (!storedFields.isEmpty()) {
          m.storedFields(storedFields);
        }
        return m.realtime(true);
      }, type);
      for (MultiGetResponseItem<T> item : r.docs()) {
        if (item.isFailure() && SHARD_NOT_READY.contains(item.failure().error().type())) {
          throw new IOException(item.failure().index() + ": "
              + describe(item.failure().error()));
        }
      }
      return r;
    });
  }

  private static final Set<String> SHARD_NOT_READY = Set.of("no_shard_available_action_exception",
      "unavailable_shards_exception", "shard_not_found_exception");

  /**
   * Runs bulk operations, retrying the items Elasticsearch rejected for load (429) or a passing
   * failure (5xx), until {@code retryFor} is spent. Every other item is answered as it was: the
   * result's item {@code i} answers operation {@code i}.
   */
  List<BulkResponseItem> bulk(String what, List<BulkOperation> ops, Refresh refresh)
      throws StoreException {
    BulkResponseItem[] results = new BulkResponseItem[ops.size()];
    List<Integer> pending = new ArrayList<>(ops.size());
    for (int i = 0; i < ops.size(); i++) {
      pending.add(i);
    }
    long deadline = System.nanoTime() + retryForMillis * 1_000_000L;
    for (int attempt = 0; ; attempt++) {
      List<BulkOperation> send = new ArrayList<>(pending.size());
      for (int i : pending) {
        send.add(ops.get(i));
      }
      BulkResponse response = call(what, c -> c.bulk(b -> b.operations(send).refresh(refresh)));
      List<BulkResponseItem> items = response.items();
      if (items.size() != send.size()) {
        throw new StoreException("Elasticsearch answered " + items.size() + " items to a bulk of "
            + send.size() + " (" + what + ")");
      }
      List<Integer> again = new ArrayList<>();
      BulkResponseItem rejected = null;
      for (int k = 0; k < items.size(); k++) {
        BulkResponseItem item = items.get(k);
        if (retriable(item.status())) {
          again.add(pending.get(k));
          rejected = item;
        } else {
          results[pending.get(k)] = item;
        }
      }
      if (again.isEmpty()) {
        return List.of(results);
      }
      if (System.nanoTime() >= deadline) {
        throw new StoreException("Elasticsearch at " + where + " rejected " + again.size()
            + " of " + ops.size() + " " + what + " for " + retryForMillis + " ms: "
            + rejected.status() + " " + describe(rejected.error()));
      }
      if (attempt == 0) {
        LOG.warn("Elasticsearch rejected {} of {} {}, retrying: {} {}", again.size(), ops.size(),
            what, rejected.status(), describe(rejected.error()));
      }
      retries.increment();
      pending = again;
      backOff(attempt);
    }
  }

  /** The HTTP status Elasticsearch answered with, -1 when it did not answer. */
  static int status(Throwable e) {
    if (e instanceof ElasticsearchException ee) {
      return ee.status();
    }
    if (e instanceof TransportException te) {
      return te.statusCode();
    }
    if (e instanceof ResponseException re) {
      return re.getResponse().getStatusLine().getStatusCode();
    }
    return -1;
  }

  static boolean retriable(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }

  private static boolean retriable(Exception e) {
    int status = status(e);
    // no answer (connection refused, reset, timed out): the node may come back
    return status < 0 || retriable(status);
  }

  private static void backOff(int attempt) throws StoreException {
    long max = Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt, 10));
    try {
      Thread.sleep(max / 2 + ThreadLocalRandom.current().nextLong(max / 2 + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting to retry a write to Elasticsearch", e);
    }
  }

  static String describe(ErrorCause e) {
    if (e == null) {
      return "";
    }
    return e.type() + ": " + e.reason() + (e.causedBy() != null ? " (" + describe(e.causedBy()) + ")" : "");
  }

  private static String describe(Exception e) {
    if (e instanceof ElasticsearchException ee && ee.error() != null) {
      return ee.status() + " " + describe(ee.error());
    }
    return e.toString();
  }

  @Override
  public void close() throws IOException {
    rest.close();
  }
}
