package dev.cairn.shipper;

import static dev.cairn.shipper.JournalFixtures.HOUR;
import static dev.cairn.shipper.JournalFixtures.T0;
import static dev.cairn.shipper.JournalFixtures.assertSameEntries;
import static dev.cairn.shipper.JournalFixtures.block;
import static dev.cairn.shipper.JournalFixtures.dump;
import static dev.cairn.shipper.JournalFixtures.records;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a JVM appending to the journal, several times over: every reopen finds a contiguous
 * run of seqs, every entry a whole valid block, and the replica identical to the primary.
 */
class ChronicleJournalKillIT {
  private static final int ROUNDS = 5;

  @TempDir Path tmp;

  @Test
  void killDuringAppends_reopenFindsContiguousWholeEntries_andReplicaEqualsPrimary() throws Exception {
    Path primary = tmp.resolve("primary");
    Path replica = tmp.resolve("replica");
    Random random = new Random(7);
    long last = 0;
    int repairs = 0;
    for (int round = 0; round < ROUNDS; round++) {
      Path stderr = tmp.resolve("child-" + round + ".err");
      Process child = start(primary, replica, T0 + round * 100 * HOUR, stderr);
      try {
        BlockingQueue<String> lines = lines(child);
        String ready = lines.poll(60, TimeUnit.SECONDS);
        assertTrue(ready != null && ready.startsWith("ready "), "child ready: " + ready + diagnostics(stderr));
        assertEquals(last, Long.parseLong(ready.substring(6)), "the child resumes after the last seq");
        if (round == 0) {
          IllegalStateException e = assertThrows(IllegalStateException.class,
              () -> ChronicleJournal.open(primary, replica, new ShipperMetrics()));
          assertTrue(e.getMessage().contains("another process"), e.getMessage());
        }
        long target = last + 300 + random.nextInt(300);
        long seen = last;
        while (seen < target) {
          String line = lines.poll(60, TimeUnit.SECONDS);
          assertTrue(line != null && line.startsWith("seq "), "child progress: " + line + diagnostics(stderr));
          seen = Long.parseLong(line.substring(4));
        }
        Thread.sleep(random.nextInt(50));
      } finally {
        child.destroyForcibly();
        assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child killed");
      }
      ShipperMetrics metrics = new ShipperMetrics();
      long opening = System.nanoTime();
      try (ChronicleJournal journal = ChronicleJournal.open(primary, replica, metrics)) {
        System.out.printf("round %d: reopened in %d ms, seqs %d..%d, %d repair(s)%n", round,
            (System.nanoTime() - opening) / 1_000_000, journal.firstSeq(), journal.lastSeq(),
            metrics.replicaRepairs.sum());
        assertEquals(Journal.Source.PRIMARY, journal.servingFrom());
        assertEquals(1, journal.firstSeq());
        assertTrue(journal.lastSeq() > last, "progress in round " + round);
        last = journal.lastSeq();
        repairs += (int) metrics.replicaRepairs.sum();
        try (Journal.Reader reader = journal.reader()) {
          long expected = 1;
          for (JournalEntry e; (e = reader.next()) != null; expected++) {
            assertEquals(expected, e.seq(), "contiguous seqs");
            assertEquals(JournalAppenderProcess.FILE, e.fileId());
            assertEquals(expected * 100, e.offset());
            byte[] bytes = new byte[e.block().remaining()];
            e.block().duplicate().get(bytes);
            assertArrayEquals(block(expected), bytes, "block of seq " + expected);
            records(e.block());
          }
          assertEquals(last + 1, expected, "every entry up to lastSeq is readable");
        }
      }
      List<JournalFixtures.Raw> p = dump(primary);
      assertEquals(last, p.size());
      assertSameEntries(p, dump(replica));
    }
    System.out.printf("kill -9 x%d: %d entries journaled, replica repaired on %d reopen(s)%n",
        ROUNDS, last, repairs);
  }

  private static Process start(Path primary, Path replica, long clockBase, Path stderr) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.startsWith("-agentlib:jdwp")) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(JournalAppenderProcess.class.getName());
    cmd.add(primary.toString());
    cmd.add(replica.toString());
    cmd.add(Long.toString(clockBase));
    return new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
  }

  private static BlockingQueue<String> lines(Process child) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(
          new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        lines.add("stdout failed: " + e);
      }
    }, "child-stdout");
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  private static String diagnostics(Path stderr) {
    try {
      return "\nchild stderr:\n" + Files.readString(stderr);
    } catch (IOException e) {
      return "\n(no child stderr: " + e + ")";
    }
  }
}
