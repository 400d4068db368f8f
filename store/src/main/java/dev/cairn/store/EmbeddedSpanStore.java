package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ReferenceManager;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;

/**
 * The embedded {@link SpanStore}: one Lucene index in one local directory, for one machine
 * ({@code cairn all-in-one}). Spans, log lines, trace summaries and the per-minute counters
 * (dependencies, aggregates) are all documents of that index; see {@code docs/store-embedded.md}.
 *
 * <p>Durability: one writer thread applies batches; {@link SpanWriter#write} returns only after its
 * batch is in the write-ahead log and forced to disk. The index itself is committed every
 * {@link Builder#commitInterval commit interval} (1 s); on open, whatever the log holds past the last
 * commit is applied again (idempotently). A Lucene commit is atomic and fsynced, so kill -9 leaves
 * the index at the last commit and the log brings it up to the last acknowledged write. With
 * {@link CommitPolicy#GROUP} (the default) batches that queue up while the log is synced share
 * the next sync. Only one process may open a directory: Lucene's write lock makes a second open
 * fail with a {@link StoreException} saying so.
 *
 * <pre>{@code
 * try (EmbeddedSpanStore store = EmbeddedSpanStore.builder(dir)
 *     .retention(Duration.ofDays(7)).build()) {
 *   store.writer().write(batch);
 * }
 * }</pre>
 */
public final class EmbeddedSpanStore implements SpanStore {
  private static final Logger LOG = LogManager.getLogger(EmbeddedSpanStore.class);

  /** How writes share the write-ahead log's syncs. */
  public enum CommitPolicy {
    /** One sync per {@code write()}. */
    EVERY_WRITE,
    /** Batches waiting while a sync runs are applied together and share the next sync. */
    GROUP
  }

  /** Layout version in the commit data; 1 was one document per span. */
  static final String LAYOUT = "3";
  static final String LAYOUT_KEY = "cairn.store.layout";
  /** Commit data: the write-ahead log generation to replay from. */
  private static final String WAL_KEY = "cairn.store.wal";
  /** The log is committed into the index early past this size, bounding replay after a crash. */
  private static final long WAL_COMMIT_BYTES = 256L << 20;
  /** The background refresh that makes writes searchable and lets the writer forget them. */
  private static final long REFRESH_MILLIS = 1000;
  /** The writer refreshes itself past this many traces held in memory. */
  private static final int MAX_TRACKED_TRACES = 500_000;

  private final Path dir;
  private final CommitPolicy commitPolicy;
  private final int maxGroup;
  private final long commitIntervalNanos;
  private final Directory directory;
  private final EmbeddedWal wal;
  private final ExecutorService syncer = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "cairn-store-wal-sync");
    t.setDaemon(true);
    return t;
  });
  private final ScheduledThreadPoolExecutor refresher;
  private final EmbeddedCodec codec = new EmbeddedCodec();
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final Thread writerThread;
  private final ScheduledExecutorService retentionTimer;
  private final EmbeddedReader reader;
  private final SpanWriter writer = this::write;

  private volatile IndexWriter indexWriter;
  private volatile SearcherManager searchers;
  private EmbeddedIndexer indexer; // writer thread (and open/recovery before it runs)
  private long lastCommitNanos;
  /** The last group in a Lucene commit (writer thread). */
  private long committedSeq;
  /** The last group whose documents are all in the index writer. */
  private volatile long appliedSeq;
  /** The last group the current searcher is known to hold. */
  private volatile long coveredSeq;
  private volatile boolean closed;
  private volatile String failure;

  private EmbeddedSpanStore(Builder b) throws StoreException {
    dir = b.dir;
    commitPolicy = b.commitPolicy;
    maxGroup = b.maxGroupBatches;
    commitIntervalNanos = b.commitInterval.toNanos();
    try {
      Files.createDirectories(dir);
      directory = FSDirectory.open(dir);
    } catch (IOException e) {
      throw new StoreException("cannot open store directory " + dir + ": " + e.getMessage(), e);
    }
    EmbeddedWal w = null;
    try {
      openWriter();
      w = new EmbeddedWal(dir);
    } catch (IOException e) {
      closeQuietly(indexWriter);
      closeQuietly(directory);
      throw new StoreException("cannot open store " + dir + ": " + e.getMessage(), e);
    } catch (StoreException e) {
      closeQuietly(directory);
      throw e;
    }
    wal = w;
    try {
      recover();
    } catch (StoreException e) {
      closeQuietly(wal);
      closeQuietly(indexWriter);
      closeQuietly(directory);
      throw e;
    }
    refresher = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "cairn-store-refresh");
      t.setDaemon(true);
      return t;
    });
    refresher.scheduleWithFixedDelay(this::refreshInBackground, REFRESH_MILLIS, REFRESH_MILLIS,
        TimeUnit.MILLISECONDS);
    reader = new EmbeddedReader(this);
    writerThread = new Thread(this::runWriter, "cairn-store-writer");
    writerThread.setDaemon(true);
    writerThread.start();
    if (b.retention != null) {
      long ageMicros = b.retention.toNanos() / 1000;
      long every = Math.max(1, Math.min(b.retention.toMillis() / 10, TimeUnit.HOURS.toMillis(1)));
      ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "cairn-store-retention");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(() -> {
        try {
          long removed = deleteOlderThan(System.currentTimeMillis() * 1000 - ageMicros);
          if (removed > 0) {
            LOG.info("store {}: retention removed {} traces older than {}", dir, removed, b.retention);
          }
        } catch (StoreException e) {
          LOG.warn("store {}: retention run failed: {}", dir, e.getMessage());
        }
      }, 0, every, TimeUnit.MILLISECONDS);
      retentionTimer = timer;
    } else {
      retentionTimer = null;
    }
  }

  /** Opens (creating when needed) a store in {@code dir} with the default options. */
  public static EmbeddedSpanStore open(Path dir) throws StoreException {
    return builder(dir).build();
  }

  public static Builder builder(Path dir) {
    return new Builder(dir);
  }

  @Override
  public SpanWriter writer() {
    return writer;
  }

  @Override
  public SpanReader reader() {
    return reader;
  }

  @Override
  public Health check() {
    if (closed) {
      return Health.failed("store " + dir + " is closed");
    }
    String f = failure;
    if (f != null) {
      return Health.failed(f);
    }
    IndexWriter w = indexWriter;
    if (w == null || !w.isOpen() || w.getTragicException() != null) {
      return Health.failed("store " + dir + ": index writer is closed"
          + (w != null && w.getTragicException() != null
              ? ": " + w.getTragicException().getMessage() : ""));
    }
    return Health.ok();
  }

  /**
   * Removes every trace that started before {@code micros} (µs since the epoch) — its spans, log
   * lines and summary, judged by the summary's start so a trace goes whole — plus any span or log
   * line older than that, and the dependency and aggregate minutes that ended at or before it.
   * Durable when it returns, like a write. The builder's {@link Builder#retention retention} calls
   * this periodically.
   *
   * @return the number of traces removed
   */
  public long deleteOlderThan(long micros) throws StoreException {
    Task t = new Task(null, micros);
    submit(t);
    return (Long) await(t);
  }

  /**
   * Stops the writer thread after the queued writes, commits, and releases the directory and its
   * lock. Writes after close fail.
   */
  @Override
  public void close() throws IOException {
    synchronized (queue) {
      if (closed) {
        return;
      }
      // under the lock no task can be queued behind STOP, where nothing would ever complete it
      closed = true;
      queue.add(Task.STOP);
    }
    if (retentionTimer != null) {
      retentionTimer.shutdownNow();
    }
    // never interrupt a thread in Lucene or log I/O: an interrupt closes the NIO channel it uses
    refresher.shutdown();
    try {
      writerThread.join();
      syncer.shutdown();
      refresher.awaitTermination(1, TimeUnit.MINUTES);
      syncer.awaitTermination(1, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    IOException first = null;
    try {
      if (searchers != null) {
        searchers.close();
      }
    } catch (IOException e) {
      first = e;
    }
    try {
      if (indexWriter != null && indexWriter.isOpen() && failure == null) {
        // the closing commit holds everything logged: the next open replays nothing
        long next = wal.generation() + 1;
        indexWriter.setLiveCommitData(commitData(next).entrySet());
        indexWriter.close();
        wal.close();
        wal.deleteBefore(next);
      } else if (indexWriter != null) {
        indexWriter.rollback();
      }
    } catch (IOException e) {
      first = first == null ? e : first;
    }
    try {
      wal.close();
    } catch (IOException e) {
      first = first == null ? e : first;
    }
    try {
      directory.close();
    } catch (IOException e) {
      first = first == null ? e : first;
    }
    if (first != null) {
      throw first;
    }
  }

  // ---- reads

  IndexSearcher acquire() throws StoreException {
    if (closed) {
      throw new StoreException("store " + dir + " is closed");
    }
    try {
      SearcherManager m = searchers;
      if (coveredSeq < appliedSeq) {
        // every write that returned before this read is in the index writer; make it searchable
        m.maybeRefreshBlocking();
      }
      return m.acquire();
    } catch (IOException | org.apache.lucene.store.AlreadyClosedException e) {
      throw new StoreException("store " + dir + " cannot be read: " + e.getMessage(), e);
    }
  }

  private void refreshInBackground() {
    try {
      if (coveredSeq < appliedSeq) {
        searchers.maybeRefresh();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("store {}: background refresh failed", dir, e);
    }
  }

  void release(IndexSearcher s) {
    try {
      searchers.release(s);
    } catch (IOException | RuntimeException e) {
      LOG.debug("store {}: releasing a searcher failed", dir, e);
    }
  }

  // ---- writes

  private WriteResult write(WriteBatch batch) throws StoreException {
    requireNonNull(batch, "batch");
    if (batch.spans().isEmpty() && batch.logs().isEmpty() && batch.notes().isEmpty()) {
      return new WriteResult(0, 0, 0);
    }
    Task t = new Task(batch, 0);
    submit(t);
    return (WriteResult) await(t);
  }

  private void submit(Task t) throws StoreException {
    synchronized (queue) {
      if (closed) {
        throw new StoreException("store " + dir + " is closed");
      }
      queue.add(t);
    }
  }

  private static Object await(Task t) throws StoreException {
    try {
      return t.done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while waiting for the store's commit; the batch may or"
          + " may not be stored (writing it again is safe)", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StoreException se) {
        throw new StoreException(se.getMessage(), se);
      }
      throw new StoreException("store write failed: " + e.getCause(), e.getCause());
    }
  }

  /** A write batch, or a retention run (batch null). */
  private static final class Task {
    static final Task STOP = new Task(null, Long.MIN_VALUE);
    final WriteBatch batch;
    final long olderThan;
    final CompletableFuture<Object> done = new CompletableFuture<>();

    Task(WriteBatch batch, long olderThan) {
      this.batch = batch;
      this.olderThan = olderThan;
    }
  }

  private void runWriter() {
    List<Task> drained = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      drained.clear();
      try {
        Task first;
        if (committedSeq == appliedSeq || failure != null) {
          first = queue.take();
        } else {
          // writes not committed yet: commit them once the interval is up, writes or not, so a
          // read-only process following the commits (cairn ui) sees them
          long wait = lastCommitNanos + commitIntervalNanos - System.nanoTime();
          first = queue.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
          if (first == null) {
            commitQuietly();
            continue;
          }
        }
        drained.add(first);
      } catch (InterruptedException e) {
        // only close stops this thread
        continue;
      }
      queue.drainTo(drained);
      List<Task> group = new ArrayList<>();
      for (Task t : drained) {
        if (t == Task.STOP) {
          stop = true;
        } else if (t.batch == null) {
          applyGroup(group);
          group.clear();
          retention(t);
        } else {
          group.add(t);
          if (commitPolicy == CommitPolicy.EVERY_WRITE || group.size() >= maxGroup) {
            applyGroup(group);
            group.clear();
          }
        }
      }
      applyGroup(group);
    }
  }

  private void applyGroup(List<Task> group) {
    if (group.isEmpty()) {
      return;
    }
    if (failure != null) {
      fail(group, new StoreException(failure));
      return;
    }
    long seq = appliedSeq + 1;
    long covered = coveredSeq; // read before acquiring: the searcher holds at least this much
    IndexSearcher searcher;
    try {
      searcher = searchers.acquire();
    } catch (IOException | RuntimeException e) {
      fail(group, new StoreException("store " + dir + " cannot be read: " + e.getMessage(), e));
      return;
    }
    List<Task> applied = new ArrayList<>(group.size());
    List<EmbeddedIndexer.Prepared> prepared = new ArrayList<>(group.size());
    try {
      indexer.begin(searcher, seq, covered);
      for (Task t : group) {
        EmbeddedIndexer.Prepared p;
        try {
          p = indexer.prepare(t.batch);
        } catch (StoreException e) {
          t.done.completeExceptionally(e); // this batch alone; nothing of it was applied
          continue;
        }
        indexer.accept(p);
        prepared.add(p);
        applied.add(t);
      }
      // the log first, synced while the index takes the documents: a write returns once both are done
      boolean logged = false;
      for (EmbeddedIndexer.Prepared p : prepared) {
        if (!p.parts.isEmpty() || !p.notes.isEmpty()) { // a batch of spans already stored: nothing
          wal.append(EmbeddedIndexer.walRecord(p));
          logged = true;
        }
      }
      Future<?> synced = logged ? syncer.submit(() -> {
        wal.sync();
        return null;
      }) : CompletableFuture.completedFuture(null);
      indexer.index(prepared);
      appliedSeq = seq;
      synced.get();
      if (System.nanoTime() - lastCommitNanos >= commitIntervalNanos
          || wal.size() >= WAL_COMMIT_BYTES) {
        // before the acknowledgement, so that with an interval of 0 a returned write is committed
        commitQuietly();
      } else if (indexer.tracked() > MAX_TRACKED_TRACES) {
        searchers.maybeRefreshBlocking();
      }
    } catch (IOException | StoreException | RuntimeException | ExecutionException
        | InterruptedException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      StoreException se = new StoreException("store " + dir + ": write failed: " + cause.getMessage()
          + " (writing the batch again is safe)", cause);
      LOG.warn("store {}: write of {} batches failed; reopening at the last commit and the log",
          dir, applied.size(), cause);
      release(searcher);
      searcher = null;
      fail(applied, se);
      reopen();
      return;
    } finally {
      if (searcher != null) {
        release(searcher);
      }
    }
    // durable in the log even if a commit above failed (the store then replayed the log)
    for (int i = 0; i < applied.size(); i++) {
      applied.get(i).done.complete(prepared.get(i).result);
    }
  }

  private void commitQuietly() {
    try {
      commit();
    } catch (IOException | RuntimeException e) {
      LOG.warn("store {}: commit failed; reopening at the last commit and the log", dir, e);
      reopen();
    }
  }

  /**
   * Commits the index, recording that the log is to be replayed from a new segment on, then starts
   * that segment and deletes the older ones: all of them is in the commit.
   */
  private void commit() throws IOException {
    long next = wal.generation() + 1;
    indexWriter.setLiveCommitData(commitData(next).entrySet());
    long seq = appliedSeq;
    indexWriter.commit();
    committedSeq = seq;
    lastCommitNanos = System.nanoTime();
    wal.start(next);
    wal.deleteBefore(next);
  }

  /** Why a store of another layout version cannot be opened, and what to do. */
  static String layoutProblem(Path dir, String layout) {
    return "store " + dir + " has layout version " + layout + "; this Cairn reads layout " + LAYOUT
        + (layout != null && layout.compareTo(LAYOUT) > 0 ? ": upgrade Cairn to open it"
            : ": move it aside and fill a new store with `cairn recover` from the replicas");
  }

  private static Map<String, String> commitData(long walGeneration) {
    return Map.of(LAYOUT_KEY, LAYOUT, WAL_KEY, Long.toString(walGeneration));
  }

  private void retention(Task t) {
    if (failure != null) {
      t.done.completeExceptionally(new StoreException(failure));
      return;
    }
    IndexSearcher searcher = null;
    try {
      searchers.maybeRefreshBlocking(); // every trace written so far is a candidate
      searcher = searchers.acquire();
      long removed = EmbeddedRetention.deleteOlderThan(indexWriter, searcher, t.olderThan);
      release(searcher);
      searcher = null;
      commit();
      searchers.maybeRefreshBlocking();
      indexer = new EmbeddedIndexer(indexWriter, codec); // what it held may be deleted now
      t.done.complete(removed);
    } catch (IOException | RuntimeException e) {
      if (searcher != null) {
        release(searcher);
      }
      t.done.completeExceptionally(new StoreException("store " + dir + ": retention failed: "
          + e.getMessage(), e));
      reopen();
    }
  }

  private static void fail(List<Task> tasks, StoreException e) {
    for (Task t : tasks) {
      t.done.completeExceptionally(e);
    }
  }

  /**
   * After a failed write or commit: drops the index writer's uncommitted changes and opens it again
   * at the last commit, then replays the log (which holds every acknowledged write since).
   */
  private void reopen() {
    try {
      indexWriter.rollback();
    } catch (IOException | RuntimeException e) {
      LOG.warn("store {}: rollback failed", dir, e);
    }
    SearcherManager old = searchers;
    try {
      wal.close();
      openWriter();
      recover();
    } catch (IOException | StoreException e) {
      failure = "store " + dir + " is unusable after a failed write: " + e.getMessage();
      LOG.error(failure, e);
    }
    closeQuietly(old);
  }

  private void openWriter() throws StoreException {
    IndexWriterConfig config = new IndexWriterConfig()
        .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
        .setCommitOnClose(true)
        .setRAMBufferSizeMB(64);
    // Twice Lucene's default segments per tier: each span is rewritten by fewer merges (in a
    // measurement of 1M spans, merging went from 1.4 µs of CPU per span to none yet), for a few
    // more segments to search. Flushed segments stay as separate files instead of being copied
    // into a compound file: the store flushes a segment at least every second.
    TieredMergePolicy merges = new TieredMergePolicy();
    merges.setSegmentsPerTier(20);
    config.setMergePolicy(merges).setUseCompoundFile(false);
    try {
      IndexWriter w = new IndexWriter(directory, config);
      Map<String, String> data = new java.util.HashMap<>();
      if (w.getLiveCommitData() != null) {
        w.getLiveCommitData().forEach(e -> data.put(e.getKey(), e.getValue()));
      }
      String layout = data.get(LAYOUT_KEY);
      if (layout == null && w.getDocStats().maxDoc == 0) {
        w.setLiveCommitData(commitData(0).entrySet());
        w.commit();
      } else if (!LAYOUT.equals(layout)) {
        w.rollback();
        throw new StoreException(layoutProblem(dir, layout));
      }
      indexWriter = w;
      SearcherManager m = new SearcherManager(w, null);
      m.addListener(new ReferenceManager.RefreshListener() {
        private long captured;

        @Override
        public void beforeRefresh() {
          captured = appliedSeq;
        }

        @Override
        public void afterRefresh(boolean didRefresh) {
          coveredSeq = Math.max(coveredSeq, captured);
        }
      });
      coveredSeq = appliedSeq;
      searchers = m;
      indexer = new EmbeddedIndexer(w, codec);
    } catch (LockObtainFailedException e) {
      throw new StoreException("store directory " + dir + " is in use by another process or store"
          + " (Lucene write lock " + dir.resolve(IndexWriter.WRITE_LOCK_NAME) + " is held)", e);
    } catch (IOException e) {
      throw new StoreException("cannot open store " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Applies again what the log holds past the last commit (idempotent: spans already in the index
   * are skipped), commits it, and starts a new log segment.
   */
  private void recover() throws StoreException {
    try {
      String from = null;
      for (Map.Entry<String, String> e : indexWriter.getLiveCommitData()) {
        if (e.getKey().equals(WAL_KEY)) {
          from = e.getValue();
        }
      }
      long fromGen = from == null ? 0 : Long.parseLong(from);
      EmbeddedWal.Replayed r = wal.replay(fromGen, record -> {
        long seq = appliedSeq + 1;
        IndexSearcher s = searchers.acquire();
        try {
          indexer.begin(s, seq, coveredSeq);
          EmbeddedIndexer.Prepared p = indexer.prepare(EmbeddedIndexer.fromWal(record));
          indexer.accept(p);
          indexer.index(List.of(p));
          appliedSeq = seq;
        } finally {
          searchers.release(s);
        }
      });
      if (r.records() > 0 || r.droppedBytes() > 0) {
        LOG.info("store {}: replayed {} writes from the write-ahead log", dir, r.records());
      }
      long next = Math.max(fromGen, r.lastGeneration()) + 1;
      indexWriter.setLiveCommitData(commitData(next).entrySet());
      indexWriter.commit();
      committedSeq = appliedSeq;
      lastCommitNanos = System.nanoTime();
      wal.start(next);
      wal.deleteBefore(next);
      searchers.maybeRefreshBlocking();
    } catch (IOException | RuntimeException e) {
      throw new StoreException("cannot open store " + dir + ": replaying its write-ahead log failed: "
          + e.getMessage(), e);
    }
  }

  private void closeQuietly(java.io.Closeable c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("store {}: close failed", dir, e);
    }
  }

  /** Options of an {@link EmbeddedSpanStore}; defaults: keep forever, group commits. */
  public static final class Builder {
    private final Path dir;
    private Duration retention;
    private CommitPolicy commitPolicy = CommitPolicy.GROUP;
    private int maxGroupBatches = 64;
    private Duration commitInterval = Duration.ofSeconds(1);

    Builder(Path dir) {
      this.dir = requireNonNull(dir, "dir");
    }

    /**
     * Removes traces older than {@code age} (by start) in the background: at open, then every
     * tenth of the age, at least hourly. Null (the default) keeps everything.
     */
    public Builder retention(Duration age) {
      if (age != null && (age.isNegative() || age.isZero())) {
        throw new IllegalArgumentException("retention must be positive: " + age);
      }
      this.retention = age;
      return this;
    }

    public Builder commitPolicy(CommitPolicy policy) {
      this.commitPolicy = requireNonNull(policy, "commitPolicy");
      return this;
    }

    /** At most this many batches share one commit under {@link CommitPolicy#GROUP} (default 64). */
    public Builder maxGroupBatches(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("maxGroupBatches must be at least 1: " + n);
      }
      this.maxGroupBatches = n;
      return this;
    }

    /**
     * How often the index is committed (default 1 s), with or without new writes. Writes are
     * durable without it, in the write-ahead log, and searchable in this process at once; a
     * read-only process ({@link EmbeddedReadOnlyStore}) sees them after the next commit. A longer
     * interval means fewer commits and more log to replay after a crash (also bounded by 256 MiB of
     * log); 0 commits every write before it returns, as slow as before the log.
     */
    public Builder commitInterval(Duration interval) {
      requireNonNull(interval, "commitInterval");
      if (interval.isNegative()) {
        throw new IllegalArgumentException("commitInterval must not be negative: " + interval);
      }
      this.commitInterval = interval;
      return this;
    }

    /** Opens the store. @throws StoreException when the directory is locked or unreadable */
    public EmbeddedSpanStore build() throws StoreException {
      return new EmbeddedSpanStore(this);
    }
  }
}
