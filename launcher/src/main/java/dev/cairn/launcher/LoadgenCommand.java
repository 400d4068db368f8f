package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.core.model.TraceId;
import dev.cairn.puller.Puller;
import dev.cairn.puller.PullerConfig;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.Trace;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cairn loadgen}: Cairn end to end under load, measured. Three processes, as in
 * production: an application JVM ({@link LoadgenApp}: request threads writing spans through
 * Cairn's tracer and the {@code <SpanFile>} appender), a real {@code cairn shipper} JVM, and this
 * JVM running the puller with the embedded store. Every few seconds, and at the end, it prints
 * spans produced, written and dropped by the application, spans stored (the puller's
 * {@code cairn_puller_spans_stored_total}), and the freshness of sampled traces: from the root
 * span's end to the first moment {@code trace(id)} returns the trace complete. The last line is a
 * JSON summary. See docs/cli.md and docs/puller.md ("Throughput and freshness").
 */
@Command(
    name = "loadgen",
    description = {
        "Runs an application, a shipper and a puller with the embedded store (three JVMs) and "
            + "measures spans/s end to end and freshness (span end -> searchable).",
        "The last line of standard output is a JSON summary."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:the run completed (the figures say how well)",
        "1:a part failed to start or died",
        "2:usage error"})
final class LoadgenCommand implements Callable<Integer> {
  /**
   * How often the sampled traces are looked up: the resolution of the freshness figures. Each
   * round's first lookup makes the store publish what it wrote since the last (a new Lucene
   * segment, as any reader does), so polling faster measures the polling: at 50 ms that was most
   * of this JVM's main thread and many tiny segments to merge.
   */
  private static final long POLL_MILLIS = 100;
  private static final int LOOKUPS_PER_POLL = 32;

  @Spec CommandSpec spec;

  @Option(names = "--threads", paramLabel = "<n>", defaultValue = "2",
      description = "Application request threads, 1...256 (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(names = "--rate", paramLabel = "<spans/s>", defaultValue = "100000",
      description = "Spans per second the application produces, 0 = as fast as it can "
          + "(default: ${DEFAULT-VALUE}). Each trace has " + LoadgenApp.SPANS_PER_TRACE + " spans.")
  long rate;

  @Option(names = "--seconds", paramLabel = "<n>", defaultValue = "30",
      description = "How long the application produces, 1...3600 (default: ${DEFAULT-VALUE}).")
  int seconds;

  @Option(names = "--warmup-seconds", paramLabel = "<n>", defaultValue = "10",
      description = "Seconds of load before the measured ones, 0...600, the rate climbing from a "
          + "tenth to all of it: the JIT compiles the three JVMs' code meanwhile (default: ${DEFAULT-VALUE}).")
  int warmupSeconds;

  @Option(names = "--samples", paramLabel = "<n>", defaultValue = "20",
      description = "Traces per second whose freshness is measured, 1...1000 (default: ${DEFAULT-VALUE}).")
  double samples;

  @Option(names = "--report-seconds", paramLabel = "<n>", defaultValue = "5",
      description = "Seconds between progress lines (default: ${DEFAULT-VALUE}).")
  int reportSeconds;

  @Option(names = "--drain-seconds", paramLabel = "<n>", defaultValue = "60",
      description = "After producing, the longest to wait for the store to catch up (default: ${DEFAULT-VALUE}).")
  int drainSeconds;

  @Option(names = "--dir", paramLabel = "<dir>", defaultValue = "./cairn-loadgen",
      description = "Where the run's span files, journals and store go (a new run-<time> "
          + "directory inside; default: ${DEFAULT-VALUE}).")
  Path dir;

  @Option(names = "--keep", description = "Keep the run directory (deleted at the end otherwise).")
  boolean keep;

  @Option(names = "--ring-size", paramLabel = "<n>", defaultValue = "16384",
      description = "The application's <SpanFile> ringSize (default: ${DEFAULT-VALUE}).")
  int ringSize;

  @Option(names = "--set", paramLabel = "<key=value>",
      description = "A puller key (docs/puller-config.md), e.g. assembly.quietMillis=500; repeatable.")
  List<String> sets = new ArrayList<>();

  @Option(names = "--app-jvm", paramLabel = "<option>",
      description = "A JVM option for the application process, e.g. -Xmx1g; repeatable.")
  List<String> appJvm = new ArrayList<>();

  @Option(names = "--shipper-jvm", paramLabel = "<option>",
      description = "A JVM option for the shipper process; repeatable.")
  List<String> shipperJvm = new ArrayList<>();

  /** Runs this process as the application (started by the parent). */
  @Option(names = "--app", hidden = true)
  boolean app;

  /** The application's ramp-up: the parent's warm-up. */
  @Option(names = "--ramp-seconds", hidden = true, defaultValue = "0")
  int rampSeconds;

  @Override
  public Integer call() throws Exception {
    if (threads < 1 || threads > 256 || seconds < 1 || seconds > 3600 || rate < 0 || samples <= 0
        || samples > 1000 || reportSeconds < 1 || drainSeconds < 1 || warmupSeconds < 0 || warmupSeconds > 600) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--threads 1...256, --seconds 1...3600, "
          + "--warmup-seconds 0...600, --rate >= 0, --samples 1...1000, --report-seconds and --drain-seconds >= 1");
    }
    if (app) {
      new LoadgenApp(threads, rate, seconds, samples, rampSeconds, System.out).run();
      return CairnCommand.EXIT_OK;
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return new Run(out, err).run();
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** One measured run: the three parts, the sampling, the reports. */
  private final class Run {
    private final PrintWriter out;
    private final PrintWriter err;
    private final String command = "cairn loadgen";
    private final ConcurrentLinkedQueue<long[]> freshQueue = new ConcurrentLinkedQueue<>();
    private final List<Sample> pending = new ArrayList<>();
    private final List<Long> freshnessMicros = Collections.synchronizedList(new ArrayList<>());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile long[] appStats = new long[4];
    /** When the application said it started producing; 0 before. */
    private volatile long appStartedNanos;
    private volatile boolean appDone;
    private Path runDir;
    private Process shipper;
    private Process application;
    /** CPU nanoseconds of the application, the shipper and this JVM at the start of the run, and as last seen. */
    private final long[] cpuAtStart = new long[3];
    private final long[] cpuSeen = new long[3];
    /** CPU nanoseconds of each thread of this JVM, at the warm-up's end (0 if started later) and last read. */
    private final Map<Long, long[]> threadCpu = new HashMap<>();
    private final Map<Long, String> threadNames = new HashMap<>();
    /** Application counters and spans stored when the warm-up ended; null before. */
    private long[] baseline;
    /** Wall-clock micros when the warm-up ended: samples that ended before are not measured. */
    private volatile long measuredFromMicros = Long.MAX_VALUE;
    private SpanStore store;
    private Puller puller;

    Run(PrintWriter out, PrintWriter err) {
      this.out = out;
      this.err = err;
    }

    int run() throws Exception {
      try {
        return measure();
      } finally {
        stop();
      }
    }

    private int measure() throws Exception {
      runDir = Files.createDirectories(dir).resolve("run-" + System.currentTimeMillis());
      Path spans = Files.createDirectories(runDir.resolve("spans"));
      String secret = HexFormat.of().formatHex(randomBytes());
      int port = freePort();
      Path shipperYaml = runDir.resolve("shipper.yaml");
      Files.writeString(shipperYaml, """
          name: loadgen-host
          spans: [%s/]
          journal:
            primary: shipper/journal/primary
            replica: shipper/journal/replica
          auth:
            secret: "%s"
          listen: 127.0.0.1:%d
          http: 127.0.0.1:0
          """.formatted(spans.toAbsolutePath(), secret, port), UTF_8);
      out.printf(Locale.ROOT, "%s: %d request threads, %s, for %d s; %d spans per trace; %s samples/s%n", command,
          threads, rate == 0 ? "flat out" : rate + " spans/s", seconds, LoadgenApp.SPANS_PER_TRACE, fmt(samples));
      out.println("  run directory: " + runDir);
      out.flush();

      shipper = new ProcessBuilder(ChildJvm.command(shipperJvm, List.of("shipper", "--config", shipperYaml.toString())))
          .redirectErrorStream(true).redirectOutput(runDir.resolve("shipper.log").toFile()).start();
      if (!awaitPort(port, 60_000)) {
        err.println(command + ": the shipper did not listen on 127.0.0.1:" + port + " within 60 s; see "
            + runDir.resolve("shipper.log"));
        return CairnCommand.EXIT_PROBLEMS;
      }
      List<String> pullerSets = new ArrayList<>(List.of(
          "hosts=loadgen-host@127.0.0.1:" + port,
          "auth.secret=" + secret,
          "store.path=" + runDir.resolve("store"),
          "state=" + runDir.resolve("puller-state"),
          "http=127.0.0.1:0"));
      pullerSets.addAll(sets);
      PullerConfig config;
      try {
        config = PullerConfig.load(null, pullerSets, Map.of(), Map.of());
      } catch (PullerConfig.ConfigException e) {
        err.println(command + ": " + e.getMessage());
        return CairnCommand.EXIT_USAGE;
      }
      store = EmbeddedSpanStore.open(config.storePath());
      puller = Puller.start(config, store);
      out.println("  puller: " + config.describe());
      out.flush();

      List<String> appOptions = new ArrayList<>(List.of(
          "-D" + LoadgenApp.SPANS_DIR_PROPERTY + "=" + spans.toAbsolutePath(),
          "-D" + LoadgenApp.RING_PROPERTY + "=" + ringSize,
          "-Dlog4j2.configurationFile=" + LoadgenApp.CONFIG));
      appOptions.addAll(appJvm);
      application = new ProcessBuilder(ChildJvm.command(appOptions, List.of("loadgen", "--app",
          "--threads", Integer.toString(threads), "--rate", Long.toString(rate), "--seconds",
          Integer.toString(warmupSeconds + seconds), "--samples", Double.toString(samples),
          "--ramp-seconds", Integer.toString(warmupSeconds))))
          .redirectError(runDir.resolve("application.log").toFile()).start();
      Thread reader = new Thread(this::readApplication, "loadgen-app-reader");
      reader.setDaemon(true);
      reader.start();

      long t0 = System.nanoTime();
      long measureFrom = Long.MAX_VALUE; // the warm-up's end, once the application produces
      readCpu();
      long nextReport = t0 + TimeUnit.SECONDS.toNanos(reportSeconds);
      long producingEnd = 0;
      long lastStored = 0;
      long lastProgress = System.nanoTime();
      Interval interval = new Interval(t0, 0, 0);
      long storedAtProducingEnd = -1;
      while (true) {
        pollFreshness();
        readCpu();
        long now = System.nanoTime();
        if (measureFrom == Long.MAX_VALUE && appStartedNanos != 0) {
          measureFrom = appStartedNanos + TimeUnit.SECONDS.toNanos(warmupSeconds);
        }
        if (baseline == null && (now >= measureFrom || appDone)) {
          // the measured run starts: what came before is the warm-up's
          baseline = new long[] {appStats[0], appStats[1], appStats[2], appStats[3], storedSpans()};
          System.arraycopy(cpuSeen, 0, cpuAtStart, 0, 3);
          threadCpu.values().forEach(v -> v[0] = v[1]);
          measuredFromMicros = LoadgenApp.nowMicros();
          freshnessMicros.clear();
          t0 = now;
          interval = new Interval(now, appStats[0], baseline[4]);
          if (warmupSeconds > 0) {
            out.printf(Locale.ROOT, "  warm-up done (%d s); measuring%n", warmupSeconds);
            out.flush();
          }
        }
        if (now >= nextReport) {
          interval = report(interval, now, t0);
          nextReport += TimeUnit.SECONDS.toNanos(reportSeconds);
        }
        if (!application.isAlive() && !appDone) {
          Thread.sleep(200); // let the reader take the last lines
          if (!appDone) {
            err.println(command + ": the application process ended with status " + application.exitValue()
                + " before it finished; see " + runDir.resolve("application.log"));
            return CairnCommand.EXIT_PROBLEMS;
          }
        }
        if (!shipper.isAlive()) {
          err.println(command + ": the shipper process died (status " + shipper.exitValue() + "); see "
              + runDir.resolve("shipper.log"));
          return CairnCommand.EXIT_PROBLEMS;
        }
        if (appDone && producingEnd == 0) {
          producingEnd = now;
          storedAtProducingEnd = storedSpans();
          out.printf(Locale.ROOT, "  the application stopped after %.1f s; waiting for the store to catch up%n",
              (now - t0) / 1e9);
          out.flush();
        }
        if (producingEnd > 0) {
          long stored = storedSpans();
          if (stored != lastStored) {
            lastStored = stored;
            lastProgress = now;
          }
          boolean caughtUp = stored >= appStats[1] && pending.isEmpty() && freshQueue.isEmpty();
          if (caughtUp || now - producingEnd > TimeUnit.SECONDS.toNanos(drainSeconds)
              || now - lastProgress > TimeUnit.SECONDS.toNanos(Math.min(20, drainSeconds))) {
            break;
          }
        }
        Thread.sleep(POLL_MILLIS);
      }
      long end = System.nanoTime();
      summary(t0, producingEnd, end, storedAtProducingEnd - baseline[4]);
      return CairnCommand.EXIT_OK;
    }

    private byte[] randomBytes() {
      byte[] b = new byte[24];
      new SecureRandom().nextBytes(b);
      return b;
    }

    /** The application's lines: samples to measure, and its counters. */
    private void readApplication() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(application.getInputStream(), UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          String[] f = line.split(" ");
          if (f[0].equals("started")) {
            appStartedNanos = System.nanoTime();
          } else if (f[0].equals("sample") && f.length == 3) {
            TraceId id = TraceId.fromHex(f[1]);
            freshQueue.add(new long[] {id.high(), id.low(), Long.parseLong(f[2])});
          } else if ((f[0].equals("stats") || f[0].equals("done")) && f.length == 5) {
            appStats = new long[] {Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                Long.parseLong(f[4])};
            if (f[0].equals("done")) {
              appDone = true;
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        err.println(command + ": reading the application's output failed: " + e);
      }
    }

    /**
     * Asks the store for the oldest sampled traces not yet seen complete; records when each first
     * is. At most {@link #LOOKUPS_PER_POLL} a round: when the pipeline falls behind, samples pile
     * up, and looking every one of them up ten times a second would take the CPU the pipeline
     * needs to catch up. Traces complete about in the order they ended, so the oldest are the ones
     * to ask about; a younger one that completed first is recorded a little late, never early.
     */
    private void pollFreshness() {
      for (long[] s; (s = freshQueue.poll()) != null; ) {
        pending.add(new Sample(new TraceId(s[0], s[1]), s[2]));
      }
      int lookups = 0;
      for (Iterator<Sample> it = pending.iterator(); it.hasNext() && lookups++ < LOOKUPS_PER_POLL; ) {
        Sample s = it.next();
        try {
          Optional<Trace> t = store.reader().trace(s.id);
          if (t.isPresent() && t.get().summary().complete() && t.get().spans().size() == LoadgenApp.SPANS_PER_TRACE) {
            if (s.endMicros >= measuredFromMicros) {
              freshnessMicros.add(LoadgenApp.nowMicros() - s.endMicros);
            }
            it.remove();
          }
        } catch (Exception e) {
          // The store answers next time; a failing store shows in the puller's counters.
        }
      }
    }

    private Interval report(Interval last, long now, long t0) {
      long[] a = appStats;
      long stored = storedSpans();
      double secs = (now - last.nanos) / 1e9;
      Percentiles p = Percentiles.of(freshnessMicros);
      out.printf(Locale.ROOT, "  %5.0f s  produced %,9.0f spans/s  stored %,9.0f spans/s  dropped %,d (ring full %,d)"
              + "  held %,d  freshness p50 %s p99 %s (%d traces, %d waiting)%n",
          (now - t0) / 1e9, (a[0] - last.produced) / secs, (stored - last.stored) / secs, a[3], a[2],
          metric("cairn_puller_held_records"), ms(p.p50), ms(p.p99), p.count, pending.size());
      out.flush();
      return new Interval(now, a[0], stored);
    }

    /**
     * CPU time of the three processes, polled with the freshness lookups: a child's last reading
     * before it exits is its total, short of at most one poll interval.
     */
    private void readCpu() {
      Process[] children = {application, shipper};
      for (int i = 0; i < 2; i++) {
        long nanos = children[i].toHandle().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        cpuSeen[i] = Math.max(cpuSeen[i], nanos);
      }
      if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
        cpuSeen[2] = os.getProcessCpuTime();
      }
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
        long nanos = t == null ? -1 : mx.getThreadCpuTime(t.getThreadId());
        if (nanos >= 0) {
          // the first reading is replaced by the one at the warm-up's end; a thread started
          // after that had no CPU time at its start
          threadCpu.computeIfAbsent(t.getThreadId(), k -> new long[2])[1] = nanos;
          threadNames.putIfAbsent(t.getThreadId(), t.getThreadName().replaceAll("\\d+", "#"));
        }
      }
    }

    /** This JVM's threads by name, their microseconds of CPU per span, largest first. */
    private String threadsPerSpan(long spans) {
      Map<String, Long> byName = new HashMap<>();
      threadCpu.forEach((id, v) -> byName.merge(threadNames.get(id), v[1] - v[0], Long::sum));
      StringBuilder b = new StringBuilder();
      byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
          .forEach(e -> b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
              .append(String.format(Locale.ROOT, "%.2f", e.getValue() / 1e3 / spans)));
      return b.toString();
    }

    /** Microseconds of CPU per span of process {@code i}, -1 when unknown. */
    private double cpuPerSpan(int i, long spans) {
      return cpuSeen[i] <= 0 || spans == 0 ? -1 : (cpuSeen[i] - cpuAtStart[i]) / 1e3 / spans;
    }

    /**
     * The measured run's figures (after the warm-up), and whether everything written in the whole
     * run, warm-up included, was stored.
     */
    private void summary(long t0, long producingEnd, long end, long storedAtProducingEnd) {
      long[] all = appStats;
      long[] a = new long[4];
      for (int i = 0; i < 4; i++) {
        a[i] = all[i] - baseline[i];
      }
      long storedAll = storedSpans();
      long stored = storedAll - baseline[4];
      double producing = (producingEnd - t0) / 1e9;
      double total = (end - t0) / 1e9;
      Percentiles p = Percentiles.of(freshnessMicros);
      int unseen = (int) pending.stream().filter(s -> s.endMicros >= measuredFromMicros).count() + freshQueue.size();
      double producedRate = a[0] / producing;
      double storedRate = storedAtProducingEnd / producing;
      out.println();
      out.printf(Locale.ROOT, "produced  %,d spans in %.1f s after %d s of warm-up: %,.0f spans/s (%d threads%s)%n",
          a[0], producing, warmupSeconds, producedRate, threads, rate == 0 ? ", flat out" : ", target " + rate);
      out.printf(Locale.ROOT, "written   %,d spans to span files; dropped %,d (ring full %,d)%n", a[1], a[3], a[2]);
      out.printf(Locale.ROOT, "stored    %,d spans while producing: %,.0f spans/s; with the warm-up's, %,d of %,d "
          + "written after %.1f s%n", storedAtProducingEnd, storedRate, storedAll, all[1], total);
      out.printf(Locale.ROOT, "freshness span end -> trace complete in the store: p50 %s  p95 %s  p99 %s  max %s "
          + "(%d sampled traces, %d never seen complete)%n", ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max), p.count, unseen);
      double appCpu = cpuPerSpan(0, a[0]);
      double shipperCpu = cpuPerSpan(1, stored);
      double pullerCpu = cpuPerSpan(2, stored);
      out.printf(Locale.ROOT, "CPU       per span: application %.2f µs, shipper %.2f µs, puller + store %.2f µs "
          + "(this JVM, freshness lookups included); %.2f µs in all, or %.1f cores at 100,000 spans/s%n",
          appCpu, shipperCpu, pullerCpu, appCpu + shipperCpu + pullerCpu, (appCpu + shipperCpu + pullerCpu) / 10);
      if (stored > 0) {
        out.printf(Locale.ROOT, "          this JVM's threads, µs per span (the rest is the JVM's own: JIT, GC): %s%n",
            threadsPerSpan(stored));
      }
      JsonWriter j = new JsonWriter().beginObject()
          .name("threads").value(threads).name("targetSpansPerSecond").value(rate)
          .name("warmupSeconds").value(warmupSeconds)
          .name("producingSeconds").value(round(producing)).name("producedSpans").value(a[0])
          .name("producedSpansPerSecond").value(Math.round(producedRate))
          .name("writtenSpans").value(a[1]).name("droppedSpans").value(a[3]).name("droppedRingFull").value(a[2])
          .name("storedSpansWhileProducing").value(storedAtProducingEnd)
          .name("storedSpansPerSecond").value(Math.round(storedRate))
          .name("storedSpans").value(stored).name("totalSeconds").value(round(total))
          .name("producedSpansInAll").value(all[0]).name("writtenSpansInAll").value(all[1])
          .name("storedSpansInAll").value(storedAll)
          .name("freshnessMillis").beginObject()
          .name("p50").value(p.p50 / 1000).name("p95").value(p.p95 / 1000).name("p99").value(p.p99 / 1000)
          .name("max").value(p.max / 1000).name("samples").value(p.count).name("neverComplete").value(unseen)
          .endObject()
          .name("cpuMicrosPerSpan").beginObject()
          .name("application").value(round(appCpu)).name("shipper").value(round(shipperCpu))
          .name("pullerAndStore").value(round(pullerCpu))
          .endObject()
          .name("loadAverage").value(loadAverage())
          .endObject();
      out.println(j);
      out.flush();
    }

    private long storedSpans() {
      return metric("cairn_puller_spans_stored_total");
    }

    /** A value from the puller's own /metrics, as an operator would read it. */
    private long metric(String name) {
      InetSocketAddress a = puller.httpAddress();
      try {
        HttpResponse<Stream<String>> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + a.getPort() + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofLines());
        return r.body().filter(l -> l.startsWith(name + " ")).findFirst()
            .map(l -> (long) Double.parseDouble(l.substring(name.length() + 1))).orElse(-1L);
      } catch (IOException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    private void stop() {
      if (application != null) {
        application.destroyForcibly();
      }
      if (puller != null) {
        puller.close();
      }
      if (store != null) {
        try {
          store.close();
        } catch (IOException e) {
          err.println(command + ": closing the store: " + e);
        }
      }
      if (shipper != null) {
        shipper.destroy(); // SIGTERM: the shipper stops in order
        try {
          if (!shipper.waitFor(30, TimeUnit.SECONDS)) {
            shipper.destroyForcibly();
          }
        } catch (InterruptedException e) {
          shipper.destroyForcibly();
          Thread.currentThread().interrupt();
        }
      }
      if (runDir != null && !keep) {
        try (Stream<Path> files = Files.walk(runDir)) {
          files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
          err.println(command + ": could not delete " + runDir + ": " + e);
        }
      }
    }
  }

  private record Sample(TraceId id, long endMicros) {}

  private record Interval(long nanos, long produced, long stored) {}

  /** Nearest-rank percentiles of microsecond values. */
  record Percentiles(long p50, long p95, long p99, long max, int count) {
    static Percentiles of(List<Long> values) {
      long[] v;
      synchronized (values) {
        v = values.stream().mapToLong(Long::longValue).toArray();
      }
      if (v.length == 0) {
        return new Percentiles(-1, -1, -1, -1, 0);
      }
      Arrays.sort(v);
      return new Percentiles(rank(v, 50), rank(v, 95), rank(v, 99), v[v.length - 1], v.length);
    }

    private static long rank(long[] sorted, int percent) {
      int i = (int) Math.ceil(percent / 100.0 * sorted.length) - 1;
      return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
  }

  private static String ms(long micros) {
    return micros < 0 ? "-" : String.format(Locale.ROOT, "%.0f ms", micros / 1000.0);
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
  }

  private static double round(double d) {
    return Math.round(d * 10) / 10.0;
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg"), UTF_8).trim();
    } catch (IOException e) {
      return "";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static boolean awaitPort(int port, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (System.currentTimeMillis() < deadline) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        return true;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    return false;
  }
}
