package dev.cairn.store;

import java.nio.file.Path;

/** Runs the contract suite against the in-memory reference store, which checks the suite itself. */
class InMemorySpanStoreTest extends SpanStoreContractTest {
  @Override
  protected SpanStore newStore(Path dir) {
    return new InMemorySpanStore();
  }

  @Override
  protected SpanStore reopen(SpanStore old, Path dir) throws Exception {
    old.close();
    return ((InMemorySpanStore) old).reopened();
  }
}
