package dev.cairn.puller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.shipper.JournalReplay;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.WriteBatch;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recovery from a journal a real shipper wrote, into a real embedded store. */
class RecoveryTest {
  static final int TRACES = 300;
  static final int FANOUT = 6;

  @TempDir static Path shared;
  static RecoveryJournal journal;

  @TempDir Path tmp;

  @BeforeAll
  static void writeJournal() throws Exception {
    journal = RecoveryJournal.write(shared, TRACES, FANOUT);
  }

  private static Recovery.Result recover(Path journalDir, EmbeddedSpanStore store, long from) throws Exception {
    try (JournalReplay replay = JournalReplay.open(journalDir)) {
      return Recovery.builder(store.writer()).reader(store.reader()).batchRecords(500)
          .build().run(RecoveryJournal.source(replay), from);
    }
  }

  private static void assertAllTracesComplete(EmbeddedSpanStore store, int spansPerTrace) throws Exception {
    for (long t = 1; t <= TRACES; t++) {
      Trace trace = store.reader().trace(new TraceId(0x1234, t)).orElseThrow(() -> new AssertionError("trace missing"));
      assertEquals(spansPerTrace, trace.spans().size(), "spans of trace " + t);
      assertEquals(1, trace.logs().size(), "logs of trace " + t);
      assertTrue(trace.summary().complete(), "trace " + t + " complete: " + trace.summary().warnings());
      assertEquals("web", trace.summary().rootService());
    }
  }

  @Test
  void replica_intoAnEmptyStore_everyTraceComplete_thenAgain_everythingAlreadyPresent() throws Exception {
    int spans = TRACES * (FANOUT + 1);
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(tmp.resolve("store"))) {
      Recovery.Result r = recover(journal.replica, store, 1);
      assertEquals(journal.blocks, r.blocks());
      assertEquals(spans, r.spans());
      assertEquals(TRACES, r.logs());
      assertEquals(TRACES, r.traces());
      assertEquals(0, r.corrupt());
      assertEquals(spans, r.spansAdded());
      assertEquals(0, r.spansAlreadyPresent());
      assertEquals(TRACES, r.logsAdded());
      assertEquals(100.0, r.percent());
      assertAllTracesComplete(store, FANOUT + 1);
      // parentService as the puller computes it: the service of the parent span
      assertTrue(store.reader().dependencies(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2).size() > 0,
          "calls between services were linked");
      System.out.printf("recovery: %d spans in %d ms = %.0f spans/s%n", r.spans(), r.millis(),
          r.spans() * 1000.0 / Math.max(1, r.millis()));

      Recovery.Result again = recover(journal.replica, store, 1);
      assertEquals(spans, again.spans());
      assertEquals(0, again.spansAdded());
      assertEquals(spans, again.spansAlreadyPresent());
      assertEquals(0, again.logsAdded());
      assertAllTracesComplete(store, FANOUT + 1);
    }
  }

  @Test
  void partialStore_onlyTheRestIsAdded() throws Exception {
    int spans = TRACES * (FANOUT + 1);
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(tmp.resolve("store"))) {
      // the first 100 traces are already stored, whole, with their parent services
      List<StoredSpan> first = new ArrayList<>();
      for (Object o : RecoveryJournal.records(100, FANOUT)) {
        if (o instanceof SpanRecord s) {
          String parentService = s.parentSpanId() == 0 ? ""
              : RecoveryJournal.SERVICES[(int) (((s.parentSpanId() % 100)) % 3)];
          first.add(new StoredSpan(s, parentService));
        }
      }
      store.writer().write(new WriteBatch(first, List.of(), List.of()));
      Recovery.Result r = recover(journal.replica, store, 1);
      assertEquals(100 * (FANOUT + 1), r.spansAlreadyPresent());
      assertEquals(spans - 100 * (FANOUT + 1), r.spansAdded());
      assertEquals(TRACES, r.logsAdded());
      assertAllTracesComplete(store, FANOUT + 1);
    }
  }

  @Test
  void damagedBlock_countedCorrupt_theRestRecovered() throws Exception {
    Path copy = tmp.resolve("replica-copy");
    Files.createDirectories(copy);
    try (var files = Files.list(journal.replica)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f)) {
          Files.copy(f, copy.resolve(f.getFileName()));
        }
      }
    }
    // flip a byte inside the payload of the 3rd block (found by its bytes in the cycle file)
    byte[] third;
    try (JournalReplay replay = JournalReplay.open(copy)) {
      replay.seek(3);
      ByteBuffer b = replay.next().block();
      third = new byte[b.remaining()];
      b.get(third);
    }
    Path cycle;
    try (var files = Files.list(copy)) {
      cycle = files.filter(p -> p.toString().endsWith(".cq4")).findFirst().orElseThrow();
    }
    byte[] all = Files.readAllBytes(cycle);
    int at = indexOf(all, third);
    assertTrue(at > 0, "block found in " + cycle);
    all[at + third.length - 10] ^= 0x5A;
    Files.write(cycle, all);

    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(tmp.resolve("store"))) {
      Recovery.Result r = recover(copy, store, 1);
      assertEquals(journal.blocks, r.blocks());
      assertEquals(1, r.corrupt());
      assertEquals(TRACES * (FANOUT + 2) - RecoveryJournal.SPANS_PER_BLOCK, r.spans() + r.logs(),
          "every record but those of the damaged block");
      assertEquals(r.spans(), r.spansAdded());
    }
  }

  @Test
  void fromSeq_startsThere() throws Exception {
    try (EmbeddedSpanStore store = EmbeddedSpanStore.open(tmp.resolve("store"))) {
      Recovery.Result r = recover(journal.replica, store, journal.blocks - 1);
      assertEquals(2, r.blocks());
      assertEquals(journal.blocks - 1, r.firstSeq());
      assertEquals(100.0, r.percent());
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
