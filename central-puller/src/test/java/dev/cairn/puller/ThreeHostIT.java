package dev.cairn.puller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.shipper.JournalReplay;
import dev.cairn.store.EmbeddedSpanStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of the puller and the embedded store, all real processes on loopback
 * ({@link ThreeHostRun}): three simulated hosts, each an application writing through {@code
 * <SpanFile>} and a shipper, W3C propagation across them. One puller with an embedded store is
 * killed with SIGKILL three times during the run and started again. Then:
 * <ol>
 *   <li>every trace is stored complete, exactly its spans (none lost, none twice), every parent
 *       present, its services the three hosts', and the dependency links count every call;
 *   <li>with host B's primary journal deleted, {@link Recovery} from B's replica plus A's and C's
 *       journals fills a fresh store with every trace complete again;
 *   <li>B's shipper restarted serves from its replica, and a fresh puller (fresh store, no cursors)
 *       stores every trace complete again.
 * </ol>
 */
class ThreeHostIT {
  static final String EMBEDDED_STORE = """
      store:
        path: store
      state: state
      """;

  @TempDir Path tmp;

  @Test
  void threeHosts_pullerKilledThreeTimes_everyTraceCompleteOnce_thenAgainFromHostBsReplica() throws Exception {
    try (ThreeHostRun run = ThreeHostRun.start(tmp, "ThreeHostIT")) {
      ThreeHostRun.PullerSetup puller = run.puller(tmp.resolve("central"), EMBEDDED_STORE);
      run.driveWithPullerKilled(puller, 3, 2_000, 3_500);
      run.assertKilledPullersSavedCursors();
      try (EmbeddedSpanStore store = EmbeddedSpanStore.open(puller.dir().resolve("store"))) {
        run.assertStored(store.reader(), "after 3 kills of the puller");
      }
      run.log("store checked");

      // (1) Host B's primary journal is lost: recover from B's replica (and A's, C's journals).
      run.losePrimaryJournal("B");
      Path recovered = tmp.resolve("recovered-store");
      try (EmbeddedSpanStore store = EmbeddedSpanStore.open(recovered)) {
        for (Path journal : List.of(run.host("A").resolve("journal/primary"),
            run.host("B").resolve("journal/replica"), run.host("C").resolve("journal/primary"))) {
          try (JournalReplay replay = JournalReplay.open(journal)) {
            Recovery.Result r = Recovery.builder(store.writer()).reader(store.reader()).build()
                .run(RecoveryJournal.source(replay), 1);
            run.log("recovered " + tmp.relativize(journal) + ": blocks=" + r.blocks() + " spans=" + r.spans()
                + " added=" + r.spansAdded() + " corrupt=" + r.corrupt());
            assertEquals(0, r.corrupt(), "corrupt blocks in " + journal);
          }
        }
        run.assertStored(store.reader(), "after cairn recover from B's replica");
      }
      run.log("recovered store checked");

      // (2) B's shipper started again serves from its replica; a fresh puller gets every trace.
      run.startShipper("B");
      run.assertServesFromReplica("B");
      ThreeHostRun.PullerSetup fresh = run.puller(tmp.resolve("central2"), EMBEDDED_STORE);
      run.pullToEnd("puller-fresh", fresh);
      try (EmbeddedSpanStore store = EmbeddedSpanStore.open(fresh.dir().resolve("store"))) {
        run.assertStored(store.reader(), "a fresh puller with B serving from its replica");
      }
      run.log("fresh puller's store checked");
      run.passed();
    }
  }
}
