package dev.cairn.store.elasticsearch;

import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanStoreContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/** The shared contract suite, unchanged, against a real Elasticsearch node. */
class EsSpanStoreIT extends SpanStoreContractTest {
  private String prefix;

  @Override
  protected SpanStore newStore(Path dir) throws Exception {
    prefix = EsTesting.newPrefix();
    return EsTesting.store(prefix).build();
  }

  @Override
  protected SpanStore reopen(SpanStore old, Path dir) throws Exception {
    old.close();
    return EsTesting.store(prefix).build();
  }

  @AfterEach
  void deleteIndices() throws Exception {
    EsTesting.deleteAll(prefix);
  }
}
