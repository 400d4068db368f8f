package dev.cairn.ui;

import dev.cairn.store.EmbeddedReadOnlyStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanStores;
import dev.cairn.store.StoreException;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The standalone query server of {@code cairn ui}: opens the embedded store read-only (a puller
 * may be writing it at the same time), polls the puller's {@code /health} when configured, and
 * serves a {@link QueryServer}. For a server inside another process, use {@link QueryServer}.
 *
 * <pre>{@code
 * try (UiServer ui = UiServer.start(UiConfig.load(Path.of("ui.yaml"), List.of()))) {
 *   System.out.println("listening on " + ui.address());
 * }
 * }</pre>
 */
public final class UiServer implements Closeable {
  private static final Logger LOG = LogManager.getLogger(UiServer.class);

  private final SpanStore store;
  private final PullerHealth puller;
  private final QueryServer server;

  private UiServer(SpanStore store, PullerHealth puller, QueryServer server) {
    this.store = store;
    this.puller = puller;
    this.server = server;
  }

  /**
   * Opens the store and starts serving.
   *
   * @throws IOException when the store cannot be opened or the address not bound; the message says which
   */
  public static UiServer start(UiConfig config) throws IOException {
    SpanStore store;
    try {
      store = config.storePath() != null ? EmbeddedReadOnlyStore.open(config.storePath())
          : SpanStores.open(config.storeType(), readOnly(config.storeSettings()));
    } catch (StoreException | IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    String where = config.storePath() != null ? config.storePath().toString()
        : config.storeSettings().getOrDefault("urls", "");
    PullerHealth puller = config.pullerHealth().map(u -> new PullerHealth(u, PullerHealth.EVERY)).orElse(null);
    StatusSource status = () -> {
      List<ComponentStatus> out = new ArrayList<>();
      SpanStore.Health h = store.check();
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("type", config.storeType());
      facts.put(config.storePath() != null ? "path" : "urls", where);
      facts.put("access", "read-only");
      if (!h.healthy()) {
        facts.put("reason", h.message());
      }
      // before the puller's first write the store is not broken, just not there yet
      String state = h.healthy() ? ComponentStatus.UP
          : !(store instanceof EmbeddedReadOnlyStore e) || e.hasIndex() ? ComponentStatus.DOWN
          : ComponentStatus.UNKNOWN;
      out.add(new ComponentStatus("store", state, facts));
      if (puller != null) {
        out.add(puller.latest());
      }
      return out;
    };
    try {
      QueryServer server = QueryServer.builder(store.reader())
          .bind(config.http())
          .status(status)
          .queryThreads(config.queryThreads())
          .queueSize(config.queryQueue())
          .maxResults(config.maxResults())
          .maxTimeRange(config.maxRange())
          .start();
      LOG.info("cairn ui: {} store {} (read-only), {}", config.storeType(), where,
          puller == null ? "no puller health configured" : "puller health " + config.pullerHealth().get());
      return new UiServer(store, puller, server);
    } catch (IOException | RuntimeException e) {
      if (puller != null) {
        puller.close();
      }
      store.close();
      throw e;
    }
  }

  /** The UI never deletes: retention is the puller's (the same file may configure both). */
  private static Map<String, String> readOnly(Map<String, String> settings) {
    Map<String, String> m = new LinkedHashMap<>(settings);
    m.remove("retentionDays");
    return m;
  }

  /** Where the server listens. */
  public InetSocketAddress address() {
    return server.address();
  }

  /** Stops serving, then stops polling and closes the store. */
  @Override
  public void close() throws IOException {
    server.close();
    if (puller != null) {
      puller.close();
    }
    store.close();
  }
}
