package dev.cairn.shipper;

import dev.cairn.core.format.BlockHeader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListMap;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import net.openhft.chronicle.wire.WriteAfterEOFException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * One copy of the journal (the primary or the replica): a Chronicle Queue directory plus what
 * {@link ChronicleJournal} needs to address its entries by sequence number without ever showing a
 * Chronicle index to anyone else.
 *
 * <p><b>Sequence numbers to indexes.</b> A Chronicle index is {@code cycle << shift | n}, where n
 * counts the data excerpts of that cycle from 0 and grows by exactly one per excerpt (metadata,
 * such as the index blocks and the end-of-file marker, never takes a number). Every excerpt of a
 * journal is one of our entries, written in seq order, so inside one cycle
 * {@code index = firstIndex + (seq - firstSeq)}. A copy keeps one {@link Segment} per cycle (seq of
 * its first entry, index of its first entry), found at open by reading the first excerpt of each
 * cycle and extended by the appending thread when a write lands in a new cycle. Should the
 * arithmetic ever stop holding inside a cycle (it cannot with Chronicle as it is, but a reader
 * would then serve wrong entries), the appending thread starts a new segment there and logs it.
 *
 * <p><b>Threads.</b> The appender is created by, and used only by, the thread that appends
 * (Chronicle appenders belong to their thread); {@link #close()} may run on another thread after
 * that one stopped. The segment and cycle maps are concurrent: readers on other threads look
 * segments up while the appending thread adds them and retention removes them. {@link #lastSeq()}
 * is published after the segment of that entry, so a reader that sees a seq finds its segment.
 */
final class JournalCopy implements Closeable {
  private static final Logger LOG = LogManager.getLogger(ChronicleJournal.class);

  /** {@code u64 seq | u64 file ID msb | u64 file ID lsb | u64 offset}, then the block. */
  static final int ENTRY_HEADER = 32;
  /** Largest block the block format lets a reader accept (payload limit plus the largest header). */
  static final int MAX_BLOCK = BlockHeader.MAX_PAYLOAD + 4096;
  /**
   * Chronicle refuses an excerpt larger than a quarter of its block size (64 MiB by default, so
   * 16 MiB: less than the largest block). 128 MiB leaves room for any block. The cycle files are
   * sparse: their length on disk is rounded up to this, their blocks are what was written.
   */
  static final long CHRONICLE_BLOCK_SIZE = 128L << 20;
  static final String QUARANTINE_PREFIX = "damaged-";

  final String role;
  final Path dir;
  private final RollCycle rollCycle;
  private final JournalClock clock;
  private final SingleChronicleQueue queue;
  private final DateTimeFormatter fileNames;

  /** Runs of contiguous indexes, by the seq of their first entry. */
  private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
  /** Cycles holding entries, by cycle number. */
  private final ConcurrentSkipListMap<Integer, Cycle> cycles = new ConcurrentSkipListMap<>();
  private volatile long firstSeq = 1;
  private volatile long lastSeq;

  // Owned by the appending thread.
  private ExcerptAppender appender;
  /** The thread that created {@link #appender}: Chronicle lets no other thread write through it. */
  private Thread appenderThread;
  private Segment current;
  private boolean contiguityLogged;

  /** Where a run of contiguous Chronicle indexes starts. */
  record Segment(int cycle, long firstSeq, long firstIndex) {}

  /** One cycle file that holds entries. */
  static final class Cycle {
    final int cycle;
    final long firstSeq;
    /** Offset just past the cycle's last excerpt: the bytes it occupies (the file is sparse). */
    volatile long usedBytes;

    Cycle(int cycle, long firstSeq, long usedBytes) {
      this.cycle = cycle;
      this.firstSeq = firstSeq;
      this.usedBytes = usedBytes;
    }
  }

  private JournalCopy(String role, Path dir, RollCycle rollCycle, JournalClock clock, boolean readOnly) {
    this.role = role;
    this.dir = dir;
    this.clock = clock;
    SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(dir)
        .rollCycle(rollCycle)
        .blockSize(CHRONICLE_BLOCK_SIZE)
        .timeProvider(clock);
    this.queue = readOnly ? builder.readOnly(true).build() : builder.build();
    // A read-only reader does not know the journal's cycle length: the queue's metadata does.
    this.rollCycle = readOnly ? queue.rollCycle() : rollCycle;
    this.fileNames = DateTimeFormatter.ofPattern(this.rollCycle.format()).withZone(ZoneOffset.UTC);
  }

  /**
   * Opens the queue in {@code dir} (which must exist) and reads the first and last entry of each
   * cycle. Throws {@link IOException} when the queue cannot be opened or its entries do not form
   * one contiguous run of sequence numbers: the copy is damaged.
   */
  static JournalCopy open(String role, Path dir, RollCycle rollCycle, JournalClock clock)
      throws IOException {
    return open(role, dir, rollCycle, clock, false);
  }

  /**
   * Opens an existing queue in {@code dir} read-only (Chronicle maps its files read-only, so
   * nothing in the directory changes): no appends, no repair, no retention, no lock. The cycle
   * length is the one the queue's metadata records. For {@link JournalReplay}.
   */
  static JournalCopy openReadOnly(String role, Path dir, JournalClock clock) throws IOException {
    return open(role, dir, ChronicleJournal.CycleLength.HOUR.rollCycle, clock, true);
  }

  private static JournalCopy open(String role, Path dir, RollCycle rollCycle, JournalClock clock,
      boolean readOnly) throws IOException {
    JournalCopy copy;
    try {
      copy = new JournalCopy(role, dir, rollCycle, clock, readOnly);
    } catch (RuntimeException e) {
      throw new IOException("the " + role + " journal in " + dir + " cannot be opened: " + e, e);
    }
    try {
      copy.scan();
      return copy;
    } catch (IOException | RuntimeException e) {
      copy.close();
      throw e instanceof IOException io ? io
          : new IOException("the " + role + " journal in " + dir + " cannot be read: " + e, e);
    }
  }

  private void scan() throws IOException {
    queue.refreshDirectoryListing();
    int firstCycle = queue.firstCycle();
    int lastCycle = queue.lastCycle();
    if (firstCycle > lastCycle) {
      return;
    }
    NavigableSet<Long> listed = queue.listCyclesBetween(firstCycle, lastCycle);
    byte[] head = new byte[ENTRY_HEADER];
    Cycle previous = null;
    long previousCount = 0;
    try (ExcerptTailer tailer = queue.createTailer()) {
      for (long c : listed) {
        int cycle = (int) c;
        long count = tailer.excerptsInCycle(cycle);
        if (count <= 0) {
          continue; // a cycle file without entries (created at a roll, nothing written yet)
        }
        long firstIndex = rollCycle.toIndex(cycle, 0);
        long seq = readSeq(tailer, firstIndex, head, null);
        if (previous != null && seq != previous.firstSeq + previousCount) {
          throw new IOException("the " + role + " journal in " + dir + " is not contiguous: cycle "
              + fileName(cycle) + " starts at seq " + seq + ", expected "
              + (previous.firstSeq + previousCount));
        }
        long[] end = new long[1];
        long lastInCycle = readSeq(tailer, firstIndex + count - 1, head, end);
        if (lastInCycle != seq + count - 1) {
          throw new IOException("the " + role + " journal in " + dir + " is not contiguous inside "
              + fileName(cycle) + ": " + count + " entries from seq " + seq + " end at seq "
              + lastInCycle);
        }
        Cycle info = new Cycle(cycle, seq, end[0]);
        cycles.put(cycle, info);
        segments.put(seq, new Segment(cycle, seq, firstIndex));
        previous = info;
        previousCount = count;
      }
    }
    if (previous != null) {
      firstSeq = cycles.firstEntry().getValue().firstSeq;
      lastSeq = previous.firstSeq + previousCount - 1;
      current = segments.lastEntry().getValue();
    }
  }

  /** Reads the seq of the entry at {@code index}; {@code end[0]} receives the offset past it. */
  private long readSeq(ExcerptTailer tailer, long index, byte[] head, long[] end) throws IOException {
    if (!tailer.moveToIndex(index)) {
      throw new IOException("the " + role + " journal in " + dir + " has no excerpt at index 0x"
          + Long.toHexString(index) + " although Chronicle counts one there");
    }
    try (DocumentContext dc = tailer.readingDocument()) {
      if (!dc.isPresent()) {
        throw new IOException("the " + role + " journal in " + dir + ": excerpt 0x"
            + Long.toHexString(index) + " cannot be read");
      }
      Bytes<?> in = dc.wire().bytes();
      long length = in.readRemaining();
      if (length < ENTRY_HEADER + BlockHeader.LENGTH) {
        throw new IOException("the " + role + " journal in " + dir + ": excerpt 0x"
            + Long.toHexString(index) + " has " + length + " bytes, too short for a journal entry");
      }
      in.read(head, 0, ENTRY_HEADER);
      if (end != null) {
        end[0] = in.readLimit();
      }
      return getLong(head, 0);
    }
  }

  // ---- reading ----------------------------------------------------------------------------

  long firstSeq() {
    return firstSeq;
  }

  long lastSeq() {
    return lastSeq;
  }

  boolean isEmpty() {
    return lastSeq == 0;
  }

  RollCycle rollCycle() {
    return rollCycle;
  }

  /** The Chronicle index of {@code seq}, or -1 when no segment holds it (deleted, or not yet written). */
  long indexOf(long seq) {
    Map.Entry<Long, Segment> e = segments.floorEntry(seq);
    if (e == null) {
      return -1;
    }
    Segment s = e.getValue();
    return s.firstIndex + (seq - s.firstSeq);
  }

  ExcerptTailer createTailer() {
    return queue.createTailer();
  }

  /** Bytes occupied by the cycles that hold entries (what written blocks take on disk). */
  long bytes() {
    long sum = 0;
    for (Cycle c : cycles.values()) {
      sum += c.usedBytes;
    }
    return sum;
  }

  /** The cycles holding entries, oldest first. */
  List<Cycle> cycles() {
    return new ArrayList<>(cycles.values());
  }

  long cycleStartMillis(int cycle) {
    return (long) cycle * rollCycle.lengthInMillis();
  }

  int cycleOf(long index) {
    return rollCycle.toCycle(index);
  }

  int cycleAt(long millis) {
    return (int) Math.floorDiv(millis, (long) rollCycle.lengthInMillis());
  }

  String fileName(int cycle) {
    return fileNames.format(Instant.ofEpochMilli(cycleStartMillis(cycle))) + SingleChronicleQueue.SUFFIX;
  }

  // ---- appending (the appending thread only) ----------------------------------------------

  /**
   * Appends one whole excerpt (entry header and block) under {@code seq}, filed in the cycle of
   * {@code millis} (or the newest cycle, if that is later: Chronicle cannot append to a cycle
   * before its newest one).
   */
  void append(long seq, BytesStore<?, ?> excerpt, long millis) {
    Thread me = Thread.currentThread();
    if (appender != null && appenderThread != me) {
      // A repair at open appends on the opening thread; then the ingest thread takes over. An
      // appender belongs to the thread that created it (Chronicle refuses any other), so the new
      // appending thread gets one of its own.
      closeAppender();
    }
    if (appender == null) {
      appender = queue.createAppender();
      appenderThread = me;
    }
    Segment cur = current;
    long at = cur == null ? millis : Math.max(millis, cycleStartMillis(cur.cycle));
    clock.pin(at);
    try {
      appender.writeBytes(excerpt);
    } catch (WriteAfterEOFException e) {
      // The newest cycle was sealed (an end-of-file marker written by an earlier roll): only a
      // later cycle can take the entry.
      LOG.warn("{} journal {}: cycle {} is sealed; writing seq {} into the current cycle",
          role, dir, cur == null ? "?" : fileName(cur.cycle), seq);
      clock.pin(Math.max(clock.wallMillis(), at + rollCycle.lengthInMillis()));
      appender.writeBytes(excerpt);
    } finally {
      clock.unpin();
    }
    long index = appender.lastIndexAppended();
    int cycle = rollCycle.toCycle(index);
    long used = appender.wire().bytes().writePosition();
    if (cur == null || cycle != cur.cycle) {
      Segment s = new Segment(cycle, seq, index);
      segments.put(seq, s);
      cycles.put(cycle, new Cycle(cycle, seq, used));
      current = s;
    } else {
      if (index != cur.firstIndex + (seq - cur.firstSeq)) {
        if (!contiguityLogged) {
          contiguityLogged = true;
          LOG.error("{} journal {}: seq {} landed at index 0x{}, not 0x{}: Chronicle's indexes are not"
              + " contiguous in cycle {}; addressing the rest of the cycle from here", role, dir, seq,
              Long.toHexString(index), Long.toHexString(cur.firstIndex + (seq - cur.firstSeq)),
              fileName(cycle));
        }
        Segment s = new Segment(cycle, seq, index);
        segments.put(seq, s);
        current = s;
      }
      Cycle c = cycles.get(cycle);
      if (c != null) {
        c.usedBytes = used;
      }
    }
    if (lastSeq == 0) {
      firstSeq = seq; // an empty copy starts where it is filled from (a rebuild after retention)
    }
    lastSeq = seq;
  }

  // ---- retention ---------------------------------------------------------------------------

  /**
   * Forgets every entry before {@code boundarySeq}, which must be the first seq of a cycle of this
   * copy or lie past the cycles it drops, and deletes the files of the cycles before that one
   * (empty ones included). Returns the bytes of the deleted cycles that held entries. The caller
   * never passes a boundary inside the newest cycle.
   */
  long deleteBefore(int boundaryCycle, long boundarySeq) {
    firstSeq = Math.max(firstSeq, boundarySeq);
    long freed = 0;
    for (Cycle c : new ArrayList<>(cycles.headMap(boundaryCycle).values())) {
      freed += c.usedBytes;
    }
    // Readers look segments up after reading firstSeq; those that raced get moveToIndex = false
    // on a vanished file and look again.
    cycles.headMap(boundaryCycle).clear();
    segments.headMap(boundarySeq).values().removeIf(s -> s.cycle < boundaryCycle);
    queue.refreshDirectoryListing();
    int first = queue.firstCycle();
    if (first <= boundaryCycle - 1 && first <= queue.lastCycle()) {
      for (long c : queue.listCyclesBetween(first, boundaryCycle - 1)) {
        deleteFile((int) c);
      }
    }
    queue.refreshDirectoryListing();
    return freed;
  }

  private void deleteFile(int cycle) {
    Path file = dir.resolve(fileName(cycle));
    try {
      // On Linux a file still mapped by a tailer can be unlinked: the tailer keeps its mapping
      // and the blocks are freed when it moves on. Chronicle's directory listing caches the
      // cycles, hence refreshDirectoryListing() after deleting.
      if (!Files.deleteIfExists(file)) {
        LOG.warn("{} journal {}: retention expected {} but it is not there", role, dir, file);
      }
    } catch (IOException e) {
      LOG.warn("{} journal {}: retention could not delete {}: {}", role, dir, file, e.toString());
    }
  }

  /** The cycle holding {@code seq}, or null. */
  Cycle cycleOfSeq(long seq) {
    Map.Entry<Long, Segment> e = segments.floorEntry(seq);
    return e == null ? null : cycles.get(e.getValue().cycle);
  }

  /** The seq after the last entry of cycle {@code c}: the next cycle's first seq, or lastSeq + 1. */
  long endSeq(Cycle c) {
    Map.Entry<Integer, Cycle> next = cycles.higherEntry(c.cycle);
    return next == null ? lastSeq + 1 : next.getValue().firstSeq;
  }

  // ---- files -------------------------------------------------------------------------------

  @Override
  public void close() {
    closeAppender();
    queue.close();
  }

  private void closeAppender() {
    try {
      if (appender != null) {
        appender.close();
      }
    } catch (RuntimeException e) {
      LOG.warn("{} journal {}: closing the appender: {}", role, dir, e.toString());
    }
    appender = null;
    appenderThread = null;
  }

  /** True when {@code dir} holds cycle files (and, with {@code orMetadata}, queue metadata). */
  static boolean hasQueueFiles(Path dir, boolean orMetadata) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir,
        p -> isQueueFile(p) && (orMetadata || p.getFileName().toString().endsWith(SingleChronicleQueue.SUFFIX)))) {
      return files.iterator().hasNext();
    }
  }

  /**
   * Moves the queue's files (cycles and metadata) into a new {@code damaged-<time>} directory
   * inside {@code dir}, so a fresh queue can start there and nothing is deleted. Works when
   * {@code dir} is a mount point, unlike renaming {@code dir} itself.
   */
  static Path quarantine(Path dir, long nowMillis) throws IOException {
    String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC)
        .format(Instant.ofEpochMilli(nowMillis));
    Path target = dir.resolve(QUARANTINE_PREFIX + stamp);
    for (int i = 1; Files.exists(target); i++) {
      target = dir.resolve(QUARANTINE_PREFIX + stamp + "-" + i);
    }
    Files.createDirectory(target);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, JournalCopy::isQueueFile)) {
      for (Path f : files) {
        Files.move(f, target.resolve(f.getFileName()));
      }
    }
    return target;
  }

  private static boolean isQueueFile(Path p) {
    String name = p.getFileName().toString();
    return Files.isRegularFile(p) && (name.endsWith(SingleChronicleQueue.SUFFIX) || name.endsWith(".cq4t"));
  }

  static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xFF);
    }
    return v;
  }

  static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  @Override
  public String toString() {
    return role + " journal " + dir;
  }
}
