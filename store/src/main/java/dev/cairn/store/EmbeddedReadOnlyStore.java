package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.MultiReader;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * An embedded store's directory opened for reading only, from another process than the one
 * writing it: a query server ({@code cairn ui}) next to a running puller. Lucene lets readers in
 * other processes open the last commit without the write lock; this one follows new commits,
 * checking for them at most every {@code refresh} (default 1 s) when a query comes. Before the
 * writer has created the index, every query finds nothing and {@link #check()} says why.
 * {@link #writer()} refuses every write.
 *
 * <pre>{@code
 * try (SpanStore store = EmbeddedReadOnlyStore.open(Path.of("/var/lib/cairn/store"))) {
 *   List<String> services = store.reader().services();
 * }
 * }</pre>
 */
public final class EmbeddedReadOnlyStore implements SpanStore {
  private static final Logger LOG = LogManager.getLogger(EmbeddedReadOnlyStore.class);
  private static final IndexSearcher EMPTY = emptySearcher();

  private final Path dir;
  private final Directory directory;
  private final long refreshNanos;
  private final EmbeddedReader reader;
  private final Object opening = new Object();
  private volatile SearcherManager searchers;
  private volatile long lastRefresh;
  private volatile boolean closed;
  private volatile String problem = "";

  private EmbeddedReadOnlyStore(Path dir, Directory directory, Duration refresh) {
    this.dir = dir;
    this.directory = directory;
    this.refreshNanos = refresh.toNanos();
    this.reader = new EmbeddedReader(new EmbeddedReader.Searchers() {
      @Override
      public IndexSearcher acquire() throws StoreException {
        return EmbeddedReadOnlyStore.this.acquire();
      }

      @Override
      public void release(IndexSearcher s) {
        EmbeddedReadOnlyStore.this.release(s);
      }
    });
  }

  private static IndexSearcher emptySearcher() {
    try {
      return new IndexSearcher(new MultiReader());
    } catch (IOException e) {
      throw new IllegalStateException("an empty Lucene reader cannot fail to open", e);
    }
  }

  /** Opens {@code dir} for reading, following new commits at most every second. */
  public static EmbeddedReadOnlyStore open(Path dir) throws StoreException {
    return open(dir, Duration.ofSeconds(1));
  }

  /**
   * Opens {@code dir} for reading, following new commits at most every {@code refresh}.
   *
   * @throws StoreException when {@code dir} exists but is not a directory, cannot be read, or
   *     holds a store of a newer layout
   */
  public static EmbeddedReadOnlyStore open(Path dir, Duration refresh) throws StoreException {
    requireNonNull(dir, "dir");
    requireNonNull(refresh, "refresh");
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      throw new StoreException("store path " + dir + " is not a directory");
    }
    Directory directory;
    try {
      directory = FSDirectory.open(dir);
    } catch (IOException e) {
      throw new StoreException("cannot open store directory " + dir + ": " + e.getMessage(), e);
    }
    EmbeddedReadOnlyStore store = new EmbeddedReadOnlyStore(dir, directory, refresh);
    try {
      store.openIfPresent();
    } catch (StoreException e) {
      try {
        store.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    return store;
  }

  /** Opens the searchers once the writer has made its first commit; false until then. */
  private boolean openIfPresent() throws StoreException {
    synchronized (opening) {
      if (searchers != null) {
        return true;
      }
      try {
        if (!Files.isDirectory(dir) || !DirectoryReader.indexExists(directory)) {
          problem = "store " + dir + " has no index yet (nothing has written to it)";
          return false;
        }
        DirectoryReader r = DirectoryReader.open(directory);
        Map<String, String> data = r.getIndexCommit().getUserData();
        String layout = data.getOrDefault(EmbeddedSpanStore.LAYOUT_KEY, "1");
        if (!layout.equals(EmbeddedSpanStore.LAYOUT)) {
          r.close();
          throw new StoreException(EmbeddedSpanStore.layoutProblem(dir, layout));
        }
        searchers = new SearcherManager(r, null);
        lastRefresh = System.nanoTime();
        problem = "";
        return true;
      } catch (IOException e) {
        problem = "store " + dir + " cannot be read: " + e.getMessage();
        throw new StoreException(problem, e);
      }
    }
  }

  private IndexSearcher acquire() throws StoreException {
    if (closed) {
      throw new StoreException("store " + dir + " is closed");
    }
    SearcherManager m = searchers;
    if (m == null) {
      if (!openIfPresent()) {
        return EMPTY;
      }
      m = searchers;
    }
    long now = System.nanoTime();
    if (now - lastRefresh >= refreshNanos) {
      lastRefresh = now;
      try {
        // non-blocking: when another query is already refreshing, this one reads what is open
        m.maybeRefresh();
      } catch (IOException e) {
        LOG.warn("store {}: following the writer's latest commit failed; reading the previous one: {}", dir,
            e.getMessage());
      }
    }
    try {
      return m.acquire();
    } catch (IOException | org.apache.lucene.store.AlreadyClosedException e) {
      throw new StoreException("store " + dir + " cannot be read: " + e.getMessage(), e);
    }
  }

  private void release(IndexSearcher s) {
    if (s == EMPTY) {
      return;
    }
    try {
      searchers.release(s);
    } catch (IOException | RuntimeException e) {
      LOG.debug("store {}: releasing a searcher failed", dir, e);
    }
  }

  /** Refuses every write: this process only reads. */
  @Override
  public SpanWriter writer() {
    return batch -> {
      throw new StoreException("store " + dir + " is open read-only here; the puller writes it");
    };
  }

  @Override
  public SpanReader reader() {
    return reader;
  }

  /** Healthy once the index exists and reads; failed, with the reason, before and after. */
  @Override
  public Health check() {
    if (closed) {
      return Health.failed("store " + dir + " is closed");
    }
    try {
      if (searchers == null && !openIfPresent()) {
        return Health.failed(problem);
      }
    } catch (StoreException e) {
      return Health.failed(e.getMessage());
    }
    return Health.ok();
  }

  /** Whether the writer has created the index yet (checked now when it had not). */
  public boolean hasIndex() {
    try {
      return searchers != null || openIfPresent();
    } catch (StoreException e) {
      return true; // there is one, it just cannot be read: check() says why
    }
  }

  /** The directory read. */
  public Path directory() {
    return dir;
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    SearcherManager m = searchers;
    try {
      if (m != null) {
        m.close();
      }
    } finally {
      directory.close();
    }
  }
}
