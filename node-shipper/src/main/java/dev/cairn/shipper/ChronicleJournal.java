package dev.cairn.shipper;

import static dev.cairn.shipper.JournalCopy.ENTRY_HEADER;
import static dev.cairn.shipper.JournalCopy.MAX_BLOCK;

import dev.cairn.core.format.BlockHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongSupplier;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shipper's journal on Chronicle Queue: a primary queue and a replica queue (a second disk in
 * production) holding the same entries under the same sequence numbers. See the journal section
 * of {@code docs/shipper.md} for the design.
 *
 * <pre>{@code
 * try (ChronicleJournal journal = ChronicleJournal.open(primaryDir, replicaDir, metrics)) {
 *   long seq = journal.append(fileId, block.offset(), block.bytes());   // ingest thread only
 *   try (Journal.Reader reader = journal.reader()) {                   // any thread, its own reader
 *     reader.seek(cursor);
 *     for (JournalEntry e; (e = reader.next()) != null; ) { ... }
 *   }
 * }
 * }</pre>
 *
 * <p><b>Entries.</b> One excerpt per block, raw bytes, big-endian:
 * {@code u64 seq | u64 file ID msb | u64 file ID lsb | u64 offset | block}. Seqs start at 1 and
 * grow by one per block, for ever: a reopened journal continues after its newest entry, and
 * retention never deletes the cycle holding it, so the counter is never lost.
 *
 * <p><b>Threads.</b> {@link #append} is called by one thread, the ingest thread: it creates the
 * Chronicle appenders on its first call and they belong to it. {@link #reader()} may be called on
 * any thread; each reader is used by one thread. {@link #applyRetention}, the size and sequence
 * getters and {@link #close()} may be called from any thread; retention runs concurrently with
 * appends and reads.
 *
 * <p><b>Opening repairs.</b> The replica missing the primary's newest entries (the shipper stopped
 * between the two appends) gets them copied. A replica that is ahead of, diverges from, or has a
 * gap against the primary is reported as an error and rebuilt from the primary (its files are moved
 * to a {@code damaged-<time>} directory inside it, never deleted). A primary that is missing,
 * emptied while the replica has entries, or unreadable is rebuilt from the replica in the same way,
 * and this run serves readers from the replica ({@link #servingFrom()} = REPLICA); appends continue
 * to both. A primary directory that cannot be created or locked is left out: appends go to the
 * replica alone. Each repaired copy counts one {@code replicaRepairs}.
 *
 * <p><b>One process per journal.</b> Each directory holds a {@code journal.lock} that this class
 * locks while open; a second open of the same directories (by another shipper, or twice in this
 * process) is refused with an {@link IllegalStateException}.
 */
final class ChronicleJournal implements Journal {
  private static final Logger LOG = LogManager.getLogger(ChronicleJournal.class);

  /** How long a journal cycle (one file per copy) lasts; retention deletes whole cycles. */
  enum CycleLength {
    FIVE_MINUTES(RollCycles.FIVE_MINUTELY),
    TEN_MINUTES(RollCycles.TEN_MINUTELY),
    TWENTY_MINUTES(RollCycles.TWENTY_MINUTELY),
    HALF_HOUR(RollCycles.HALF_HOURLY),
    HOUR(RollCycles.FAST_HOURLY),
    TWO_HOURS(RollCycles.TWO_HOURLY),
    FOUR_HOURS(RollCycles.FOUR_HOURLY),
    SIX_HOURS(RollCycles.SIX_HOURLY),
    DAY(RollCycles.FAST_DAILY);

    final RollCycle rollCycle;

    CycleLength(RollCycle rollCycle) {
      this.rollCycle = rollCycle;
    }

    long millis() {
      return rollCycle.lengthInMillis();
    }
  }

  /**
   * How to open a journal.
   *
   * @param cycleLength the length of a cycle file; {@link CycleLength#HOUR} by default. It must not
   *     change for an existing journal (Chronicle names and numbers the files by it).
   * @param clockMillis the wall clock in ms since the epoch; tests move a manual clock forward to
   *     roll cycles and age them without waiting
   */
  record Options(CycleLength cycleLength, LongSupplier clockMillis) {
    Options {
      Objects.requireNonNull(cycleLength, "cycleLength");
      Objects.requireNonNull(clockMillis, "clockMillis");
    }

    static Options defaults() {
      return new Options(CycleLength.HOUR, System::currentTimeMillis);
    }

    Options withCycleLength(CycleLength length) {
      return new Options(length, clockMillis);
    }

    Options withClock(LongSupplier clock) {
      return new Options(cycleLength, clock);
    }
  }

  private final JournalClock clock;
  private final ShipperMetrics metrics;
  private final JournalCopy primary;
  private final JournalCopy replica;
  /** Written first; its last seq is the journal's. The primary unless it is unusable. */
  private final JournalCopy first;
  /** Written second, and caught up from {@link #first} when an append to it failed. */
  private final JournalCopy second;
  private final JournalCopy serving;
  private final Source servingFrom;
  private final List<JournalLock> locks;
  private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  // Owned by the appending thread.
  private final byte[] head = new byte[ENTRY_HEADER];
  private Bytes<Void> excerpt;
  private Bytes<Void> catchUpExcerpt;
  private JournalReader catchUpReader;
  private long secondNext;
  private boolean secondFailing;
  private boolean listenerFailureLogged;

  private ChronicleJournal(JournalClock clock, ShipperMetrics metrics, JournalCopy primary,
      JournalCopy replica, Source servingFrom, List<JournalLock> locks) {
    this.clock = clock;
    this.metrics = metrics;
    this.primary = primary;
    this.replica = replica;
    this.first = primary != null ? primary : replica;
    this.second = primary != null ? replica : null;
    this.servingFrom = servingFrom;
    this.serving = servingFrom == Source.PRIMARY ? primary : replica;
    this.locks = locks;
    this.secondNext = second == null ? 0 : second.lastSeq() + 1;
  }

  /** Opens (creating, repairing) the journal with {@link Options#defaults()}. */
  static ChronicleJournal open(Path primary, Path replica, ShipperMetrics metrics) {
    return open(primary, replica, metrics, Options.defaults());
  }

  /**
   * Opens the journal in {@code primary} and {@code replica}, creating the directories when
   * missing, and repairs whichever copy lacks entries the other has (see the class comment).
   *
   * @throws IllegalArgumentException when both paths name the same directory
   * @throws IllegalStateException when the journal is open elsewhere, or no copy is usable
   *     (both unreadable, or the primary unreadable and the replica empty: nothing to recover from)
   */
  static ChronicleJournal open(Path primary, Path replica, ShipperMetrics metrics, Options options) {
    Objects.requireNonNull(metrics, "metrics");
    Path p = primary.toAbsolutePath().normalize();
    Path r = replica.toAbsolutePath().normalize();
    if (p.equals(r)) {
      throw new IllegalArgumentException("the primary and the replica journal are the same directory: " + p);
    }
    JournalClock clock = new JournalClock(options.clockMillis());
    RollCycle rollCycle = options.cycleLength().rollCycle;
    Opened po = null;
    Opened ro = null;
    try {
      po = Opened.open("primary", p, rollCycle, clock);
      ro = Opened.open("replica", r, rollCycle, clock);
      return new Repair(po, ro, rollCycle, clock, metrics).run();
    } catch (RuntimeException e) {
      if (po != null) {
        po.closeQuietly();
      }
      if (ro != null) {
        ro.closeQuietly();
      }
      throw e;
    }
  }

  // ---- appending -----------------------------------------------------------------------------

  @Override
  public long append(UUID fileId, long fileOffset, ByteBuffer block) {
    return append(fileId, fileOffset, block, true);
  }

  /**
   * Tests only: appends to the first copy (the primary) and not the replica, as a shipper killed
   * between the two appends would have. The next {@link #open} repairs the replica.
   */
  long appendPrimaryOnlyForTest(UUID fileId, long fileOffset, ByteBuffer block) {
    return append(fileId, fileOffset, block, false);
  }

  /** Reused by the appending thread to copy blocks that expose no array. */
  private byte[] staging = new byte[64 * 1024];

  private long append(UUID fileId, long fileOffset, ByteBuffer block, boolean both) {
    if (closed) {
      throw new IllegalStateException("the journal is closed");
    }
    int n = block.remaining();
    if (n < BlockHeader.LENGTH || n > MAX_BLOCK) {
      throw new IllegalArgumentException("a block has " + BlockHeader.LENGTH + " to " + MAX_BLOCK
          + " bytes, not " + n + " (file " + fileId + " offset " + fileOffset + ")");
    }
    if (excerpt == null) {
      // Direct, not on-heap: Chronicle copies native memory into the mapped file with one
      // memcpy, a heap buffer 8 bytes at a time with a bounds check each (2-3x slower, measured).
      excerpt = Bytes.allocateElasticDirect(ENTRY_HEADER + Math.max(n, 64 * 1024));
    }
    long seq = first.lastSeq() + 1;
    JournalCopy.putLong(head, 0, seq);
    JournalCopy.putLong(head, 8, fileId.getMostSignificantBits());
    JournalCopy.putLong(head, 16, fileId.getLeastSignificantBits());
    JournalCopy.putLong(head, 24, fileOffset);
    excerpt.clear();
    excerpt.write(head, 0, ENTRY_HEADER);
    if (block.hasArray()) {
      excerpt.write(block.array(), block.arrayOffset() + block.position(), n);
    } else {
      // Read-only views (Block.bytes()) and direct buffers expose no array, and Chronicle's
      // writeSome refuses read-only heap buffers: copy through a reused array.
      if (staging.length < n) {
        staging = new byte[Math.max(n, staging.length * 2)];
      }
      block.duplicate().get(staging, 0, n);
      excerpt.write(staging, 0, n);
    }
    long now = clock.wallMillis();
    try {
      first.append(seq, excerpt, now);
    } catch (RuntimeException e) {
      throw new IllegalStateException("could not journal the block of file " + fileId + " at offset "
          + fileOffset + " in the " + first + ": " + e, e);
    }
    if (second != null && both) {
      appendSecond(seq, now);
    }
    for (Runnable listener : listeners) {
      try {
        listener.run();
      } catch (RuntimeException e) {
        if (!listenerFailureLogged) {
          listenerFailureLogged = true;
          LOG.warn("a journal append listener failed (logged once): {}", e.toString(), e);
        }
      }
    }
    return seq;
  }

  private void appendSecond(long seq, long now) {
    try {
      if (secondNext < seq) {
        catchUp(seq - 1);
      }
      second.append(seq, excerpt, now);
      secondNext = seq + 1;
      if (secondFailing) {
        secondFailing = false;
        LOG.info("the {} is written again; it caught up to seq {}", second, seq);
      }
    } catch (IOException | RuntimeException e) {
      if (!secondFailing) {
        secondFailing = true;
        LOG.error("could not append seq {} to the {}: {}. The {} goes on alone; the {} is caught up"
            + " when it can be written again, or at the next start", seq, second, e.toString(), first,
            second, e);
      }
    }
  }

  /** Copies the entries the second copy missed (an append to it failed) from the first copy. */
  private void catchUp(long upTo) throws IOException {
    if (catchUpReader == null) {
      catchUpReader = new JournalReader(first);
      catchUpExcerpt = Bytes.allocateElasticDirect(64 * 1024);
    }
    if (catchUpReader.seek(secondNext) != secondNext) {
      throw new IOException("the " + first + " no longer holds seq " + secondNext
          + " (retention deleted it); the " + second + " is rebuilt at the next start");
    }
    while (secondNext <= upTo) {
      if (!catchUpReader.readNext() || catchUpReader.seq() != secondNext) {
        throw new IOException("the " + first + " does not hold seq " + secondNext + " where expected");
      }
      catchUpExcerpt.clear();
      catchUpExcerpt.write(catchUpReader.buffer(), 0, catchUpReader.length());
      second.append(secondNext, catchUpExcerpt, first.cycleStartMillis(catchUpReader.cycle()));
      secondNext++;
    }
  }

  // ---- reading -------------------------------------------------------------------------------

  @Override
  public long firstSeq() {
    return serving.firstSeq();
  }

  @Override
  public long lastSeq() {
    return serving.lastSeq();
  }

  @Override
  public Reader reader() {
    if (closed) {
      throw new IllegalStateException("the journal is closed");
    }
    return new JournalReader(serving);
  }

  @Override
  public void onAppend(Runnable listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public long primaryBytes() {
    return primary == null ? 0 : primary.bytes();
  }

  @Override
  public long replicaBytes() {
    return replica == null ? 0 : replica.bytes();
  }

  @Override
  public Source servingFrom() {
    return servingFrom;
  }

  // ---- retention -----------------------------------------------------------------------------

  /**
   * Deletes the oldest cycles while they are entirely older than {@code maxAgeMillis} or the
   * journal is larger than {@code maxBytes} (a limit of 0 or less is off). Never deletes the cycle
   * of the newest entry, nor one of the current wall-clock cycle. The cycles are chosen on the
   * primary (the replica when there is no primary); the other copy then drops exactly the cycles
   * whose entries all lie before the new first seq, so both keep the same entries. Bytes are those
   * the cycles' entries occupy (cycle files are sparse). Counts {@code cyclesDeleted} and
   * {@code blocksExpired}; which of those no puller had read is for the caller to count.
   */
  @Override
  public synchronized Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
    if (closed) {
      throw new IllegalStateException("the journal is closed");
    }
    JournalCopy lead = first;
    JournalCopy other = second;
    List<JournalCopy.Cycle> cycles = lead.cycles();
    long firstBefore = lead.firstSeq();
    long now = clock.wallMillis();
    int currentCycle = lead.cycleAt(now);
    long total = 0;
    for (JournalCopy.Cycle c : cycles) {
      total += c.usedBytes;
    }
    int k = 0;
    for (; k < cycles.size() - 1; k++) {
      JournalCopy.Cycle c = cycles.get(k);
      if (c.cycle >= currentCycle) {
        break;
      }
      boolean expired = maxAgeMillis > 0 && lead.cycleStartMillis(c.cycle + 1) <= now - maxAgeMillis;
      boolean over = maxBytes > 0 && total > maxBytes;
      if (!expired && !over) {
        break;
      }
      total -= c.usedBytes;
    }
    if (k == 0) {
      return new Retention.Result(0, 0, 0, serving.firstSeq());
    }
    JournalCopy.Cycle keep = cycles.get(k);
    long freed = lead.deleteBefore(keep.cycle, keep.firstSeq);
    if (other != null) {
      dropUpTo(other, keep.firstSeq);
    }
    long blocks = keep.firstSeq - firstBefore;
    metrics.cyclesDeleted.add(k);
    metrics.blocksExpired.add(blocks);
    LOG.info("journal retention deleted {} cycle(s), {} blocks, {} bytes; the journal starts at seq {}",
        k, blocks, freed, keep.firstSeq);
    return new Retention.Result(k, blocks, freed, serving.firstSeq());
  }

  /** Deletes the cycles of {@code copy} whose entries all precede {@code boundarySeq}. */
  private static void dropUpTo(JournalCopy copy, long boundarySeq) {
    List<JournalCopy.Cycle> cycles = copy.cycles();
    int k = 0;
    while (k < cycles.size() - 1 && copy.endSeq(cycles.get(k)) <= boundarySeq) {
      k++;
    }
    if (k > 0) {
      JournalCopy.Cycle keep = cycles.get(k);
      copy.deleteBefore(keep.cycle, keep.firstSeq);
    }
  }

  // ---- closing -------------------------------------------------------------------------------

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    if (catchUpReader != null) {
      catchUpReader.close();
    }
    release(excerpt);
    release(catchUpExcerpt);
    if (primary != null) {
      primary.close();
    }
    if (replica != null) {
      replica.close();
    }
    for (JournalLock lock : locks) {
      try {
        lock.close();
      } catch (IOException e) {
        LOG.warn("releasing a journal lock: {}", e.toString());
      }
    }
  }

  /** Frees a direct buffer of the appending thread; close() may run on another thread. */
  private static void release(Bytes<?> bytes) {
    if (bytes != null) {
      try {
        bytes.singleThreadedCheckReset();
        bytes.releaseLast();
      } catch (RuntimeException e) {
        LOG.debug("releasing a journal buffer: {}", e.toString());
      }
    }
  }

  @Override
  public String toString() {
    return "ChronicleJournal{primary=" + (primary == null ? "-" : primary.dir) + ", replica="
        + (replica == null ? "-" : replica.dir) + ", serving=" + servingFrom + ", seqs="
        + firstSeq() + ".." + lastSeq() + "}";
  }

  // ---- opening and repair --------------------------------------------------------------------

  /** One copy's directory as found at open. */
  private static final class Opened {
    enum State { READY, DAMAGED, UNUSABLE }

    final String role;
    final Path dir;
    final boolean existed;
    State state;
    JournalCopy copy;
    JournalLock lock;
    String problem;

    private Opened(String role, Path dir, boolean existed) {
      this.role = role;
      this.dir = dir;
      this.existed = existed;
    }

    static Opened open(String role, Path dir, RollCycle rollCycle, JournalClock clock) {
      Opened o = new Opened(role, dir, Files.isDirectory(dir));
      try {
        Files.createDirectories(dir);
        o.lock = JournalLock.acquire(dir);
      } catch (IOException e) {
        o.state = State.UNUSABLE;
        o.problem = "the directory cannot be created or written: " + e;
        return o;
      }
      try {
        o.copy = JournalCopy.open(role, dir, rollCycle, clock);
        o.state = State.READY;
      } catch (IOException e) {
        o.state = State.DAMAGED;
        o.problem = e.getMessage();
      }
      return o;
    }

    boolean readyWithEntries() {
      return state == State.READY && !copy.isEmpty();
    }

    void closeQuietly() {
      if (copy != null) {
        copy.close();
        copy = null;
      }
      if (lock != null) {
        try {
          lock.close();
        } catch (IOException ignored) {
          // nothing more to release
        }
        lock = null;
      }
    }
  }

  /** Decides which copy to trust at open and brings the other one level with it. */
  private static final class Repair {
    private final Opened p;
    private final Opened r;
    private final RollCycle rollCycle;
    private final JournalClock clock;
    private final ShipperMetrics metrics;

    Repair(Opened p, Opened r, RollCycle rollCycle, JournalClock clock, ShipperMetrics metrics) {
      this.p = p;
      this.r = r;
      this.rollCycle = rollCycle;
      this.clock = clock;
      this.metrics = metrics;
    }

    ChronicleJournal run() {
      Source serving = Source.PRIMARY;
      if (p.state == Opened.State.READY && r.state == Opened.State.READY) {
        if (p.copy.isEmpty() && !r.copy.isEmpty()) {
          LOG.error("the primary journal {} {} while the replica {} holds seqs {}..{}: the primary was"
              + " lost. Rebuilding it from the replica; this run serves readers from the replica",
              p.dir, p.existed ? "is empty" : "is missing", r.dir, r.copy.firstSeq(), r.copy.lastSeq());
          serving = Source.REPLICA;
          rebuild(p, r);
        } else {
          reconcileReplica();
        }
      } else if (p.state == Opened.State.READY) {
        if (r.state == Opened.State.DAMAGED) {
          LOG.error("the replica journal {} is unreadable ({}); rebuilding it from the primary",
              r.dir, r.problem);
          rebuild(r, p);
        } else {
          LOG.error("the replica journal {} is not usable ({}); journaling to the primary {} alone",
              r.dir, r.problem, p.dir);
        }
      } else if (r.readyWithEntries()) {
        serving = Source.REPLICA;
        if (p.state == Opened.State.DAMAGED) {
          LOG.error("the primary journal {} is unreadable ({}); serving from the replica {} and"
              + " rebuilding the primary from it", p.dir, p.problem, r.dir);
          rebuild(p, r);
        } else {
          LOG.error("the primary journal {} is not usable ({}); serving from the replica {} and"
              + " journaling to it alone", p.dir, p.problem, r.dir);
        }
      } else if (r.state == Opened.State.READY && p.state == Opened.State.UNUSABLE) {
        serving = Source.REPLICA;
        LOG.error("the primary journal {} is not usable ({}); journaling to the replica {} alone",
            p.dir, p.problem, r.dir);
      } else {
        throw new IllegalStateException("no usable journal: the primary " + p.dir + " is "
            + describe(p) + " and the replica " + r.dir + " is " + describe(r)
            + ". Nothing to recover from; move the damaged files aside to start a new journal");
      }
      JournalCopy primary = p.state == Opened.State.READY ? p.copy : null;
      JournalCopy replica = r.state == Opened.State.READY ? r.copy : null;
      if (serving == Source.REPLICA && replica == null) {
        throw new IllegalStateException("the replica journal " + r.dir + " could not be opened");
      }
      List<JournalLock> locks = new java.util.ArrayList<>();
      if (p.lock != null) {
        locks.add(p.lock);
      }
      if (r.lock != null) {
        locks.add(r.lock);
      }
      ChronicleJournal journal = new ChronicleJournal(clock, metrics, primary, replica, serving, locks);
      LOG.info("journal open: primary {} ({}), replica {} ({}), serving from {}, seqs {}..{}",
          p.dir, summary(primary), r.dir, summary(replica), serving, journal.firstSeq(),
          journal.lastSeq());
      return journal;
    }

    private static String describe(Opened o) {
      return switch (o.state) {
        case READY -> "empty";
        case DAMAGED -> "unreadable (" + o.problem + ")";
        case UNUSABLE -> "not usable (" + o.problem + ")";
      };
    }

    private static String summary(JournalCopy c) {
      if (c == null) {
        return "not used";
      }
      return c.isEmpty() ? "empty" : "seqs " + c.firstSeq() + ".." + c.lastSeq() + ", " + c.bytes() + " bytes";
    }

    /** Both copies readable: the replica must end where the primary ends, with the same entries. */
    private void reconcileReplica() {
      JournalCopy pc = p.copy;
      JournalCopy rc = r.copy;
      long pl = pc.lastSeq();
      long rl = rc.lastSeq();
      String why = null;
      try {
        if (rl > pl) {
          why = "it is ahead of the primary (seq " + rl + " > " + pl + ")";
        } else if (rl > 0 && rl < pc.firstSeq() - 1) {
          why = "it ends at seq " + rl + ", before the primary's oldest entry " + pc.firstSeq();
        } else if (rl > 0 && rl >= pc.firstSeq()) {
          long common = Math.max(pc.firstSeq(), rc.firstSeq());
          if (!sameEntry(pc, rc, rl)) {
            why = "its entry " + rl + " differs from the primary's";
          } else if (common <= rl && !sameEntry(pc, rc, common)) {
            why = "its entry " + common + " differs from the primary's";
          }
        }
      } catch (IOException e) {
        why = "it cannot be compared with the primary: " + e.getMessage();
      }
      if (why != null) {
        LOG.error("the replica journal {} does not match the primary {}: {}. Trusting the primary:"
            + " rebuilding the replica from it", r.dir, p.dir, why);
        rebuild(r, p);
        return;
      }
      if (rl < pl) {
        long from = rl == 0 ? pc.firstSeq() : rl + 1;
        LOG.warn("the replica journal {} lacks seqs {}..{} of the primary (the shipper stopped between"
            + " the two appends, or the replica is new); copying them", r.dir, from, pl);
        try {
          long copied = copyEntries(pc, rc, from);
          metrics.replicaRepairs.increment();
          LOG.info("the replica journal {} is repaired: {} entries copied", r.dir, copied);
        } catch (IOException | RuntimeException e) {
          LOG.error("could not repair the replica journal {}: {}; journaling to the primary alone this run",
              r.dir, e.toString(), e);
          r.closeQuietly();
          r.state = Opened.State.UNUSABLE;
          r.problem = "its repair failed: " + e;
        }
      }
    }

    /**
     * Moves {@code target}'s files aside (if any), reopens it empty and copies every entry of
     * {@code source} into it. On failure the target is left out of this run.
     */
    private void rebuild(Opened target, Opened source) {
      try {
        if (target.copy != null) {
          target.copy.close();
          target.copy = null;
        }
        // A damaged copy may be damaged in its metadata alone; a readable one only needs its
        // cycle files out of the way (the metadata of an empty queue is harmless).
        boolean moveAside = target.state == Opened.State.DAMAGED
            ? JournalCopy.hasQueueFiles(target.dir, true)
            : JournalCopy.hasQueueFiles(target.dir, false);
        if (moveAside) {
          Path moved = JournalCopy.quarantine(target.dir, clock.wallMillis());
          LOG.warn("moved the {} journal's files to {}", target.role, moved);
        }
        target.copy = JournalCopy.open(target.role, target.dir, rollCycle, clock);
        target.state = Opened.State.READY;
        long started = System.nanoTime();
        long copied = copyEntries(source.copy, target.copy, source.copy.firstSeq());
        metrics.replicaRepairs.increment();
        LOG.info("rebuilt the {} journal {} from the {}: {} entries in {} ms", target.role,
            target.dir, source.role, copied, (System.nanoTime() - started) / 1_000_000);
      } catch (IOException | RuntimeException e) {
        LOG.error("could not rebuild the {} journal {} from the {}: {}; it is left out this run",
            target.role, target.dir, source.role, e.toString(), e);
        target.closeQuietly();
        target.state = Opened.State.UNUSABLE;
        target.problem = "its rebuild failed: " + e;
      }
    }

    /** Copies the entries of {@code from} with seq >= {@code fromSeq} to the end of {@code to}. */
    private static long copyEntries(JournalCopy from, JournalCopy to, long fromSeq) throws IOException {
      Bytes<Void> buf = Bytes.allocateElasticDirect(64 * 1024);
      try (JournalReader reader = new JournalReader(from)) {
        long next = reader.seek(fromSeq);
        if (next != fromSeq) {
          throw new IOException("the " + from + " does not hold seq " + fromSeq);
        }
        long copied = 0;
        while (reader.readNext()) {
          if (reader.seq() != next) {
            throw new IOException("the " + from + " holds seq " + reader.seq() + " where " + next
                + " was expected");
          }
          buf.clear();
          buf.write(reader.buffer(), 0, reader.length());
          // Filed under the source entry's cycle, so both copies keep the same layout.
          to.append(next, buf, from.cycleStartMillis(reader.cycle()));
          next++;
          copied++;
        }
        return copied;
      } finally {
        buf.releaseLast();
      }
    }

    private static boolean sameEntry(JournalCopy a, JournalCopy b, long seq) throws IOException {
      try (JournalReader ra = new JournalReader(a); JournalReader rb = new JournalReader(b)) {
        if (ra.seek(seq) != seq || rb.seek(seq) != seq || !ra.readNext() || !rb.readNext()) {
          throw new IOException("seq " + seq + " cannot be read from both copies");
        }
        return Arrays.equals(ra.buffer(), 0, ra.length(), rb.buffer(), 0, rb.length());
      }
    }
  }
}
