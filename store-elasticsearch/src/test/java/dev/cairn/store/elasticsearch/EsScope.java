package dev.cairn.store.elasticsearch;

import dev.cairn.store.StoreException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test's own index prefix on the shared node and the stores it opened there: a new prefix
 * before each test; after it, the stores closed and the prefix's indices deleted.
 *
 * <pre>{@code
 * @RegisterExtension final EsScope es = new EsScope();
 * EsSpanStore store = es.open(EsTesting.store(es.prefix()));
 * }</pre>
 */
final class EsScope implements BeforeEachCallback, AfterEachCallback {
  private final List<EsSpanStore> stores = new ArrayList<>();
  private String prefix;

  String prefix() {
    return prefix;
  }

  /** Builds the store; it is closed after the test. */
  EsSpanStore open(EsSpanStore.Builder b) throws StoreException {
    EsSpanStore s = b.build();
    stores.add(s);
    return s;
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    prefix = EsTesting.newPrefix();
    stores.clear();
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    for (EsSpanStore s : stores) {
      s.close();
    }
    EsTesting.deleteAll(prefix);
  }
}
