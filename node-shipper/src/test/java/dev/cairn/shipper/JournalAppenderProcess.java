package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

/**
 * A child JVM for {@link ChronicleJournalKillIT}: opens the journal and appends real blocks as
 * fast as it can until it is killed. Block {@code seq} is {@code JournalFixtures.block(seq)} of
 * file {@link #FILE} at offset {@code seq * 100}, so the test can check every entry it finds.
 *
 * <p>Arguments: primary dir, replica dir, clock base (ms). The clock runs 3600 times faster than
 * real time from the base, so the hourly cycles roll every second and kills also land on rolls.
 */
final class JournalAppenderProcess {
  static final UUID FILE = new UUID(0x6b696c6c2d392d74L, 0x6573742d66696c65L);
  static final long SPEEDUP = 3600;

  private JournalAppenderProcess() {}

  public static void main(String[] args) {
    Path primary = Path.of(args[0]);
    Path replica = Path.of(args[1]);
    long base = Long.parseLong(args[2]);
    long started = System.nanoTime();
    ChronicleJournal.Options options = ChronicleJournal.Options.defaults()
        .withClock(() -> base + (System.nanoTime() - started) / 1_000_000 * SPEEDUP);
    JournalFixtures.blocks(); // encode before announcing readiness
    try (ChronicleJournal journal = ChronicleJournal.open(primary, replica, new ShipperMetrics(), options)) {
      System.out.println("ready " + journal.lastSeq());
      System.out.flush();
      while (true) {
        long next = journal.lastSeq() + 1;
        long seq = journal.append(FILE, next * 100, ByteBuffer.wrap(JournalFixtures.block(next)));
        if (seq != next) {
          System.out.println("error: appended seq " + seq + ", expected " + next);
          System.exit(2);
        }
        if (seq % 50 == 0) {
          System.out.println("seq " + seq);
          System.out.flush();
        }
      }
    }
  }
}
