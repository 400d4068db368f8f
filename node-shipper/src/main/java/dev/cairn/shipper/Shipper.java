package dev.cairn.shipper;

import dev.cairn.core.internal.ConfigValues;
import dev.cairn.core.internal.OpsHttpServer;
import dev.cairn.core.internal.OpsHttpServer.Health;
import dev.cairn.core.internal.PrometheusText;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The shipper daemon, built from a {@link ShipperConfig}: the journal (primary and replica), the
 * trace index, the span file tailer on its ingest thread, the pull server, the retention job and
 * the HTTP operations endpoint ({@code /metrics}, {@code /health}).
 *
 * <pre>{@code
 * ShipperConfig config = ShipperConfig.load(Path.of("shipper.yaml"), List.of());
 * try (Shipper shipper = Shipper.start(config)) {
 *   awaitSignal();
 * }
 * }</pre>
 *
 * <p><b>Start</b>: opens the journal (which repairs one copy from the other), opens the index and
 * feeds it the journal entries after {@link TraceIndex#durableSeq()}, recovers the tailer (its
 * checkpoint plus a replay of the journal after it), then starts the pull server, the HTTP
 * endpoint, the ingest thread {@value #INGEST_THREAD} and the retention job (every minute). Each
 * step logs what it opened; a failure closes what was opened and throws.
 *
 * <p><b>Health</b>: {@code /health} is DOWN while starting and stopping, when the ingest thread
 * died (an Error: the tailer itself never throws for a file's or the journal's trouble), when
 * ingest passes have only failed for {@value #FAILING_DOWN_MILLIS} ms (a full or failing disk),
 * and when the journal cannot answer.
 *
 * <p><b>Close</b>, each step bounded: stop accepting pulls; let the ingest thread finish its pass,
 * write a final checkpoint and stop; stop retention and save the pullers' mark; close the index and
 * the journal; stop the HTTP endpoint last, so {@code /health} says DOWN while stopping. A kill -9
 * at any point loses nothing: the next start resumes from the journal.
 */
public final class Shipper implements Closeable {
  private static final Logger LOG = LogManager.getLogger(Shipper.class);

  static final String INGEST_THREAD = "cairn-shipper-ingest";
  /** Retention runs this often; cycles are at least five minutes long, so a minute is plenty. */
  static final long RETENTION_PERIOD_SECONDS = 60;
  /** Ingest failing (errors, nothing journaled) for this long makes {@code /health} DOWN. */
  static final long FAILING_DOWN_MILLIS = 30_000;
  /** Sleep of an ingest pass that found nothing new: bounds the delay from flush to journal. */
  static final long IDLE_PARK_MILLIS = 10;
  /** Back-off after a pass that only failed: the tailer logs and counts, this keeps it from spinning. */
  static final long FAILING_PARK_MILLIS = 200;
  static final long INGEST_STOP_MILLIS = 10_000;

  private final ShipperConfig config;
  private final ShipperMetrics metrics = new ShipperMetrics();
  private final long startedMillis = System.currentTimeMillis();
  private final AtomicBoolean closed = new AtomicBoolean();

  private ChronicleJournal journal;
  private SegmentedTraceIndex index;
  private PulledMark pulled;
  private SpanFileTailer tailer;
  private volatile Thread ingest;
  private PullServer server;
  private ScheduledExecutorService retention;
  private OpsHttpServer http;

  private volatile boolean stopping;
  private volatile Throwable ingestDeath;
  /** When the current run of failing passes began; -1 when the last pass did not fail. */
  private volatile long failingSinceMillis = -1;

  private Shipper(ShipperConfig config) {
    this.config = config;
  }

  /**
   * Opens and starts every part.
   *
   * @throws IOException when a part cannot start: a directory that cannot be created, a port in use
   *     (the message names it); everything opened so far is closed again
   */
  public static Shipper start(ShipperConfig config) throws IOException {
    Shipper s = new Shipper(config);
    try {
      s.open();
    } catch (IOException | RuntimeException | Error e) {
      s.close();
      throw e;
    }
    return s;
  }

  private void open() throws IOException {
    long t0 = System.nanoTime();
    LOG.info("Starting cairn shipper '{}' ({})", config.name(), version());
    config.describe().forEach((k, v) -> LOG.info("  {} = {}", k, v));
    for (String w : config.warnings()) {
      LOG.warn(w);
    }
    Path state = config.state();
    try {
      Files.createDirectories(state);
    } catch (IOException e) {
      throw new IOException("cannot create the state directory " + state + ": " + e, e);
    }

    journal = ChronicleJournal.open(config.journalPrimary(), config.journalReplica(), metrics,
        ChronicleJournal.Options.defaults().withCycleLength(cycleLength(config)));
    LOG.info("Journal open: primary {} ({} bytes), replica {} ({} bytes), seq {} to {}, serving from the {}",
        config.journalPrimary(), journal.primaryBytes(), config.journalReplica(), journal.replicaBytes(),
        journal.firstSeq(), journal.lastSeq(), journal.servingFrom().name().toLowerCase(java.util.Locale.ROOT));

    index = SegmentedTraceIndex.builder(state.resolve("index")).open();
    reindex();

    pulled = PulledMark.load(state);
    tailer = new SpanFileTailer(config.spans(), journal, index,
        new CheckpointStore(state.resolve("tailer.checkpoint")), metrics,
        TailerOptions.builder()
            .scanIntervalMillis(config.scanIntervalMillis())
            .idleFinishMillis(config.idleFinishMillis())
            .maxOpenFiles(config.maxOpenFiles())
            .checkWriterProcess(config.checkWriterProcess())
            .build());
    tailer.recover();
    PullServer.Builder b = PullServer.builder(journal, index, config.authSecret(), metrics)
        .listen(config.listen().getAddress().getHostAddress(), config.listen().getPort())
        .shipperName(config.name())
        .maxFrameLength(config.pullMaxFrameBytes())
        .maxBatchBytes(config.pullMaxBatchBytes())
        .maxWaitMillis((int) config.pullMaxWaitMillis())
        .maxConnections(config.pullMaxConnections())
        .statusFields(this::statusFields);
    if (config.tlsCert().isPresent()) {
      b.tls(config.tlsCert().get(), config.tlsKey().orElseThrow());
    }
    server = b.build().start();
    // Both ports are bound before ingest starts: a port in use fails the start before any span
    // file is read. Until then /health says "starting".
    http = MetricsHttpServer.start(config.http(), metrics, this::writeGauges, this::health);

    ingest = new Thread(this::ingestLoop, INGEST_THREAD);
    ingest.setDaemon(true);
    ingest.start();

    retention = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-shipper-retention");
      t.setDaemon(true);
      return t;
    });
    retention.scheduleWithFixedDelay(new RetentionJob(journal, index, pulled, server::lastSeqServed, metrics,
        config.retentionMaxAge(), config.retentionMaxBytes()), 0, RETENTION_PERIOD_SECONDS, TimeUnit.SECONDS);

    LOG.info("Shipper '{}' started in {} ms: pulls on {}, metrics on http://{}/metrics, health on http://{}/health",
        config.name(), (System.nanoTime() - t0) / 1_000_000, ConfigValues.formatAddress(server.address()),
        ConfigValues.formatAddress(http.address()), ConfigValues.formatAddress(http.address()));
  }

  static ChronicleJournal.CycleLength cycleLength(ShipperConfig config) {
    long millis = config.journalRollCycle().toMillis();
    for (ChronicleJournal.CycleLength c : ChronicleJournal.CycleLength.values()) {
      if (c.millis() == millis) {
        return c;
      }
    }
    // ShipperConfig only accepts the lengths listed in ROLL_CYCLES, which are these.
    throw new IllegalStateException("no journal cycle of " + config.journalRollCycle());
  }

  /** Feeds the index the journal entries it had not made durable before the last stop. */
  private void reindex() {
    long t0 = System.nanoTime();
    long from = index.durableSeq() + 1;
    long last = journal.lastSeq();
    long n = 0;
    if (from <= last) {
      try (Journal.Reader r = journal.reader()) {
        r.seek(from);
        for (JournalEntry e; (e = r.next()) != null; ) {
          index.add(e.seq(), e.block());
          n++;
        }
      }
    }
    LOG.info("Trace index {} open: durable to seq {}, {} journal entries indexed again in {} ms",
        config.state().resolve("index"), from - 1, n, (System.nanoTime() - t0) / 1_000_000);
  }

  /** Tests only: runs at the start of every ingest pass (to inject an unexpected failure). */
  volatile Runnable beforePollForTest = () -> { };

  private void ingestLoop() {
    try {
      long lastUnexpectedLogMillis = 0;
      while (!stopping) {
        long errorsBefore = metrics.ingestErrors.sum();
        int blocks;
        try {
          beforePollForTest.run();
          blocks = tailer.pollOnce();
          tailer.checkpointIfDue();
        } catch (RuntimeException e) {
          // The tailer handles what files and the journal throw; anything else is a bug. It must
          // not stop ingest for good: count it, log it at most every 30 s, back off, go on.
          metrics.ingestErrors.increment();
          blocks = 0;
          long now = System.currentTimeMillis();
          if (now - lastUnexpectedLogMillis >= 30_000) {
            lastUnexpectedLogMillis = now;
            LOG.error("Unexpected failure in the ingest loop; retrying (logged at most every 30 s)", e);
          }
        }
        boolean failed = blocks == 0 && metrics.ingestErrors.sum() > errorsBefore;
        if (!failed) {
          failingSinceMillis = -1;
        } else if (failingSinceMillis < 0) {
          failingSinceMillis = System.currentTimeMillis();
        }
        if (blocks == 0 && !stopping) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(failed ? FAILING_PARK_MILLIS : IDLE_PARK_MILLIS));
        }
      }
      tailer.checkpoint();
      LOG.info("Ingest stopped: final checkpoint at journal seq {}", tailer.lastSeq());
    } catch (Throwable t) {
      // Only an Error (out of memory) or a failing final checkpoint gets here. /health turns
      // DOWN; the journal is intact and the next start resumes.
      ingestDeath = t;
      LOG.fatal("The ingest thread died; no more span files are journaled until the shipper is restarted", t);
    } finally {
      tailer.close();
    }
  }

  /** The STATUS fields the pull server adds to its own. */
  private Map<String, String> statusFields() {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("shipper.version", version());
    f.put("shipper.filesTracked", Integer.toString(tailer.filesTracked()));
    f.put("shipper.pulledSeq", Long.toString(pulledSeq()));
    f.put("shipper.ingestAlive", Boolean.toString(ingestAlive()));
    return f;
  }

  private long pulledSeq() {
    long served = server == null ? 0 : server.lastSeqServed();
    return Math.max(served, pulled.get());
  }

  private boolean ingestAlive() {
    return ingest != null && ingest.isAlive() && ingestDeath == null;
  }

  private void writeGauges(PrometheusText out) {
    out.family("cairn_shipper_info", "gauge", "Always 1; the shipper's name and Cairn's version as labels.")
        .sample(1, "name", config.name(), "version", version());
    out.gauge("cairn_shipper_start_time_seconds", "When the shipper started, seconds since the epoch.",
        startedMillis / 1000.0);
    out.gauge("cairn_shipper_ingest_alive", "1 while the ingest thread runs, 0 after it died.", ingestAlive() ? 1 : 0);
    List<FileLag> lag = tailer.lag();
    out.gauge("cairn_shipper_files_tracked", "Span files being followed.", tailer.filesTracked());
    PrometheusText.Family bytes = out.family("cairn_shipper_file_lag_bytes", "gauge",
        "Per followed span file, bytes written but not journaled yet.");
    for (FileLag l : lag) {
      bytes.sample(l.unreadBytes(), "file", l.path().map(Path::toString).orElse(""), "id", l.fileId().toString());
    }
    PrometheusText.Family age = out.family("cairn_shipper_file_lag_seconds", "gauge",
        "Per followed span file, how long it has had bytes not journaled yet (0 when caught up).");
    for (FileLag l : lag) {
      age.sample(l.oldestUnreadAgeMillis() / 1000.0, "file", l.path().map(Path::toString).orElse(""),
          "id", l.fileId().toString());
    }
    out.family("cairn_shipper_journal_bytes", "gauge", "Bytes on disk of each journal copy.")
        .sample(journal.primaryBytes(), "copy", "primary")
        .sample(journal.replicaBytes(), "copy", "replica");
    out.gauge("cairn_shipper_journal_first_seq", "Sequence number of the oldest block retained.", journal.firstSeq());
    out.gauge("cairn_shipper_journal_last_seq", "Sequence number of the newest block (0: none yet).", journal.lastSeq());
    Journal.Source from = journal.servingFrom();
    out.family("cairn_shipper_journal_serving_from", "gauge",
        "1 for the journal copy pullers are served from, 0 for the other.")
        .sample(from == Journal.Source.PRIMARY ? 1 : 0, "copy", "primary")
        .sample(from == Journal.Source.REPLICA ? 1 : 0, "copy", "replica");
    out.gauge("cairn_shipper_pulled_seq", "The highest sequence number any puller has pulled (kept across restarts).",
        pulledSeq());
  }

  private Health health() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("name", config.name());
    facts.put("version", version());
    facts.put("uptimeSeconds", (System.currentTimeMillis() - startedMillis) / 1000);
    if (stopping) {
      return Health.down("stopping", facts);
    }
    if (ingest == null) {
      return Health.down("starting", facts);
    }
    try {
      facts.put("firstSeq", journal.firstSeq());
      facts.put("lastSeq", journal.lastSeq());
      facts.put("servingFrom", journal.servingFrom().name());
    } catch (RuntimeException e) {
      return Health.down("journal unusable: " + e, facts);
    }
    facts.put("filesTracked", tailer.filesTracked());
    facts.put("pulledSeq", pulledSeq());
    Throwable death = ingestDeath;
    if (death != null) {
      return Health.down("ingest thread died: " + death, facts);
    }
    if (!ingestAlive()) {
      return Health.down("ingest thread is not running", facts);
    }
    long since = failingSinceMillis;
    long failing = since < 0 ? 0 : System.currentTimeMillis() - since;
    if (failing >= FAILING_DOWN_MILLIS) {
      return Health.down("ingest has failed for " + failing / 1000
          + " s (journal or span file errors; see the log)", facts);
    }
    return Health.up(facts);
  }

  /** The address pullers connect to (with the actual port when 0 was configured). */
  public InetSocketAddress pullAddress() {
    return server.address();
  }

  /** The address of {@code /metrics} and {@code /health}. */
  public InetSocketAddress httpAddress() {
    return http.address();
  }

  /** Stops every part, in order, each step bounded (see the class comment). Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long t0 = System.nanoTime();
    LOG.info("Stopping shipper '{}'", config.name());
    stopping = true;
    boolean ingestStopped = true;
    if (server != null) {
      closeQuietly("pull server", server);
    }
    if (ingest != null) {
      LockSupport.unpark(ingest);
      try {
        ingest.join(INGEST_STOP_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ingestStopped = !ingest.isAlive();
    } else if (tailer != null) {
      tailer.close();
    }
    if (retention != null) {
      retention.shutdown();
      try {
        if (!retention.awaitTermination(5, TimeUnit.SECONDS)) {
          LOG.warn("Retention still running after 5 s; left to finish on its own");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (pulled != null) {
      try {
        if (server != null) {
          pulled.advance(server.lastSeqServed());
        }
        pulled.saveIfChanged();
      } catch (IOException e) {
        LOG.warn("Cannot save the pullers' high-water mark {}: {}", pulled.file(), e.toString());
      }
    }
    if (ingestStopped) {
      if (index != null) {
        closeQuietly("trace index", index);
      }
      if (journal != null) {
        closeQuietly("journal", journal);
      }
    } else {
      // Closing the journal under a thread that may be appending could tear an entry; leaving it
      // open is safe: the process is about to exit, and the next start recovers from the journal.
      LOG.error("The ingest thread did not stop within {} ms; leaving the journal and the index open",
          INGEST_STOP_MILLIS);
    }
    if (http != null) {
      closeQuietly("HTTP endpoint", http);
    }
    LOG.info("Shipper '{}' stopped in {} ms", config.name(), (System.nanoTime() - t0) / 1_000_000);
  }

  private static void closeQuietly(String what, Closeable c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      LOG.error("Closing the {} failed: {}", what, e.toString(), e);
    }
  }

  static String version() {
    String v = Shipper.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
