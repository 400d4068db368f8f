package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.wire.Wire;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalLedgerTest {
  private static final long T0 = 1_763_700_000_000_000L;

  @TempDir Path dir;

  /** A block of {@code spans} spans whose latest end is {@code T0 + i} seconds. */
  private static ByteBuffer block(int i, int spans) {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    for (int s = 0; s < spans; s++) {
      enc.addSpan(SpanRecord.builder().traceId(1, i * 1000L + s + 1).spanId(s + 1).service("svc").name("op")
          .startMicros(T0 + i * 1_000_000L - 500).durationMicros(500).build());
    }
    return enc.finish();
  }

  @Test
  void lag_isTheBytesAndOldestBlockTimeBeyondTheCursor_asEntriesArrive() {
    try (TestJournal journal = TestJournal.open(dir, new ShipperMetrics())) {
      JournalLedger ledger = new JournalLedger(journal);
      List<Long> sizes = new ArrayList<>();
      try (Journal.Reader r = journal.reader()) {
        assertEquals(JournalLedger.Lag.NONE, ledger.lag(r, 1), "an empty journal");
        for (int i = 1; i <= 10; i++) {
          ByteBuffer b = block(i, i * 3);
          sizes.add(Wire.entryBytes(b.remaining()));
          journal.append(UUID.randomUUID(), 0, b);
        }
        JournalLedger.Lag all = ledger.lag(r, 1);
        assertEquals(10, all.blocks());
        assertEquals(sizes.stream().mapToLong(Long::longValue).sum(), all.bytes());
        assertTrue(all.exact());
        assertEquals(T0 + 1_000_000L, all.oldestBlockMicros());

        JournalLedger.Lag rest = ledger.lag(r, 8);
        assertEquals(3, rest.blocks());
        assertEquals(sizes.get(7) + sizes.get(8) + sizes.get(9), rest.bytes());
        assertEquals(T0 + 8_000_000L, rest.oldestBlockMicros());

        journal.append(UUID.randomUUID(), 0, block(11, 1));   // read lazily at the next question
        assertEquals(4, ledger.lag(r, 8).blocks());
        assertEquals(JournalLedger.Lag.NONE, ledger.lag(r, 12), "caught up");
      }
    }
  }

  @Test
  void aCursorOlderThanTheRing_getsAnEstimate_andTheExactBlockTime() {
    try (TestJournal journal = TestJournal.open(dir, new ShipperMetrics())) {
      JournalLedger ledger = new JournalLedger(journal, 4);
      long total = 0;
      for (int i = 1; i <= 9; i++) {
        ByteBuffer b = block(i, 5);
        total += Wire.entryBytes(b.remaining());
        journal.append(UUID.randomUUID(), 0, b);
      }
      try (Journal.Reader r = journal.reader()) {
        JournalLedger.Lag lag = ledger.lag(r, 2);
        assertEquals(8, lag.blocks());
        assertFalse(lag.exact());
        assertTrue(Math.abs(lag.bytes() - (total - Wire.entryBytes(block(1, 5).remaining()))) < total / 10,
            "estimated from the ring's average: " + lag.bytes());
        assertEquals(T0 + 2_000_000L, lag.oldestBlockMicros());
        JournalLedger.Lag recent = ledger.lag(r, 7);
        assertTrue(recent.exact());
        assertEquals(3, recent.blocks());
      }
    }
  }
}
