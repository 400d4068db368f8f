package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writing process killed with SIGKILL, five times: after each kill the store opens, every
 * acknowledged batch is there, no batch is there in part, and the counters match the stored spans
 * exactly (none counted twice, none lost). While the writer runs, a second process cannot open
 * the directory.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class EmbeddedSpanStoreKillIT {
  @TempDir Path tmp;

  @Test
  void sigkillDuringWrites_neverLosesAnAcknowledgedBatchNorCountsTwice() throws Exception {
    Path dir = tmp.resolve("store");
    Random random = new Random(7);
    int next = 0;
    int lastAcked = -1;
    for (int round = 0; round < 5; round++) {
      Process child = start(dir, next);
      BufferedReader out = new BufferedReader(
          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
      assertEquals("open", out.readLine(), "child opened the store (see child.err)");
      StoreException locked = assertThrows(StoreException.class, () -> EmbeddedSpanStore.open(dir));
      assertTrue(locked.getMessage().contains("in use"), locked.getMessage());
      int acks = 20 + random.nextInt(200);
      for (int k = 0; k < acks; k++) {
        String line = out.readLine();
        assertTrue(line != null && line.startsWith("acked "), "child said: " + line);
        lastAcked = Integer.parseInt(line.substring(6));
      }
      child.destroyForcibly(); // SIGKILL, mid-write most of the time
      assertTrue(child.waitFor(30, TimeUnit.SECONDS));
      next = lastAcked + 1;

      try (EmbeddedSpanStore store = EmbeddedSpanStore.open(dir)) {
        // the child writes one trace after the other, and may have gone on well past the last
        // acknowledgement read here: what is stored is every trace up to some point, none after
        int present = 0;
        for (Optional<Trace> t = store.reader().trace(EmbeddedStoreKillChild.traceId(0));
            t.isPresent(); t = store.reader().trace(EmbeddedStoreKillChild.traceId(++present))) {
          assertEquals(EmbeddedStoreKillChild.SPANS, t.get().spans().size(), "trace " + present);
          assertEquals(EmbeddedStoreKillChild.SPANS, t.get().summary().spanCount());
          assertTrue(t.get().summary().complete());
        }
        assertTrue(present > lastAcked, "acknowledged trace " + present + " lost in round " + round
            + " (acknowledged up to " + lastAcked + ")");
        for (int i = present; i < present + 50; i++) {
          assertTrue(store.reader().trace(EmbeddedStoreKillChild.traceId(i)).isEmpty(),
              "trace " + i + " stored after a gap at " + present);
        }
        long from = EmbeddedStoreKillChild.T0;
        long to = from + 3_600_000_000L;
        long web = store.reader().aggregates("web", "", from, to).stream()
            .mapToLong(MinuteAggregate::count).sum();
        long cart = store.reader().aggregates("cart", "", from, to).stream()
            .mapToLong(MinuteAggregate::count).sum();
        assertEquals(present, web, "round " + round);
        assertEquals(present * (EmbeddedStoreKillChild.SPANS - 1L), cart, "round " + round);
        assertEquals(List.of(new DependencyLink("web", "cart",
            present * (EmbeddedStoreKillChild.SPANS - 1L), 0)),
            store.reader().dependencies(to, to - from));
        assertEquals(Math.min(present, TraceQuery.MAX_LIMIT), store.reader().findTraces(
            TraceQuery.builder().limit(TraceQuery.MAX_LIMIT).build()).size());
      }
    }
  }

  private Process start(Path dir, int first) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(EmbeddedStoreKillChild.class.getName());
    cmd.add(dir.toString());
    cmd.add(Integer.toString(first));
    return new ProcessBuilder(cmd).redirectError(tmp.resolve("child.err").toFile()).start();
  }
}
