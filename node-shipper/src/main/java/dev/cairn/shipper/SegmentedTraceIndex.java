package dev.cairn.shipper;

import dev.cairn.core.format.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shipper's trace index: which journal blocks hold a trace, for every block still retained.
 * Design and figures: docs/shipper-index.md.
 *
 * <p>Each block's distinct trace IDs ({@link BlockTraceIds}) become entries (key, seq), where the
 * key is a 64-bit mix of the 128-bit trace ID ({@link #key}). Recent entries live in a
 * {@link MutableSegment} on the heap; when it holds {@code segmentEntries} entries, or is older
 * than {@code sealAfter}, it is frozen and a background thread writes it as an immutable sorted
 * {@link SealedSegment} file ({@code seg-<firstSeq>-<lastSeq>.idx}). A lookup probes every sealed
 * segment (one positional read of one bucket each), then the in-memory ones.
 *
 * <p><b>Durability.</b> Only sealed segments survive a restart. {@link #durableSeq()} is the end
 * of the contiguous run of sealed segments; after a restart the shipper feeds the journal's blocks
 * after it to {@link #add} again, which rebuilds the in-memory segment (the journal is the
 * write-ahead log). A segment file that is unreadable or fails its checks is logged, renamed to
 * {@code *.corrupt} and left out; {@code durableSeq()} then stops before it, so its blocks are
 * indexed again from the journal, while blocks of valid segments after it are skipped when fed.
 *
 * <p><b>Threads.</b> One thread (the ingest thread) calls {@link #add}; any thread may call
 * {@link #find}, {@link #retainFrom} and {@link #durableSeq()}; {@link #close()} comes after the
 * last {@code add}. {@code find} takes no lock. It first reads the volatile {@code addedSeq} that
 * every {@code add} writes last, so everything written by the adds that completed before is
 * visible to it, and it ignores in-memory entries above that sequence number: a find sees every
 * block whose {@code add} returned before it began, and each block whole or not at all. The set
 * of segments is an immutable {@code View} swapped through a volatile field; a find works on the
 * view it read, whose segments stay readable even when retention deletes their files.
 *
 * <pre>{@code
 * try (SegmentedTraceIndex index = SegmentedTraceIndex.builder(dir.resolve("index")).open()) {
 *   for (JournalEntry e : entriesAfter(index.durableSeq())) { index.add(e.seq(), e.block()); }
 *   long[] seqs = index.find(traceIdHigh, traceIdLow);
 * }
 * }</pre>
 */
final class SegmentedTraceIndex implements TraceIndex {
  private static final Logger log = LogManager.getLogger(SegmentedTraceIndex.class);

  /** About 64 MB of heap for the in-memory segment when full; ~20 minutes of a busy host. */
  static final int DEFAULT_SEGMENT_ENTRIES = 1 << 22;
  static final int MAX_SEGMENT_ENTRIES = 1 << 26;
  static final Duration DEFAULT_SEAL_AFTER = Duration.ofMinutes(15);
  /** Frozen segments kept in memory while they wait to be written; beyond this the oldest is dropped. */
  static final int MAX_PENDING = 2;
  static final String CORRUPT = ".corrupt";
  private static final long CLOSE_WAIT_SECONDS = 60;
  private static final long PENDING_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Path dir;
  private final int segmentEntries;
  private final long sealAfterMillis;
  private final LongSupplier clock;
  private final ExecutorService sealer;
  private final Object lock = new Object();

  // Published state: written under lock (or by the ingest thread for addedSeq), read without it.
  private volatile View view;
  private volatile long addedSeq;
  private volatile long retainedFrom = 1;
  private volatile long durableSeq;
  private volatile boolean closed;

  // Under lock: sealed ranges that start beyond durableSeq + 1 (after a hole), first -> last.
  private final TreeMap<Long, Long> sealedAhead = new TreeMap<>();
  private long durable;
  private boolean sealerFailing;

  // Ingest thread only.
  private final BlockTraceIds ids = new BlockTraceIds();
  private final ArrayDeque<long[]> skip = new ArrayDeque<>();
  private MutableSegment active;
  private long activeSince;
  private long lastAdded;

  private final LongAdder unreadableBlocks = new LongAdder();
  private final LongAdder corruptSegments = new LongAdder();
  private final LongAdder sealFailures = new LongAdder();
  private final LongAdder droppedSegments = new LongAdder();

  /** The segments a lookup consults: sealed ones ascending by first seq, then in-memory ones. */
  private record View(SealedSegment[] sealed, MutableSegment[] pending, MutableSegment active) {
    static final View EMPTY = new View(new SealedSegment[0], new MutableSegment[0], null);

    View withActive(MutableSegment a) {
      return new View(sealed, pending, a);
    }
  }

  /** What the index holds, for /metrics. */
  record Stats(int sealedSegments, long sealedEntries, long bytesOnDisk, long memoryEntries,
      long heapBytes, long durableSeq, long unreadableBlocks, long corruptSegments,
      long sealFailures, long droppedSegments) {}

  private SegmentedTraceIndex(Builder b) {
    this.dir = b.dir;
    this.segmentEntries = b.segmentEntries;
    this.sealAfterMillis = b.sealAfter.toMillis();
    this.clock = b.clock;
    this.sealer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "cairn-index-sealer");
      t.setDaemon(true);
      return t;
    });
  }

  static Builder builder(Path dir) {
    return new Builder(dir);
  }

  /** Configures and opens an index. */
  static final class Builder {
    private final Path dir;
    private int segmentEntries = DEFAULT_SEGMENT_ENTRIES;
    private Duration sealAfter = DEFAULT_SEAL_AFTER;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder(Path dir) {
      this.dir = Objects.requireNonNull(dir, "dir");
    }

    /** Entries (distinct trace IDs per block, summed) after which the in-memory segment is sealed. */
    Builder segmentEntries(int entries) {
      if (entries < 1 || entries > MAX_SEGMENT_ENTRIES) {
        throw new IllegalArgumentException("segmentEntries must be in [1, " + MAX_SEGMENT_ENTRIES + "]: " + entries);
      }
      this.segmentEntries = entries;
      return this;
    }

    /**
     * Age after which the in-memory segment is sealed even when not full: bounds how much of the
     * journal a restart feeds to the index again.
     */
    Builder sealAfter(Duration age) {
      Objects.requireNonNull(age, "sealAfter");
      if (age.isNegative() || age.isZero()) {
        throw new IllegalArgumentException("sealAfter must be positive: " + age);
      }
      this.sealAfter = age;
      return this;
    }

    Builder clock(LongSupplier millis) {
      this.clock = Objects.requireNonNull(millis, "clock");
      return this;
    }

    /** Opens the index in its directory (created if missing), verifying every segment file. */
    SegmentedTraceIndex open() throws IOException {
      SegmentedTraceIndex index = new SegmentedTraceIndex(this);
      try {
        index.load();
      } catch (IOException | RuntimeException e) {
        index.sealer.shutdownNow();
        throw e;
      }
      return index;
    }
  }

  /**
   * The index key of a trace ID: a 64-bit mix of its 128 bits (murmur3's finaliser, twice), so
   * that the top bits spread evenly whatever the IDs look like (time-prefixed, 64-bit, random).
   * Part of the segment file format: changing it needs a new segment version.
   */
  static long key(long high, long low) {
    return fmix64(low ^ fmix64(high));
  }

  private static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  private void load() throws IOException {
    Files.createDirectories(dir);
    List<SealedSegment> valid = new ArrayList<>();
    List<long[]> holes = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        if (name.endsWith(".tmp")) {
          // A seal the process did not finish: its blocks are after durableSeq, fed again.
          Files.deleteIfExists(file);
          continue;
        }
        long[] range = SealedSegment.parseName(name);
        if (range == null) {
          continue;
        }
        try {
          valid.add(SealedSegment.open(file));
        } catch (IOException | FormatException | RuntimeException e) {
          corruptSegments.increment();
          holes.add(range);
          Path aside = file.resolveSibling(name + CORRUPT);
          log.warn("trace index segment {} is unreadable ({}): set aside as {}; blocks {}..{} will be "
              + "indexed again from the journal", file, e.getMessage(), aside.getFileName(), range[0], range[1]);
          try {
            Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
          } catch (IOException moveFailed) {
            log.warn("could not rename {} to {}: {}", file, aside, moveFailed.toString());
          }
        }
      }
    }
    valid.sort(Comparator.comparingLong(SealedSegment::firstSeq));
    long lowest = Long.MAX_VALUE;
    for (SealedSegment s : valid) {
      lowest = Math.min(lowest, s.firstSeq());
    }
    for (long[] h : holes) {
      lowest = Math.min(lowest, h[0]);
    }
    synchronized (lock) {
      durable = lowest == Long.MAX_VALUE ? 0 : lowest - 1;
      for (SealedSegment s : valid) {
        covered(s.firstSeq(), s.lastSeq());
      }
      durableSeq = durable;
      for (SealedSegment s : valid) {
        if (s.lastSeq() > durable) {
          skip.add(new long[] {s.firstSeq(), s.lastSeq()});
        }
      }
      view = new View(valid.toArray(new SealedSegment[0]), new MutableSegment[0], null);
    }
    lastAdded = durable;
    addedSeq = durable;
    log.info("trace index at {}: {} segments, blocks up to {} durably indexed{}", dir, valid.size(),
        durable, holes.isEmpty() ? "" : "; " + holes.size() + " unreadable segments set aside");
  }

  // Under lock: blocks first..last are in a sealed segment (or need none); advances durable.
  private void covered(long first, long last) {
    if (first > durable + 1) {
      sealedAhead.merge(first, last, Math::max);
      return;
    }
    durable = Math.max(durable, last);
    while (!sealedAhead.isEmpty() && sealedAhead.firstKey() <= durable + 1) {
      durable = Math.max(durable, sealedAhead.pollFirstEntry().getValue());
    }
  }

  @Override
  public void add(long seq, ByteBuffer block) {
    if (closed) {
      return;
    }
    try {
      addBlock(seq, block);
    } catch (RuntimeException e) {
      // The ingest thread must go on; the block is simply not found by FETCH.
      unreadableBlocks.increment();
      log.error("trace index: could not index block {}: {}", seq, e.toString());
    }
  }

  private void addBlock(long seq, ByteBuffer block) {
    // Sealed segments from before a restart that lie beyond a hole: not indexed twice. The hole's
    // blocks the journal still has are fed first and sealed up to the next sealed range.
    while (!skip.isEmpty() && skip.peekFirst()[0] <= seq) {
      long[] range = skip.pollFirst();
      if (range[1] <= lastAdded) {
        continue;
      }
      if (range[0] > lastAdded + 1) {
        ensureActive();
        active.extendTo(range[0] - 1);
      }
      if (active != null) {
        rotate();
      }
      lastAdded = Math.max(lastAdded, range[1]);
    }
    if (seq <= lastAdded) {
      addedSeq = lastAdded;
      return;
    }
    int n;
    try {
      n = ids.read(block);
    } catch (FormatException e) {
      n = 0;
      unreadableBlocks.increment();
      log.warn("trace index: block {} not indexed, its records do not parse: {}", seq, e.getMessage());
    }
    if (active != null && (!active.fits(n, seq) || clock.getAsLong() - activeSince >= sealAfterMillis)) {
      rotate();
    }
    if (active == null && seq - lastAdded > Integer.MAX_VALUE / 2) {
      // Sequence numbers the feed jumped over (deleted from the journal): covered by an empty segment.
      ensureActive();
      active.extendTo(seq - 1);
      rotate();
    }
    ensureActive();
    if (!active.fits(n, seq)) {
      log.warn("trace index: block {} holds {} trace IDs, more than a segment takes; indexing {}", seq, n,
          MutableSegment.BLOCK_SLACK);
      n = MutableSegment.BLOCK_SLACK;
    }
    for (int i = 0; i < n; i++) {
      active.add(key(ids.high(i), ids.low(i)), seq);
    }
    active.extendTo(seq);
    lastAdded = seq;
    addedSeq = seq;
  }

  private void ensureActive() {
    if (active == null) {
      active = new MutableSegment(lastAdded + 1, segmentEntries);
      activeSince = clock.getAsLong();
      synchronized (lock) {
        view = view.withActive(active);
      }
    }
  }

  // Freezes the active segment and hands it to the sealer. Ingest thread (or close). When the
  // sealer is behind (catching up after a restart feeds the journal fast), waits for it rather
  // than holding more segments in memory; when it is failing (disk full), drops the oldest.
  private void rotate() {
    MutableSegment s = active;
    active = null;
    s.freeze();
    MutableSegment dropped = null;
    boolean interrupted = false;
    synchronized (lock) {
      long deadline = System.nanoTime() + PENDING_WAIT_NANOS;
      while (view.pending.length >= MAX_PENDING && !sealerFailing) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          interrupted = true;
          break;
        }
      }
      List<MutableSegment> pending = new ArrayList<>(Arrays.asList(view.pending));
      pending.add(s);
      if (pending.size() > MAX_PENDING) {
        dropped = pending.remove(0);
      }
      view = new View(view.sealed, pending.toArray(new MutableSegment[0]), null);
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (dropped != null) {
      droppedSegments.increment();
      log.error("trace index: segment for blocks {}..{} could not be written in time; its {} entries "
          + "are dropped from memory: FETCH misses those blocks until a restart indexes them again",
          dropped.firstSeq(), dropped.lastSeq(), dropped.size());
    }
    sealer.execute(this::sealPending);
  }

  // Sealer thread: writes the pending segments, oldest first, and swaps each for its file.
  private void sealPending() {
    while (true) {
      MutableSegment s;
      synchronized (lock) {
        s = view.pending.length == 0 ? null : view.pending[0];
      }
      if (s == null) {
        return;
      }
      SealedSegment sealed = null;
      if (s.lastSeq() >= retainedFrom) {
        try {
          sealed = SealedSegment.open(SealedSegment.write(dir, s));
        } catch (IOException | FormatException | RuntimeException e) {
          sealFailures.increment();
          synchronized (lock) {
            sealerFailing = true;
            lock.notifyAll();
          }
          log.error("trace index: could not write the segment for blocks {}..{} to {}: {}; it stays in "
              + "memory and is tried again at the next seal", s.firstSeq(), s.lastSeq(), dir, e.toString());
          return;
        }
      }
      synchronized (lock) {
        List<MutableSegment> pending = new ArrayList<>(Arrays.asList(view.pending));
        pending.remove(s);
        SealedSegment[] segments = view.sealed;
        if (sealed != null) {
          List<SealedSegment> list = new ArrayList<>(Arrays.asList(segments));
          list.add(sealed);
          list.sort(Comparator.comparingLong(SealedSegment::firstSeq));
          segments = list.toArray(new SealedSegment[0]);
        }
        view = new View(segments, pending.toArray(new MutableSegment[0]), view.active);
        covered(s.firstSeq(), s.lastSeq());
        durableSeq = durable;
        sealerFailing = false;
        lock.notifyAll();
      }
      if (sealed != null) {
        log.debug("trace index: sealed {} ({} entries, {} bytes)", sealed.path().getFileName(),
            sealed.count(), sealed.fileBytes());
      }
    }
  }

  @Override
  public long[] find(long traceIdHigh, long traceIdLow) {
    if (closed) {
      return new long[0];
    }
    long limit = addedSeq; // first: makes the completed adds' entries visible
    long from = retainedFrom;
    View v = view;
    long key = key(traceIdHigh, traceIdLow);
    LongList out = new LongList(8);
    for (SealedSegment s : v.sealed) {
      try {
        s.find(key, from, out);
      } catch (IOException | RuntimeException e) {
        // Retention closed it after this find read the view: its blocks are gone anyway.
        // Otherwise the file is damaged or gone under us: stop using it.
        if (!closed && s.lastSeq() >= retainedFrom) {
          unusable(s, e);
        }
      }
    }
    for (MutableSegment m : v.pending) {
      m.find(key, from, limit, out);
    }
    if (v.active != null) {
      v.active.find(key, from, limit, out);
    }
    return out.toSortedDistinctArray();
  }

  private void unusable(SealedSegment s, Exception e) {
    synchronized (lock) {
      SealedSegment[] kept = Arrays.stream(view.sealed).filter(x -> x != s).toArray(SealedSegment[]::new);
      if (kept.length == view.sealed.length) {
        return;
      }
      view = new View(kept, view.pending, view.active);
    }
    s.retire();
    corruptSegments.increment();
    log.error("trace index segment {} became unreadable ({}): no longer used; it is checked again at "
        + "the next start", s.path(), e.toString());
  }

  @Override
  public void retainFrom(long firstSeq) {
    List<Path> delete = new ArrayList<>();
    List<SealedSegment> retired = new ArrayList<>();
    synchronized (lock) {
      if (firstSeq <= retainedFrom) {
        return;
      }
      retainedFrom = firstSeq;
      // Blocks below firstSeq left the journal: they need no index, durable or not.
      covered(Long.MIN_VALUE / 2, firstSeq - 1);
      durableSeq = durable;
      List<SealedSegment> kept = new ArrayList<>();
      for (SealedSegment s : view.sealed) {
        if (s.lastSeq() < firstSeq) {
          delete.add(s.path());
          retired.add(s);
        } else {
          kept.add(s);
        }
      }
      List<MutableSegment> pending = new ArrayList<>();
      for (MutableSegment m : view.pending) {
        if (m.lastSeq() >= firstSeq) {
          pending.add(m);
        }
      }
      view = new View(kept.toArray(new SealedSegment[0]), pending.toArray(new MutableSegment[0]), view.active);
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + CORRUPT)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        long[] range = SealedSegment.parseName(name.substring(0, name.length() - CORRUPT.length()));
        if (range != null && range[1] < firstSeq) {
          delete.add(file);
        }
      }
    } catch (IOException e) {
      log.warn("trace index: could not list {}: {}", dir, e.toString());
    }
    for (SealedSegment s : retired) {
      s.retire();
    }
    for (Path file : delete) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        log.warn("trace index: could not delete {}: {}", file, e.toString());
      }
    }
  }

  @Override
  public long durableSeq() {
    return durableSeq;
  }

  Stats stats() {
    View v = view;
    long entries = 0;
    long bytes = 0;
    long heap = 0;
    for (SealedSegment s : v.sealed) {
      entries += s.count();
      bytes += s.fileBytes();
      heap += s.heapBytes();
    }
    long memory = 0;
    for (MutableSegment m : v.pending) {
      memory += m.size();
      heap += m.heapBytes();
    }
    if (v.active != null) {
      memory += v.active.size();
      heap += v.active.heapBytes();
    }
    return new Stats(v.sealed.length, entries, bytes, memory, heap, durableSeq,
        unreadableBlocks.sum(), corruptSegments.sum(), sealFailures.sum(), droppedSegments.sum());
  }

  /** Waits until every segment frozen so far was written (or failed to be): for tests and measurements. */
  void awaitSeals() throws InterruptedException, ExecutionException, TimeoutException {
    sealer.submit(() -> {}).get(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** Seals the in-memory segment and waits (bounded) for it to be written. Call after the last add. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    if (active != null) {
      rotate();
    }
    sealer.shutdown();
    try {
      if (!sealer.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
        log.warn("trace index: segments not written after {} s; their blocks are indexed again at the next start",
            CLOSE_WAIT_SECONDS);
        sealer.shutdownNow();
      }
    } catch (InterruptedException e) {
      sealer.shutdownNow();
      Thread.currentThread().interrupt();
    }
    closed = true;
    for (SealedSegment s : view.sealed) {
      s.retire();
    }
  }
}
