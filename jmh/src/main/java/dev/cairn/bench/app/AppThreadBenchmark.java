package dev.cairn.bench.app;

import dev.cairn.Cairn;
import dev.cairn.appender.SpanFileStats;
import dev.cairn.appender.SpanFiles;
import dev.cairn.bench.BenchFiles;
import dev.cairn.bench.CountingExporter;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.async.AsyncLoggerConfig;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.jmx.RingBufferAdminMBean;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The application thread's cost of one server span: start it, set its attributes, end it. Cairn
 * (its OpenTelemetry implementation handing spans to a {@code <SpanFile>} appender that writes a
 * real file) next to the OpenTelemetry SDK at its cheapest (BatchSpanProcessor, no-op exporter)
 * and next to Log4j2's async logger writing the same span as one JSON line. Two span shapes
 * ({@code shape}): 4 attributes, and 10 attributes with an event.
 *
 * <p><b>Bursts, so the figure is the published path.</b> An application thread in a tight loop
 * makes spans five times faster than one writer thread encodes them; in a steady-state loop the
 * ring fills and most spans take the (cheaper) drop path, which is not what a service sees. So
 * each measured iteration is one burst of {@value #BURST} spans per thread (smaller than every
 * queue involved: Cairn's ring, the SDK's queue, Log4j2's ring), and after each iteration, outside
 * the measurement, the benchmark waits until the background thread has taken every span (Cairn:
 * written to the file; SDK: exported; Log4j2: ring empty). Every span measured is a published one;
 * the tear-down prints what was published, written and dropped, and a run with drops says so.
 * The background threads run during the burst, competing for the cores as they would in a service.
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar AppThreadBenchmark -prof gc          # 1 thread
 * java -jar jmh/target/benchmarks.jar AppThreadBenchmark -prof gc -t 2     # 2 threads
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 100)
@Measurement(iterations = 200)
@Fork(value = 3, jvmArgsAppend = {"-Xmx2g", "-Dlog4j2.configurationFile=cairn-bench-log4j2.xml"})
public class AppThreadBenchmark {
  /** Spans per thread per measured iteration; well below every queue's capacity (16,384). */
  static final int BURST = 4096;
  private static final long DRAIN_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** One Log4j2 context for the whole fork: a SpanFile appender and an async JSON logger. */
  @State(Scope.Benchmark)
  public static class Logging {
    Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("cairn-bench-app");
      System.setProperty("cairn.bench.dir", dir.toString());
      ((LoggerContext) LogManager.getContext(false)).reconfigure();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      Configurator.shutdown((LoggerContext) LogManager.getContext(false));
      BenchFiles.deleteTree(dir);
    }
  }

  /** Which span the application makes. */
  @State(Scope.Benchmark)
  public static class Shape {
    /** {@code 4attrs}: a server span with 4 attributes; {@code 10attrs+event}: 10 and an event. */
    @Param({"4attrs", "10attrs+event"})
    String shape;
    boolean rich;

    @Setup(Level.Trial)
    public void setUp() {
      rich = shape.startsWith("10");
    }
  }

  @State(Scope.Benchmark)
  public static class CairnState {
    Tracer tracer;
    final LongAdder made = new LongAdder();
    SpanFileStats before;

    @Setup(Level.Trial)
    public void setUp(Logging logging) {
      tracer = Cairn.openTelemetry("bench").getTracer("bench.http");
      before = stats();
    }

    /** Outside the measurement: waits until the writer has put every span of the burst on disk. */
    @TearDown(Level.Iteration)
    public void drain() {
      long expected = before.spansWritten() + before.dropped() + made.sum();
      await(() -> {
        SpanFileStats s = stats();
        return s.spansWritten() + s.dropped() >= expected;
      }, "the SpanFile writer");
    }

    @TearDown(Level.Trial)
    public void report() {
      SpanFileStats s = stats();
      long written = s.spansWritten() - before.spansWritten();
      long ringFull = s.droppedRingFull() - before.droppedRingFull();
      long dropped = s.dropped() - before.dropped();
      System.out.printf("%ncairn: %,d spans made, %,d written to the span file, %,d dropped"
          + " (ring full %,d)%s%n", made.sum(), written, dropped, ringFull,
          dropped == 0 ? "" : " -- DROPS: the figure includes the drop path");
    }

    static SpanFileStats stats() {
      return SpanFiles.stats("spans").orElseThrow(
          () -> new IllegalStateException("no SpanFile appender 'spans': check cairn-bench-log4j2.xml"));
    }
  }

  @State(Scope.Benchmark)
  public static class OtelSdkState {
    SdkTracerProvider provider;
    Tracer tracer;
    final CountingExporter exporter = new CountingExporter(false);
    final LongAdder made = new LongAdder();

    @Setup(Level.Trial)
    public void setUp() {
      // The SDK's cheapest real set-up. Its queue is as large as Cairn's ring, so neither drops.
      provider = SdkTracerProvider.builder()
          .addSpanProcessor(BatchSpanProcessor.builder(exporter)
              .setMaxQueueSize(16_384)
              .setScheduleDelay(10, TimeUnit.MILLISECONDS)
              .build())
          .build();
      tracer = provider.get("bench.http");
    }

    @TearDown(Level.Iteration)
    public void drain() {
      // Exports whatever the processor still queues; dropped spans would show in the trial report.
      provider.forceFlush().join(30, TimeUnit.SECONDS);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      provider.shutdown().join(10, TimeUnit.SECONDS);
      long dropped = made.sum() - exporter.exported();
      System.out.printf("%notel sdk: %,d spans made, %,d exported, %,d dropped%s%n", made.sum(),
          exporter.exported(), dropped, dropped == 0 ? "" : " -- DROPS: the figure includes the drop path");
    }
  }

  @State(Scope.Benchmark)
  public static class Log4jState {
    Logger json;
    RingBufferAdminMBean ring;
    long lines;

    @Setup(Level.Trial)
    public void setUp(Logging logging) {
      json = LogManager.getLogger("bench.json");
      LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
      AsyncLoggerConfig config = (AsyncLoggerConfig) ctx.getConfiguration().getLoggerConfig("bench.json");
      ring = config.createRingBufferAdmin(ctx.getName());
    }

    @TearDown(Level.Iteration)
    public void drain() {
      await(() -> ring.getRemainingCapacity() == ring.getBufferSize(), "Log4j2's async logger");
    }
  }

  /**
   * The application thread's CPU time per span, printed at the end of the trial: on a shared
   * machine, time spent descheduled inflates the wall-clock score but not this.
   */
  @State(Scope.Thread)
  public static class CpuTime {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    long cpuNanos;
    long spans;
    private long started;

    void start() {
      started = THREADS.getCurrentThreadCpuTime();
    }

    void stop() {
      cpuNanos += THREADS.getCurrentThreadCpuTime() - started;
      spans += BURST;
    }

    @Setup(Level.Iteration)
    public void warmupReset(org.openjdk.jmh.infra.IterationParams iteration) {
      if (iteration.getType() == org.openjdk.jmh.runner.IterationType.WARMUP) {
        cpuNanos = 0;
        spans = 0;
      }
    }

    @TearDown(Level.Trial)
    public void report() {
      System.out.printf("%n%s: application thread CPU time %.1f ns/span over %,d measured spans%n",
          Thread.currentThread().getName(), (double) cpuNanos / Math.max(1, spans), spans);
    }
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public void cairn(CairnState s, Shape shape, CpuTime cpu) {
    cpu.start();
    burst(s.tracer, shape.rich);
    cpu.stop();
    s.made.add(BURST);
  }

  /** Cairn's tracer alone, for the break-down: the same spans handed to a sink that drops them. */
  @State(Scope.Benchmark)
  public static class TracerOnlyState {
    Tracer tracer;

    @Setup(Level.Trial)
    public void setUp() {
      tracer = Cairn.builder("bench").sink(span -> true).build().getTracer("bench.http");
    }
  }

  /** Not an alternative: what {@link #cairn} costs without the hand-off to the appender's ring. */
  @Benchmark
  @OperationsPerInvocation(BURST)
  public void cairnTracerOnly(TracerOnlyState s, Shape shape, CpuTime cpu) {
    cpu.start();
    burst(s.tracer, shape.rich);
    cpu.stop();
  }

  @Benchmark
  @OperationsPerInvocation(BURST)
  public void otelSdk(OtelSdkState s, Shape shape, CpuTime cpu) {
    cpu.start();
    burst(s.tracer, shape.rich);
    cpu.stop();
    s.made.add(BURST);
  }

  /** What a team without a tracer might do: time the request and log one JSON line. */
  @Benchmark
  @OperationsPerInvocation(BURST)
  public void log4j2AsyncJsonLine(Log4jState s, Shape shape, CpuTime cpu) {
    cpu.start();
    Logger json = s.json;
    if (shape.rich) {
      for (int i = 0; i < BURST; i++) {
        richLine(json);
      }
    } else {
      for (int i = 0; i < BURST; i++) {
        httpLine(json);
      }
    }
    cpu.stop();
  }

  /**
   * The floor under every tracer here: the two clock reads that give a span its start and its
   * duration ({@code System.nanoTime()}, as Cairn and the SDK read it).
   */
  @Benchmark
  @OperationsPerInvocation(BURST)
  public void clockReadsOnly(Blackhole bh) {
    for (int i = 0; i < BURST; i++) {
      long start = System.nanoTime();
      bh.consume(System.nanoTime() - start);
    }
  }

  /** One burst of spans through the OpenTelemetry API: the same calls for every tracer. */
  private static void burst(Tracer tracer, boolean rich) {
    if (rich) {
      for (int i = 0; i < BURST; i++) {
        richSpan(tracer);
      }
    } else {
      for (int i = 0; i < BURST; i++) {
        httpSpan(tracer);
      }
    }
  }

  private static final AttributeKey<Long> ITEMS = AttributeKey.longKey("cart.items");

  static void httpSpan(Tracer tracer) {
    Span span = tracer.spanBuilder("GET /api/cart/{id}").setSpanKind(SpanKind.SERVER).startSpan();
    span.setAttribute("http.request.method", "GET");
    span.setAttribute("http.route", "/api/cart/{id}");
    span.setAttribute("http.response.status_code", 200L);
    span.setAttribute("server.address", "checkout.internal");
    span.end();
  }

  static void richSpan(Tracer tracer) {
    Span span = tracer.spanBuilder("GET /api/cart/{id}").setSpanKind(SpanKind.SERVER).startSpan();
    span.setAttribute("http.request.method", "GET");
    span.setAttribute("http.route", "/api/cart/{id}");
    span.setAttribute("url.path", "/api/cart/41327");
    span.setAttribute("url.scheme", "http");
    span.setAttribute("client.address", "10.0.3.17");
    span.setAttribute("user_agent.original", "okhttp/4.12.0");
    span.setAttribute("server.address", "checkout.internal");
    span.setAttribute("server.port", 8080L);
    span.setAttribute("network.protocol.version", "1.1");
    span.addEvent("cart.loaded", Attributes.of(ITEMS, 3L));
    span.setAttribute("http.response.status_code", 200L);
    span.end();
  }

  static void httpLine(Logger json) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long traceHi = r.nextLong();
    long traceLo = r.nextLong();
    long spanId = r.nextLong();
    long start = System.nanoTime();
    long end = System.nanoTime();
    json.info("{\"traceId\":\"{}{}\",\"spanId\":\"{}\",\"name\":\"{}\",\"kind\":\"SERVER\",\"startNanos\":{},"
            + "\"durationNanos\":{},\"http.request.method\":\"{}\",\"http.route\":\"{}\","
            + "\"http.response.status_code\":{},\"server.address\":\"{}\"}",
        traceHi, traceLo, spanId, "GET /api/cart/{id}", start, end - start, "GET", "/api/cart/{id}",
        200, "checkout.internal");
  }

  static void richLine(Logger json) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long traceHi = r.nextLong();
    long traceLo = r.nextLong();
    long spanId = r.nextLong();
    long start = System.nanoTime();
    long event = System.nanoTime();
    long end = System.nanoTime();
    json.info("{\"traceId\":\"{}{}\",\"spanId\":\"{}\",\"name\":\"{}\",\"kind\":\"SERVER\",\"startNanos\":{},"
            + "\"durationNanos\":{},\"http.request.method\":\"{}\",\"http.route\":\"{}\",\"url.path\":\"{}\","
            + "\"url.scheme\":\"{}\",\"client.address\":\"{}\",\"user_agent.original\":\"{}\","
            + "\"server.address\":\"{}\",\"server.port\":{},\"network.protocol.version\":\"{}\","
            + "\"http.response.status_code\":{},\"events\":[{\"name\":\"cart.loaded\",\"offsetNanos\":{},"
            + "\"cart.items\":{}}]}",
        traceHi, traceLo, spanId, "GET /api/cart/{id}", start, end - start, "GET", "/api/cart/{id}",
        "/api/cart/41327", "http", "10.0.3.17", "okhttp/4.12.0", "checkout.internal", 8080, "1.1",
        200, event - start, 3);
  }

  static void await(BooleanSupplier done, String what) {
    long deadline = System.nanoTime() + DRAIN_TIMEOUT_NANOS;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(what + " did not catch up within 30 s");
      }
      Thread.onSpinWait();
      java.util.concurrent.locks.LockSupport.parkNanos(200_000);
    }
  }
}
