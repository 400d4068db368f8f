package dev.cairn.shipper;

import static dev.cairn.shipper.JournalFixtures.HOUR;
import static dev.cairn.shipper.JournalFixtures.T0;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JournalReplayTest {
  @TempDir Path tmp;

  private final UUID fileId = new UUID(7, 11);

  /** Writes {@code n} blocks through the real journal, rolling hourly cycles every 10 blocks. */
  private void writeJournal(int n, ChronicleJournal.CycleLength length) {
    JournalFixtures.ManualClock clock = new JournalFixtures.ManualClock(T0);
    try (ChronicleJournal journal = ChronicleJournal.open(tmp.resolve("primary"), tmp.resolve("replica"),
        new ShipperMetrics(), JournalFixtures.options(clock).withCycleLength(length))) {
      for (int i = 0; i < n; i++) {
        if (i > 0 && i % 10 == 0) {
          clock.advance(HOUR);
        }
        journal.append(fileId, 1000L * i, ByteBuffer.wrap(JournalFixtures.block(i)));
      }
    }
  }

  @Test
  void replica_readsEveryEntry_inOrder_likeThePrimary() throws IOException {
    writeJournal(25, ChronicleJournal.CycleLength.HOUR);
    for (String copy : List.of("replica", "primary")) {
      try (JournalReplay replay = JournalReplay.open(tmp.resolve(copy))) {
        assertEquals(1, replay.firstSeq());
        assertEquals(25, replay.lastSeq());
        int i = 0;
        for (JournalReplay.Entry e; (e = replay.next()) != null; i++) {
          assertEquals(i + 1, e.seq());
          assertEquals(fileId, e.fileId());
          assertEquals(1000L * i, e.offset());
          byte[] bytes = new byte[e.block().remaining()];
          e.block().get(bytes);
          assertArrayEquals(JournalFixtures.block(i), bytes, copy + " seq " + e.seq());
        }
        assertEquals(25, i);
        assertEquals(0, replay.skippedExcerpts());
      }
    }
  }

  @Test
  void seek_startsAtTheSeqAsked_acrossCycles() throws IOException {
    writeJournal(25, ChronicleJournal.CycleLength.HOUR);
    try (JournalReplay replay = JournalReplay.open(tmp.resolve("replica"))) {
      assertEquals(17, replay.seek(17));
      assertEquals(17, replay.next().seq());
      assertEquals(26, replay.seek(99));
      assertNull(replay.next());
      assertEquals(1, replay.seek(0));
      assertEquals(1, replay.next().seq());
    }
  }

  @Test
  void cycleLength_comesFromTheQueueMetadata() throws IOException {
    writeJournal(12, ChronicleJournal.CycleLength.FIVE_MINUTES);
    try (JournalReplay replay = JournalReplay.open(tmp.resolve("replica"))) {
      int n = 0;
      while (replay.next() != null) {
        n++;
      }
      assertEquals(12, n);
    }
  }

  @Test
  void reading_changesNoByte_andNoModificationTime() throws Exception {
    writeJournal(25, ChronicleJournal.CycleLength.HOUR);
    Map<String, String> before = snapshot(tmp);
    Thread.sleep(20); // so a write, had there been one, would show in an mtime
    for (String copy : List.of("replica", "primary")) {
      try (JournalReplay replay = JournalReplay.open(tmp.resolve(copy))) {
        while (replay.next() != null) {
          // read everything
        }
        replay.seek(3);
        replay.next();
      }
    }
    assertEquals(before, snapshot(tmp));
  }

  @Test
  void open_refusesADirectoryWithoutJournal() throws IOException {
    assertThrows(IOException.class, () -> JournalReplay.open(tmp.resolve("missing")));
    Files.createDirectories(tmp.resolve("empty"));
    IOException e = assertThrows(IOException.class, () -> JournalReplay.open(tmp.resolve("empty")));
    assertTrue(e.getMessage().contains("no journal"), e.getMessage());
    assertEquals(List.of(), listing(tmp.resolve("empty")), "nothing created");
  }

  @Test
  void open_whileTheShipperHoldsTheJournal_reads() throws IOException {
    JournalFixtures.ManualClock clock = new JournalFixtures.ManualClock(T0);
    try (ChronicleJournal journal = ChronicleJournal.open(tmp.resolve("primary"), tmp.resolve("replica"),
        new ShipperMetrics(), JournalFixtures.options(clock))) {
      for (int i = 0; i < 5; i++) {
        journal.append(fileId, i, ByteBuffer.wrap(JournalFixtures.block(i)));
      }
      try (JournalReplay replay = JournalReplay.open(tmp.resolve("replica"))) {
        journal.append(fileId, 5, ByteBuffer.wrap(JournalFixtures.block(5)));
        int n = 0;
        while (replay.next() != null) {
          n++;
        }
        assertEquals(5, n, "stops at the last entry present at open");
      }
    }
  }

  /** Every file under {@code root}: size, mtime and a hash of its bytes. */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        BasicFileAttributes a = Files.readAttributes(f, BasicFileAttributes.class);
        String bytes = a.isRegularFile() ? Integer.toHexString(java.util.Arrays.hashCode(Files.readAllBytes(f))) : "dir";
        out.put(root.relativize(f).toString(), a.size() + " " + a.lastModifiedTime().toMillis() + " " + bytes);
      }
    }
    return out;
  }

  private static List<String> listing(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    }
    return names;
  }
}
