package dev.cairn.store;

import java.nio.file.Path;

/** The contract suite against the embedded store, plus what only the embedded store promises. */
class EmbeddedSpanStoreTest extends SpanStoreContractTest {
  @Override
  protected SpanStore newStore(Path dir) throws Exception {
    return EmbeddedSpanStore.open(dir);
  }

  @Override
  protected SpanStore reopen(SpanStore old, Path dir) throws Exception {
    old.close();
    return EmbeddedSpanStore.open(dir);
  }
}
