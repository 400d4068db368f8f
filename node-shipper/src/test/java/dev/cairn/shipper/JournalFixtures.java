package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/** Real blocks, a manual clock and raw views of journal copies, for the journal's tests. */
final class JournalFixtures {
  private JournalFixtures() {}

  /** 2025-11-21T04:40:00Z: the middle of an hourly cycle. */
  static final long T0 = 1_763_700_000_000L;
  static final long HOUR = 3_600_000L;

  private static List<byte[]> blocks;

  /**
   * Distinct real blocks of 64 KiB of typical HTTP spans each (about 20 KiB compressed), made with
   * trace-core's encoder. Cached: encoding them is the slow part of the tests.
   */
  static synchronized List<byte[]> blocks() {
    if (blocks == null) {
      List<byte[]> made = new ArrayList<>();
      TestSpans spans = new TestSpans(42);
      BlockEncoder encoder = new BlockEncoder(64 * 1024);
      while (made.size() < 16) {
        SpanRecord s = spans.httpServerSpan();
        if (!encoder.addSpan(s)) {
          throw new IllegalStateException("could not encode " + s);
        }
        if (encoder.isFull()) {
          ByteBuffer b = encoder.finish();
          byte[] copy = new byte[b.remaining()];
          b.get(copy);
          made.add(copy);
        }
      }
      blocks = List.copyOf(made);
    }
    return blocks;
  }

  static byte[] block(long i) {
    List<byte[]> all = blocks();
    return all.get((int) (i % all.size()));
  }

  /** Records in a block, decoding it: proves the bytes are a whole, valid block. */
  static int records(ByteBuffer block) {
    byte[] bytes = new byte[block.remaining()];
    block.duplicate().get(bytes);
    try {
      return new BlockDecoder().decode(Block.wrap(0, bytes), span -> { });
    } catch (FormatException e) {
      throw new AssertionError("not a valid block: " + e.getMessage(), e);
    }
  }

  /** A clock tests move by hand. */
  static final class ManualClock implements LongSupplier {
    private final AtomicLong now;

    ManualClock(long start) {
      now = new AtomicLong(start);
    }

    @Override
    public long getAsLong() {
      return now.get();
    }

    void advance(long millis) {
      now.addAndGet(millis);
    }
  }

  static ChronicleJournal.Options options(ManualClock clock) {
    return ChronicleJournal.Options.defaults().withClock(clock);
  }

  /** One raw excerpt of a copy, as read back, and the cycle it lies in. */
  record Raw(long seq, int cycle, byte[] bytes) {}

  /** Every excerpt of the copy in {@code dir}, read with the journal's own reader (opened alone). */
  static List<Raw> dump(Path dir) throws IOException {
    JournalClock clock = new JournalClock(System::currentTimeMillis);
    List<Raw> out = new ArrayList<>();
    try (JournalCopy copy = JournalCopy.open("dump", dir, ChronicleJournal.CycleLength.HOUR.rollCycle, clock);
        JournalReader reader = new JournalReader(copy)) {
      while (reader.readNext()) {
        byte[] b = new byte[reader.length()];
        System.arraycopy(reader.buffer(), 0, b, 0, b.length);
        out.add(new Raw(reader.seq(), reader.cycle(), b));
      }
    }
    return out;
  }

  /** Asserts both copies hold the same entries, in the same cycles. */
  static void assertSameEntries(List<Raw> expected, List<Raw> actual) {
    assertEquals(expected.size(), actual.size(), "entry count");
    for (int i = 0; i < expected.size(); i++) {
      Raw e = expected.get(i);
      Raw a = actual.get(i);
      assertEquals(e.seq(), a.seq(), "seq at " + i);
      assertEquals(e.cycle(), a.cycle(), "cycle of seq " + e.seq());
      if (!java.util.Arrays.equals(e.bytes(), a.bytes())) {
        throw new AssertionError("entry " + e.seq() + " differs");
      }
    }
  }

  static List<String> cycleFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".cq4")).sorted().toList();
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
