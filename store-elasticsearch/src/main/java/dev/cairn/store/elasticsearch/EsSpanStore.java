package dev.cairn.store.elasticsearch;

import static java.util.Objects.requireNonNull;

import co.elastic.clients.elasticsearch._types.HealthStatus;
import co.elastic.clients.elasticsearch.cluster.HealthResponse;
import dev.cairn.store.SpanReader;
import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The {@link SpanStore} on Elasticsearch 8 (docs/store-elasticsearch.md): daily trace-part, log
 * and trace-summary indices under one prefix, created by index templates this store puts. A trace
 * part is what one write adds to one trace: its new spans as one document. Writes are idempotent
 * by (trace ID, span ID): a writer reads a trace's stored parts before adding its new spans as the
 * next part, whose number it takes by bulk {@code create}; trace summaries, per-minute aggregates
 * and dependency links are documents updated from the spans stored for the first time, exactly
 * once even when a writer dies in the middle of a write (each write's intent, {@link EsIntents}).
 * Writes never refresh; a read refreshes first when this store wrote since the last one, so it
 * sees every write that returned before it. A slow or unreachable
 * Elasticsearch makes {@code write} retry with back-off and then fail, so the puller, which retries
 * a failed batch for ever, pulls no faster than Elasticsearch stores.
 *
 * <pre>{@code
 * try (EsSpanStore store = EsSpanStore.builder(List.of(URI.create("http://127.0.0.1:9200")))
 *     .indexPrefix("cairn").replicas(1).retention(Duration.ofDays(7)).build()) {
 *   store.writer().write(batch);     // this store's next read sees it
 * }
 * }</pre>
 */
public final class EsSpanStore implements SpanStore {
  private static final Logger LOG = LogManager.getLogger(EsSpanStore.class);

  private final EsClient client;
  private final EsIndices indices;
  private final int shards;
  private final int replicas;
  private final long retryForMillis;
  private final EsWriter writer;
  private final EsReader reader;
  private final EsRetention retention;
  /** Writes this store finished, and how many of them the last refresh of its indices covers. */
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong refreshed = new AtomicLong();
  private volatile boolean templatesPut;
  private volatile boolean closed;

  private EsSpanStore(Builder b) throws StoreException {
    indices = new EsIndices(b.indexPrefix);
    shards = b.shards;
    replicas = b.replicas;
    retryForMillis = b.retryFor.toMillis();
    client = new EsClient(b.urls, b.username, b.password, b.retryFor.toMillis());
    writer = new EsWriter(this, client, indices, b.bulkMaxDocuments, b.compressParts);
    reader = new EsReader(this, client, indices);
    Optional<String> refused;
    try {
      EsTemplates.put(client, indices, shards, replicas, 0);
      refused = EsTemplates.olderLayout(client, indices, 0);
      templatesPut = refused.isEmpty();
    } catch (StoreException e) {
      refused = Optional.empty();
      int status = EsClient.status(e.getCause());
      if (status == 401 || status == 403) {
        closeQuietly(client);
        throw new StoreException("Elasticsearch at " + b.urls + " refused the credentials"
            + " (store.elasticsearch.username/password): " + e.getMessage(), e);
      }
      // Elasticsearch may come up after Cairn: the first write puts the templates, retrying
      LOG.warn("Elasticsearch store {}: index templates not put yet: {}", b.urls, e.getMessage());
    }
    if (refused.isPresent()) {
      closeQuietly(client);
      throw new StoreException(refused.get());
    }
    retention = b.retention.isZero() ? null : new EsRetention(client, indices, b.retention);
  }

  /** A builder for a store on these Elasticsearch nodes (http or https URLs). */
  public static Builder builder(List<URI> urls) {
    return new Builder(urls);
  }

  @Override
  public SpanWriter writer() {
    return writer;
  }

  @Override
  public SpanReader reader() {
    return reader;
  }

  /** Reachable, and the cluster is not red. */
  @Override
  public Health check() {
    if (closed) {
      return Health.failed("Elasticsearch store is closed");
    }
    try {
      HealthResponse h = client.raw().cluster().health();
      return h.status() == HealthStatus.Red
          ? Health.failed("Elasticsearch cluster " + h.clusterName() + " is red")
          : Health.ok();
    } catch (IOException | RuntimeException e) {
      return Health.failed("Elasticsearch is unreachable: " + e);
    }
  }

  /** Counters of this store since it opened. */
  public Stats stats() {
    return new Stats(client.retries.sum(), writer.rejectedDocuments.sum(),
        writer.summaryConflicts.sum(), writer.pending(),
        retention == null ? 0 : retention.deletedIndices.sum());
  }

  /**
   * Counters since the store opened.
   *
   * @param retries requests (or bulk items) retried after a passing failure: 429, 5xx, no connection
   * @param rejectedDocuments spans and log lines Elasticsearch refused for good, each failing its
   *     write
   * @param summaryConflicts summary, aggregate or dependency documents merged again because
   *     another writer changed them first
   * @param pendingDeltas writes of this store whose summary, aggregate and dependency changes
   *     are not applied yet (their spans are stored; the next write applies them, or the next
   *     store writing on these indices): 0 when all are applied
   * @param retentionDeletedIndices daily indices deleted by retention
   */
  public record Stats(long retries, long rejectedDocuments, long summaryConflicts,
      long pendingDeltas, long retentionDeletedIndices) {}

  /**
   * Deletes this store's daily indices of days before {@code now − age} (UTC days), what the
   * retention job does on its schedule.
   *
   * @return the names of the deleted indices
   */
  public List<String> deleteIndicesOlderThan(Duration age) throws StoreException {
    checkOpen();
    return EsRetention.deleteOlderThan(client, indices, age);
  }

  /** Stops the retention job and closes the connections. Reads and writes after close fail. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (writes.get() > refreshed.get()) {
      // another store on these indices (the next process) sees the writes at once
      try {
        refresh();
      } catch (StoreException e) {
        LOG.debug("refreshing at close: {}", e.toString());
      }
    }
    writer.close();
    if (writer.pending() > 0) {
      LOG.warn("Elasticsearch store closed with {} writes whose summaries, aggregates and"
          + " dependency links are not counted yet: the next store writing here counts them",
          writer.pending());
    }
    if (retention != null) {
      retention.close();
    }
    client.close();
  }

  private static void closeQuietly(EsClient client) {
    try {
      client.close();
    } catch (IOException e) {
      LOG.debug("closing the Elasticsearch client: {}", e.toString());
    }
  }

  void checkOpen() throws StoreException {
    if (closed) {
      throw new StoreException("Elasticsearch store is closed");
    }
  }

  /** A write finished (or failed after storing some documents). */
  void wrote() {
    writes.incrementAndGet();
  }

  /**
   * Before a read: refreshes this store's indices when it wrote since the last refresh, so the
   * read sees every write that returned before it began. A store that only reads pays nothing
   * and sees other processes' writes within the refresh interval.
   */
  void readable() throws StoreException {
    checkOpen();
    long w = writes.get();
    if (w > refreshed.get()) {
      refresh();
      refreshed.accumulateAndGet(w, Math::max);
    }
  }

  private void refresh() throws StoreException {
    List<String> patterns = new ArrayList<>();
    for (String kind : EsIndices.KINDS) {
      patterns.add(indices.pattern(kind));
    }
    client.call("refresh", c -> c.indices().refresh(r -> r
        .index(patterns).ignoreUnavailable(true).allowNoIndices(true)));
  }

  void ensureTemplates() throws StoreException {
    if (!templatesPut) {
      synchronized (this) {
        if (!templatesPut) {
          EsTemplates.put(client, indices, shards, replicas, retryForMillis);
          Optional<String> refused = EsTemplates.olderLayout(client, indices, retryForMillis);
          if (refused.isPresent()) {
            throw new StoreException(refused.get());
          }
          templatesPut = true;
        }
      }
    }
  }

  /**
   * Builds an {@link EsSpanStore}. Defaults: prefix {@code cairn}, 1 shard, 1 replica, no
   * retention, bulk requests of at most 1,000 documents, retries for 30 s before a write fails.
   */
  public static final class Builder {
    private final List<URI> urls;
    private String username = "";
    private String password = "";
    private String indexPrefix = "cairn";
    private int shards = 1;
    private int replicas = 1;
    private Duration retention = Duration.ZERO;
    private int bulkMaxDocuments = 1000;
    private Duration retryFor = Duration.ofSeconds(30);
    private boolean compressParts;

    Builder(List<URI> urls) {
      this.urls = new ArrayList<>(requireNonNull(urls, "urls"));
    }

    /** Basic authentication; "" (the default) for none. */
    public Builder credentials(String username, String password) {
      this.username = requireNonNull(username, "username");
      this.password = requireNonNull(password, "password");
      return this;
    }

    /** The start of every index and template name: lower case, [a-z0-9_.-]. */
    public Builder indexPrefix(String indexPrefix) {
      this.indexPrefix = requireNonNull(indexPrefix, "indexPrefix");
      return this;
    }

    /** Primary shards of each new daily index. */
    public Builder shards(int shards) {
      this.shards = shards;
      return this;
    }

    /** Replicas of each new daily index. */
    public Builder replicas(int replicas) {
      this.replicas = replicas;
      return this;
    }

    /** Daily indices of days older than this are deleted; {@link Duration#ZERO} keeps all. */
    public Builder retention(Duration retention) {
      this.retention = requireNonNull(retention, "retention");
      return this;
    }

    /**
     * Spans and log lines per bulk request: a trace part counts as its spans (a part with more
     * spans than this goes in a request of its own).
     */
    public Builder bulkMaxDocuments(int bulkMaxDocuments) {
      this.bulkMaxDocuments = bulkMaxDocuments;
      return this;
    }

    /** How long a request is retried (429, 5xx, no connection) before the write fails. */
    public Builder retryFor(Duration retryFor) {
      this.retryFor = requireNonNull(retryFor, "retryFor");
      return this;
    }

    /**
     * Keeps each trace part's block LZ4-compressed instead of leaving all compression to
     * Elasticsearch (measured larger: docs/store-elasticsearch.md, "Figures"). For measurements.
     */
    Builder compressParts(boolean compressParts) {
      this.compressParts = compressParts;
      return this;
    }

    /**
     * Connects (lazily: Elasticsearch may be down now) and puts the index templates when it can.
     *
     * @throws IllegalArgumentException naming the field when a value is out of range
     */
    public EsSpanStore build() throws StoreException {
      if (urls.isEmpty()) {
        throw new IllegalArgumentException("urls: at least one Elasticsearch URL is needed");
      }
      for (URI u : urls) {
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
            || u.getHost() == null) {
          throw new IllegalArgumentException("urls: \"" + u + "\" is not an http(s)://host[:port]"
              + " URL");
        }
      }
      EsIndices.checkPrefix(indexPrefix);
      if (shards < 1 || shards > 1024) {
        throw new IllegalArgumentException("shards must be in [1, 1024]: " + shards);
      }
      if (replicas < 0 || replicas > 16) {
        throw new IllegalArgumentException("replicas must be in [0, 16]: " + replicas);
      }
      if (retention.isNegative()) {
        throw new IllegalArgumentException("retention must not be negative: " + retention);
      }
      if (bulkMaxDocuments < 1 || bulkMaxDocuments > 100_000) {
        throw new IllegalArgumentException("bulkMaxDocuments must be in [1, 100000]: "
            + bulkMaxDocuments);
      }
      if (retryFor.isNegative()) {
        throw new IllegalArgumentException("retryFor must not be negative: " + retryFor);
      }
      return new EsSpanStore(this);
    }
  }
}
