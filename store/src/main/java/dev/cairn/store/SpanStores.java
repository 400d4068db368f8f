package dev.cairn.store;

import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;

/**
 * Opens a {@link SpanStore} by its {@code store.type} through the {@link SpanStoreProvider}s on
 * the class path. The embedded store is not among them: it is opened on a directory.
 *
 * <pre>{@code
 * SpanStores.validate("elasticsearch", settings);   // at configuration time, naming the setting
 * SpanStore store = SpanStores.open("elasticsearch", settings);
 * }</pre>
 */
public final class SpanStores {
  private SpanStores() {}

  /** The provider of a store type, when its module is on the class path. */
  public static Optional<SpanStoreProvider> provider(String type) {
    for (SpanStoreProvider p : ServiceLoader.load(SpanStoreProvider.class,
        SpanStores.class.getClassLoader())) {
      if (p.type().equals(type)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /** The settings a store type reads; empty for an unknown type. */
  public static Set<String> settings(String type) {
    return provider(type).map(SpanStoreProvider::settings).orElse(Set.of());
  }

  /**
   * Checks a store type and its settings without connecting.
   *
   * @throws IllegalArgumentException for an unknown type, or starting with the setting at fault
   */
  public static void validate(String type, Map<String, String> settings) {
    provider(type).orElseThrow(() -> unknown(type)).validate(settings);
  }

  public static SpanStore open(String type, Map<String, String> settings) throws StoreException {
    SpanStoreProvider p = provider(type).orElseThrow(() -> unknown(type));
    p.validate(settings);
    return p.open(settings);
  }

  private static IllegalArgumentException unknown(String type) {
    return new IllegalArgumentException("no store of type \"" + type + "\" on the class path"
        + " (embedded is built in; elasticsearch needs the store-elasticsearch module)");
  }
}
