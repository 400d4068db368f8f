package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.shipper.IndexWorkload.Trace;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The index fed from the real journal, as the shipper feeds it after a restart. */
class TraceIndexJournalTest {
  private static final IndexWorkload WORK = IndexWorkload.generate(17, 200, 20);

  @TempDir Path dir;

  private static void feedFromJournal(Journal journal, TraceIndex index) {
    try (Journal.Reader reader = journal.reader()) {
      reader.seek(index.durableSeq() + 1);
      for (JournalEntry e; (e = reader.next()) != null; ) {
        index.add(e.seq(), e.block());
      }
    }
  }

  @Test
  void indexFedFromTheJournal_findsEveryBlockOfEveryTrace_andTheJournalEntriesHoldTheTrace() throws Exception {
    try (ChronicleJournal journal = ChronicleJournal.open(dir.resolve("primary"), dir.resolve("replica"),
        new ShipperMetrics())) {
      UUID file = UUID.randomUUID();
      long offset = 100;
      for (long seq = 1; seq <= WORK.lastSeq(); seq++) {
        assertEquals(seq, journal.append(file, offset, WORK.block(seq)));
        offset += WORK.block(seq).remaining();
      }
      // First life: indexes 120 blocks, killed (not closed) after sealing some of them.
      SegmentedTraceIndex first = SegmentedTraceIndex.builder(dir.resolve("index")).segmentEntries(400).open();
      try (Journal.Reader reader = journal.reader()) {
        reader.seek(1);
        for (JournalEntry e; (e = reader.next()) != null && e.seq() <= 120; ) {
          first.add(e.seq(), e.block());
        }
      }
      first.awaitSeals();
      long durable = first.durableSeq();
      assertTrue(durable > 0 && durable < 120, "durable " + durable);

      try (SegmentedTraceIndex index = SegmentedTraceIndex.builder(dir.resolve("index")).segmentEntries(400).open()) {
        assertEquals(durable, index.durableSeq());
        feedFromJournal(journal, index);
        BlockTraceIds ids = new BlockTraceIds();
        try (Journal.Reader reader = journal.reader()) {
          for (Map.Entry<Trace, TreeSet<Long>> e : WORK.seqsByTrace.entrySet()) {
            Trace t = e.getKey();
            long[] found = index.find(t.high(), t.low());
            assertArrayEquals(IndexWorkload.expected(e.getValue(), 1, WORK.lastSeq()), found);
            for (long seq : found) {
              reader.seek(seq);
              JournalEntry entry = reader.next();
              assertEquals(seq, entry.seq());
              int n = ids.read(entry.block());
              boolean holds = false;
              for (int i = 0; i < n; i++) {
                holds |= ids.high(i) == t.high() && ids.low(i) == t.low();
              }
              assertTrue(holds, "journal block " + seq + " holds " + t);
            }
          }
        }
      }
    }
  }
}
