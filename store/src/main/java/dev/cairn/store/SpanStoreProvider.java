package dev.cairn.store;

import java.util.Map;
import java.util.Set;

/**
 * A kind of {@link SpanStore} other than the embedded one, found through {@link
 * java.util.ServiceLoader} so that the daemons choose a store by name ({@code store.type}) without
 * depending on its module. A module registers one in
 * {@code META-INF/services/dev.cairn.store.SpanStoreProvider}.
 *
 * <pre>{@code
 * SpanStore store = SpanStores.open("elasticsearch", Map.of("urls", "http://127.0.0.1:9200"));
 * }</pre>
 */
public interface SpanStoreProvider {
  /** The {@code store.type} this provider opens, e.g. {@code elasticsearch}. */
  String type();

  /** The settings it reads (each is the configuration key {@code store.<type>.<setting>}). */
  Set<String> settings();

  /**
   * Checks settings without connecting anywhere.
   *
   * @throws IllegalArgumentException whose message starts with the setting at fault and ": "
   */
  void validate(Map<String, String> settings);

  /** Opens a store with valid settings. */
  SpanStore open(Map<String, String> settings) throws StoreException;
}
