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
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;

/**
 * The embedded {@link SpanStore}: one Lucene index in one local directory, for one machine
 * ({@code cairn all-in-one}). Spans, log lines, trace summaries and the per-minute counters
 * (dependencies, aggregates) are all documents of that index; see {@code docs/store-embedded.md}.
 *
 * <p>Durability: one writer thread applies batches and commits; {@link SpanWriter#write} returns
 * only after the commit holding its batch (a Lucene commit is atomic and fsynced, so kill -9 leaves
 * the index at the last commit). With {@link CommitPolicy#GROUP} (the default) batches that queue
 * up while a commit runs share the next commit. Only one process may open a directory: Lucene's
 * write lock makes a second open fail with a {@link StoreException} saying so.
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

  /** When the writer thread commits. */
  public enum CommitPolicy {
    /** One commit per {@code write()}. */
    EVERY_WRITE,
    /** Batches waiting while a commit runs are applied together and share one commit. */
    GROUP
  }

  private final Path dir;
  private final CommitPolicy commitPolicy;
  private final int maxGroup;
  private final Directory directory;
  private final EmbeddedCodec codec = new EmbeddedCodec();
  private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
  private final Thread writerThread;
  private final ScheduledExecutorService retentionTimer;
  private final EmbeddedReader reader;
  private final SpanWriter writer = this::write;

  private volatile IndexWriter indexWriter;
  private volatile SearcherManager searchers;
  private volatile boolean closed;
  private volatile String failure;

  private EmbeddedSpanStore(Builder b) throws StoreException {
    dir = b.dir;
    commitPolicy = b.commitPolicy;
    maxGroup = b.maxGroupBatches;
    try {
      Files.createDirectories(dir);
      directory = FSDirectory.open(dir);
    } catch (IOException e) {
      throw new StoreException("cannot open store directory " + dir + ": " + e.getMessage(), e);
    }
    try {
      openWriter();
    } catch (StoreException e) {
      closeQuietly(directory);
      throw e;
    }
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
    try {
      writerThread.join();
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
      if (indexWriter != null) {
        indexWriter.close();
      }
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
      return searchers.acquire();
    } catch (IOException | org.apache.lucene.store.AlreadyClosedException e) {
      throw new StoreException("store " + dir + " cannot be read: " + e.getMessage(), e);
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
        drained.add(queue.take());
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
    IndexSearcher searcher;
    try {
      searcher = searchers.acquire();
    } catch (IOException | RuntimeException e) {
      fail(group, new StoreException("store " + dir + " cannot be read: " + e.getMessage(), e));
      return;
    }
    List<Task> applied = new ArrayList<>(group.size());
    List<WriteResult> results = new ArrayList<>(group.size());
    try {
      EmbeddedIndexer indexer = new EmbeddedIndexer(indexWriter, searcher, codec);
      for (Task t : group) {
        EmbeddedIndexer.Prepared p;
        try {
          p = indexer.prepare(t.batch);
        } catch (StoreException e) {
          t.done.completeExceptionally(e); // this batch alone; nothing of it reached the writer
          continue;
        }
        results.add(indexer.add(p));
        applied.add(t);
      }
      indexer.finish();
      indexWriter.commit();
      searchers.maybeRefreshBlocking();
    } catch (IOException | StoreException | RuntimeException e) {
      StoreException se = new StoreException("store " + dir + ": write failed, nothing of it was"
          + " committed: " + e.getMessage(), e);
      LOG.warn("store {}: write of {} batches failed; rolling back to the last commit", dir,
          applied.size(), e);
      release(searcher);
      searcher = null;
      rollBack();
      fail(applied, se);
      return;
    } finally {
      if (searcher != null) {
        release(searcher);
      }
    }
    for (int i = 0; i < applied.size(); i++) {
      applied.get(i).done.complete(results.get(i));
    }
  }

  private void retention(Task t) {
    if (failure != null) {
      t.done.completeExceptionally(new StoreException(failure));
      return;
    }
    IndexSearcher searcher = null;
    try {
      searcher = searchers.acquire();
      long removed = EmbeddedRetention.deleteOlderThan(indexWriter, searcher, t.olderThan);
      release(searcher);
      searcher = null;
      indexWriter.commit();
      searchers.maybeRefreshBlocking();
      t.done.complete(removed);
    } catch (IOException | RuntimeException e) {
      if (searcher != null) {
        release(searcher);
      }
      rollBack();
      t.done.completeExceptionally(new StoreException("store " + dir + ": retention failed: "
          + e.getMessage(), e));
    }
  }

  private static void fail(List<Task> tasks, StoreException e) {
    for (Task t : tasks) {
      t.done.completeExceptionally(e);
    }
  }

  /** Drops uncommitted changes by rolling the writer back and opening a new one at the last commit. */
  private void rollBack() {
    try {
      indexWriter.rollback();
    } catch (IOException | RuntimeException e) {
      LOG.warn("store {}: rollback failed", dir, e);
    }
    SearcherManager old = searchers;
    try {
      openWriter();
    } catch (StoreException e) {
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
    try {
      IndexWriter w = new IndexWriter(directory, config);
      if (w.getLiveCommitData() == null || !w.getLiveCommitData().iterator().hasNext()) {
        w.setLiveCommitData(Map.of("cairn.store.layout", "1").entrySet());
        w.commit();
      }
      for (Map.Entry<String, String> e : w.getLiveCommitData()) {
        if (e.getKey().equals("cairn.store.layout") && !e.getValue().equals("1")) {
          w.rollback();
          throw new StoreException("store " + dir + " has layout version " + e.getValue()
              + ", newer than this Cairn supports (1); upgrade Cairn to open it");
        }
      }
      indexWriter = w;
      searchers = new SearcherManager(w, null);
    } catch (LockObtainFailedException e) {
      throw new StoreException("store directory " + dir + " is in use by another process or store"
          + " (Lucene write lock " + dir.resolve(IndexWriter.WRITE_LOCK_NAME) + " is held)", e);
    } catch (IOException e) {
      throw new StoreException("cannot open store " + dir + ": " + e.getMessage(), e);
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

    /** Opens the store. @throws StoreException when the directory is locked or unreadable */
    public EmbeddedSpanStore build() throws StoreException {
      return new EmbeddedSpanStore(this);
    }
  }
}
