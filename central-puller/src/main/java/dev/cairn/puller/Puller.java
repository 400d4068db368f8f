package dev.cairn.puller;

import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.internal.OpsHttpServer;
import dev.cairn.core.internal.OpsHttpServer.Health;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanStores;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.WriteResult;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;

/**
 * The central puller daemon: pulls blocks from every configured shipper, rebuilds traces and
 * writes them to the store (docs/puller.md).
 *
 * <ul>
 *   <li>A Quartz scheduler (RAM job store) runs one {@link PullJob} per host, never two of one
 *       host at once, at most {@code pull.concurrency} hosts at a time. A run connects (or reuses
 *       the host's connection), then long-polls PULL from the host's cursor for a bounded time,
 *       decodes the blocks and hands them to the assembly thread. An unreachable host backs off
 *       exponentially; the others go on.
 *   <li>One assembly thread ({@link AssemblyLoop}) owns the {@link TraceAssembler}: the bounded
 *       queue between the jobs and it, and {@code hasCapacity()}, hold pulling back when storing
 *       falls behind.
 *   <li>Cursors are the assembler's safe cursors, saved atomically every second and at stop, so
 *       they never run ahead of what the store acknowledged: {@code kill -9} loses nothing, and the
 *       idempotent store absorbs the blocks pulled again.
 * </ul>
 *
 * <pre>{@code
 * try (Puller puller = Puller.start(PullerConfig.load(Path.of("puller.yaml"), List.of()))) {
 *   ... // until SIGTERM
 * }
 * }</pre>
 */
public final class Puller implements Closeable {
  static final String CONTEXT_KEY = "cairn.puller";
  private static final Logger LOG = LogManager.getLogger(Puller.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final String GROUP = "cairn-pull";
  /** How long one job run pulls before it lets another host have the thread. */
  static final long RUN_MILLIS = 10_000;
  private static final long REPEAT_MILLIS = 100;
  /** Spans and log lines per store write at most; parts waiting for the store are merged up to it. */
  static final int WRITE_RECORDS = 20_000;
  /** How often a host that is behind is asked for its lag in bytes and seconds. */
  private static final long STATUS_MILLIS = 1_000;

  private final PullerConfig config;
  private final byte[] secret;
  private final String clientName;
  private final PullerMetrics metrics = new PullerMetrics();
  private final Map<String, HostState> hosts = new ConcurrentHashMap<>();
  private final TokenBucket bucket;
  private final long startedAt = System.currentTimeMillis();

  private SpanStore store;
  /** Whether {@link #close()} closes the store (false when the caller handed it in). */
  private boolean ownsStore = true;
  private AssemblyLoop assembly;
  private Thread assemblyThread;
  private Scheduler scheduler;
  private ScheduledExecutorService watcher;
  private OpsHttpServer http;
  private volatile PullerConfig current;
  private volatile long configStamp;
  private volatile String state = "starting";
  private volatile boolean stopping;

  private Puller(PullerConfig config) {
    this.config = config;
    this.current = config;
    this.secret = config.authSecret();
    this.bucket = new TokenBucket(config.pullBytesPerSecond());
    String me;
    try {
      me = java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      me = "localhost";
    }
    this.clientName = "cairn-puller@" + me;
  }

  /**
   * Opens the store and the cursors, starts the assembly thread, the HTTP endpoint, the pull jobs
   * and the host list watcher.
   *
   * @throws IOException when the store, the state directory or the HTTP address cannot be used
   */
  public static Puller start(PullerConfig config) throws IOException {
    return start(config, null);
  }

  /**
   * Like {@link #start(PullerConfig)}, writing to a store the caller opened and keeps (one JVM
   * that also serves queries from it, like {@code cairn all-in-one}); {@code config}'s store keys
   * are then ignored and {@link #close()} leaves the store open.
   */
  public static Puller start(PullerConfig config, SpanStore store) throws IOException {
    Puller p = new Puller(config);
    if (store != null) {
      p.store = store;
      p.ownsStore = false;
    }
    try {
      p.open();
    } catch (IOException | RuntimeException e) {
      p.close();
      throw e;
    }
    return p;
  }

  private void open() throws IOException {
    LOG.info("Starting the puller: {}", config.describe());
    if (config.hosts().isEmpty()) {
      LOG.warn("no hosts configured yet; add some to hosts (the file is watched)");
    }
    CursorStore cursors = new CursorStore(config.state());
    Map<String, Long> saved = cursors.load();
    LOG.info("cursors from {}: {}", config.state().resolve(CursorStore.FILE), saved);
    if (store == null) {
      try {
        store = config.storeType().equals("embedded") ? EmbeddedSpanStore.open(config.storePath())
            : SpanStores.open(config.storeType(), config.storeSettings());
      } catch (StoreException | IllegalArgumentException e) {
        throw new IOException("cannot open the " + config.storeType() + " store"
            + (config.storePath() != null ? " at " + config.storePath() : "") + ": " + e.getMessage(), e);
      }
    }
    SpanWriter timed = batch -> {
      long t0 = System.nanoTime();
      try {
        WriteResult r = store.writer().write(batch);
        metrics.spansStored.add(r.spansStored());
        metrics.spansAlreadyStored.add(r.spansAlreadyPresent());
        return r;
      } catch (StoreException | RuntimeException e) {
        metrics.storeErrors.increment();
        throw e;
      } finally {
        metrics.observeWrite(System.nanoTime() - t0);
      }
    };
    TraceAssembler.Builder b = TraceAssembler.builder(timed)
        .reader(store.reader())
        .quietMillis(config.assemblyQuietMillis())
        .maxWaitMillis(config.assemblyMaxWaitMillis())
        .gapFetchMillis(config.assemblyGapFetchMillis())
        .maxHeldRecords(config.assemblyMaxHeldRecords())
        .maxBatchRecords(WRITE_RECORDS)
        .writeBehind(true)
        .storeHealth(() -> store.check().healthy());
    for (PullerConfig.Host h : config.hosts()) {
      hosts.put(h.name(), new HostState(h, saved.getOrDefault(h.name(), 0L)));
    }
    assembly = new AssemblyLoop(b, cursors, saved, metrics, () -> new ArrayList<>(hosts.values()),
        config.pullMaxBytes());
    assemblyThread = new Thread(assembly, "cairn-puller-assembly");
    assemblyThread.start();
    http = PullerHttpServer.start(config.http(), this::metricsText, this::health);
    LOG.info("/metrics and /health on {}", http.address());
    startScheduler();
    for (HostState h : hosts.values()) {
      schedule(h);
    }
    configStamp = stamp();
    watcher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-puller-config-watch");
      t.setDaemon(true);
      return t;
    });
    watcher.scheduleWithFixedDelay(this::checkHostsFile, 1, 1, TimeUnit.SECONDS);
    state = "up";
  }

  private void startScheduler() throws IOException {
    Properties p = new Properties();
    p.setProperty("org.quartz.scheduler.instanceName", "cairn-puller-" + INSTANCES.incrementAndGet());
    p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    p.setProperty("org.quartz.threadPool.class", "org.quartz.simpl.SimpleThreadPool");
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(config.pullConcurrency()));
    p.setProperty("org.quartz.threadPool.threadNamePrefix", "cairn-pull");
    p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "1000");
    try {
      scheduler = new StdSchedulerFactory(p).getScheduler();
      scheduler.getContext().put(CONTEXT_KEY, this);
      scheduler.start();
    } catch (SchedulerException e) {
      throw new IOException("cannot start the Quartz scheduler: " + e.getMessage(), e);
    }
  }

  private void schedule(HostState h) {
    JobDetail job = JobBuilder.newJob(PullJob.class).withIdentity(h.name(), GROUP)
        .usingJobData(PullJob.HOST, h.name()).build();
    Trigger trigger = TriggerBuilder.newTrigger().withIdentity(h.name(), GROUP).startNow()
        .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(REPEAT_MILLIS)
            .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
        .build();
    try {
      scheduler.scheduleJob(job, trigger);
      LOG.info("pulling {} from cursor {}", h.host, h.cursor);
    } catch (SchedulerException e) {
      LOG.error("cannot schedule the pull job of {}: {}", h.host, e.toString(), e);
    }
  }

  // --- one pull run (a Quartz job thread) -------------------------------------------------------

  /** One bounded run for {@code name}: connect if needed, then PULL until the run's time is up. */
  void pullRun(String name) {
    HostState h = hosts.get(name);
    if (h == null || h.removed || stopping) {
      return;
    }
    long now = System.currentTimeMillis();
    if (now < h.nextAttemptAtMillis) {
      return;
    }
    long deadline = now + RUN_MILLIS;
    BlockDecoder decoder = new BlockDecoder();
    try {
      ShipperClient c = connected(h);
      while (!stopping && !h.removed && System.currentTimeMillis() < deadline) {
        if (!assembly.hasCapacity()) {
          Thread.sleep(50); // the assembler is at its memory bound: let the store catch up
          continue;
        }
        long cursor = h.cursor;
        int wait = config.pullMaxWaitMillis();
        ShipperClient.Batch batch = c.pull(cursor, config.pullMaxBytes(), wait)
            .get(wait + 30_000L, TimeUnit.MILLISECONDS);
        h.pulls.increment();
        h.lastSeq = batch.lastSeq();
        long lost = batch.lostSince(cursor);
        if (lost > 0) {
          h.lostBlocks.add(lost);
          LOG.warn("{}: {} blocks (seq {} to {}) were deleted by the shipper's retention before they were "
              + "pulled; they are lost to the store", h.host, lost, Math.max(cursor, 1), batch.firstSeq() - 1);
        }
        if (batch.entries().isEmpty() && batch.lastSeq() + 1 < cursor) {
          h.errors.increment();
          LOG.warn("{}: the shipper's journal ends at seq {} but our cursor is {}: its journal was replaced or "
              + "restored; pulling it again from its oldest block {}", h.host, batch.lastSeq(), cursor, batch.firstSeq());
          h.cursor = batch.firstSeq();
          continue;
        }
        long bytes = 0;
        for (ShipperClient.Entry e : batch.entries()) {
          List<Object> records = new ArrayList<>();
          try {
            decoder.decode(e.toBlock(), new RecordVisitor() {
              @Override
              public void span(SpanRecord span) {
                records.add(span);
              }

              @Override
              public void log(LogRecord log) {
                records.add(log);
              }
            });
          } catch (FormatException ex) {
            h.corruptBlocks.increment();
            LOG.warn("{}: block seq {} (file {} offset {}) does not decode; skipped: {}", h.host, e.seq(),
                e.fileId(), e.offset(), ex.getMessage());
            records.clear();
          }
          if (!assembly.offer(new AssemblyLoop.Decoded(h.name(), e.seq(), records))) {
            return; // stopping: this block and the rest are pulled again next time
          }
          for (Object r : records) {
            if (r instanceof SpanRecord) {
              h.spans.increment();
            } else {
              h.logs.increment();
            }
          }
          h.blocks.increment();
          bytes += e.block().length;
          h.cursor = e.seq() + 1;
        }
        h.cursor = Math.max(h.cursor, batch.nextCursor());
        h.bytes.add(bytes);
        updateLag(h, c);
        h.failuresInARow = 0;
        h.backoffMillis = 0;
        bucket.take(bytes);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      failed(h, e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e);
    }
  }

  /**
   * Caught up: no lag. Behind: at most once a second, asks the shipper (STATUS, answered at once
   * between two PULLs) how many bytes it holds beyond our cursor and how old the oldest of those
   * blocks is.
   */
  private void updateLag(HostState h, ShipperClient c)
      throws InterruptedException, ExecutionException, TimeoutException {
    long now = System.currentTimeMillis();
    if (h.lagBlocks() <= 0) {
      h.lagSinceMillis = 0;
      h.lagBytes = 0;
      h.lagMillis = 0;
      return;
    }
    if (h.lagSinceMillis == 0) {
      h.lagSinceMillis = now;
    }
    if (now - h.lastStatusMillis < STATUS_MILLIS) {
      return;
    }
    h.lastStatusMillis = now;
    Map<String, String> status = c.status().get(30, TimeUnit.SECONDS);
    h.lagBytes = number(status.get("lag.bytes"));
    h.lagMillis = number(status.get("lag.millis"));
  }

  private static long number(String value) {
    try {
      return value == null ? -1 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private ShipperClient connected(HostState h) throws InterruptedException, ExecutionException, TimeoutException {
    ShipperClient c = h.client;
    if (c != null && c.isOpen()) {
      return c;
    }
    h.closeClient();
    ShipperClient.Builder b = ShipperClient.builder(h.host.host(), h.host.port(), secret)
        .clientName(clientName)
        .maxBytes(config.pullMaxBytes())
        .connectTimeout(Duration.ofSeconds(5));
    config.tlsCa().ifPresent(b::tls);
    c = b.connect().get(20, TimeUnit.SECONDS);
    if (h.removed || stopping) {
      c.close();
      throw new IllegalStateException("stopping");
    }
    h.client = c;
    h.up = true;
    h.lastError = "";
    LOG.info("{}: connected to shipper {} (host {}), pulling from cursor {}", h.host, c.shipperName(),
        c.shipperHost(), h.cursor);
    return c;
  }

  private void failed(HostState h, Throwable e) {
    h.closeClient();
    if (stopping || h.removed) {
      return;
    }
    h.errors.increment();
    h.up = false;
    h.failuresInARow++;
    h.backoffMillis = h.backoffMillis == 0 ? config.backoffInitialMillis()
        : Math.min(config.backoffMaxMillis(), h.backoffMillis * 2);
    h.nextAttemptAtMillis = System.currentTimeMillis() + h.backoffMillis;
    h.lastError = String.valueOf(e.getMessage());
    if (h.failuresInARow == 1) {
      LOG.warn("{}: {}; retrying with back-off from {} ms up to {} ms", h.host, e.getMessage(),
          config.backoffInitialMillis(), config.backoffMaxMillis());
    } else {
      LOG.debug("{}: still failing ({} in a row): {}", h.host, h.failuresInARow, e.getMessage());
    }
  }

  // --- host list reload -------------------------------------------------------------------------

  private long stamp() {
    return config.file().map(f -> {
      try {
        return Files.getLastModifiedTime(f).toMillis() * 31 + Files.size(f);
      } catch (IOException e) {
        return -1L;
      }
    }).orElse(0L);
  }

  private void checkHostsFile() {
    try {
      long s = stamp();
      if (s == configStamp || s == -1) {
        return;
      }
      configStamp = s;
      reloadHosts();
    } catch (RuntimeException e) {
      LOG.error("host list reload failed: {}", e.toString(), e);
    }
  }

  /** Reads the configuration again and adds and removes pull jobs to match its host list. */
  synchronized void reloadHosts() {
    PullerConfig next;
    try {
      next = current.reload();
    } catch (PullerConfig.ConfigException e) {
      metrics.hostReloadErrors.increment();
      LOG.error("the changed configuration is not valid; keeping the current hosts: {}", e.getMessage());
      return;
    }
    metrics.hostReloads.increment();
    if (!next.restartOnly().equals(current.restartOnly())) {
      LOG.warn("settings other than hosts changed; they take effect at the next restart");
    }
    Map<String, PullerConfig.Host> wanted = new LinkedHashMap<>();
    next.hosts().forEach(h -> wanted.put(h.name(), h));
    for (HostState h : new ArrayList<>(hosts.values())) {
      PullerConfig.Host w = wanted.get(h.name());
      if (w == null || !w.equals(h.host)) {
        removeHost(h);
      }
    }
    Map<String, Long> saved = assembly.savedCursors();
    for (PullerConfig.Host w : wanted.values()) {
      if (!hosts.containsKey(w.name())) {
        HostState h = new HostState(w, saved.getOrDefault(w.name(), 0L));
        hosts.put(w.name(), h);
        schedule(h);
      }
    }
    current = next;
    LOG.info("host list reloaded: {}", next.hosts());
  }

  private void removeHost(HostState h) {
    h.removed = true;
    hosts.remove(h.name());
    try {
      scheduler.deleteJob(new JobKey(h.name(), GROUP));
    } catch (SchedulerException e) {
      LOG.warn("cannot remove the pull job of {}: {}", h.host, e.toString());
    }
    h.closeClient();
    LOG.info("{}: removed from the host list; no longer pulled", h.host);
  }

  // --- operations ---------------------------------------------------------------------------------

  /** The address of {@code /metrics} and {@code /health}. */
  public InetSocketAddress httpAddress() {
    return http.address();
  }

  /** The hosts pulled now, by name. */
  public List<String> hostNames() {
    return List.copyOf(hosts.keySet());
  }

  String metricsText() {
    return PullerHttpServer.render(this);
  }

  Map<String, HostState> hostStates() {
    return hosts;
  }

  /** The store this puller writes to; for tests in this package. */
  SpanStore store() {
    return store;
  }

  PullerMetrics metrics() {
    return metrics;
  }

  AssemblyLoop assembly() {
    return assembly;
  }

  long startedAtMillis() {
    return startedAt;
  }

  Health health() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("uptimeSeconds", (System.currentTimeMillis() - startedAt) / 1000);
    facts.put("hosts", hosts.size());
    facts.put("hostsUp", hosts.values().stream().filter(h -> h.up).count());
    if (!state.equals("up")) {
      return Health.down(state, facts);
    }
    if (!assembly.alive()) {
      return Health.down("the assembly thread died", facts);
    }
    SpanStore.Health s = store.check();
    if (!s.healthy()) {
      return Health.down("store: " + s.message(), facts);
    }
    AssemblerStats a = assembly.stats();
    facts.put("spansHeld", a.spansHeld());
    facts.put("tracesQueued", a.tracesQueued());
    return Health.up(facts);
  }

  /**
   * Stops in order: no new pulls (jobs end, connections close), the assembly thread drains its
   * queue, {@code flushAll()}s to the store and saves the final cursors; then the store and the
   * HTTP endpoint close. Bounded: about 30 s at worst (a store that keeps failing).
   */
  @Override
  public void close() {
    if (stopping) {
      return;
    }
    stopping = true;
    state = "stopping";
    LOG.info("Stopping the puller");
    if (watcher != null) {
      watcher.shutdownNow();
    }
    if (scheduler != null) {
      try {
        scheduler.standby();
      } catch (SchedulerException e) {
        LOG.warn("scheduler standby: {}", e.toString());
      }
    }
    hosts.values().forEach(HostState::closeClient); // pending long-polls fail at once
    if (scheduler != null) {
      try {
        scheduler.shutdown(true);
      } catch (SchedulerException e) {
        LOG.warn("scheduler shutdown: {}", e.toString());
      }
    }
    if (assembly != null) {
      assembly.stop();
      try {
        assemblyThread.join(30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (store != null && ownsStore) {
      try {
        store.close();
      } catch (IOException e) {
        LOG.error("closing the store: {}", e.toString(), e);
      }
    }
    if (http != null) {
      http.close();
    }
    LOG.info("The puller stopped");
  }
}
