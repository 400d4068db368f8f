package dev.cairn.bench;

import dev.cairn.Cairn;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The application thread's cost of one server span with 4 attributes: start, set, end. Cairn
 * (its OpenTelemetry implementation handing spans to a {@code <SpanFile>} appender that writes a
 * real file) next to the OpenTelemetry SDK at its cheapest (BatchSpanProcessor, no-op exporter)
 * and next to Log4j2's async logger writing the same span as one JSON line.
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar AppThreadBenchmark -prof gc          # 1 thread
 * java -jar jmh/target/benchmarks.jar AppThreadBenchmark -prof gc -t 2     # 2 threads
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dlog4j2.configurationFile=cairn-bench-log4j2.xml"})
public class AppThreadBenchmark {

  /** One Log4j2 context for the whole fork: a SpanFile appender and an async JSON logger. */
  @State(Scope.Benchmark)
  public static class Logging {
    Path dir;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      dir = Files.createTempDirectory("cairn-bench");
      System.setProperty("cairn.bench.dir", dir.toString());
      ((LoggerContext) LogManager.getContext(false)).reconfigure();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      Configurator.shutdown((LoggerContext) LogManager.getContext(false));
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @State(Scope.Benchmark)
  public static class CairnState {
    Tracer tracer;

    @Setup(Level.Trial)
    public void setUp(Logging logging) {
      tracer = Cairn.openTelemetry("bench").getTracer("bench.http");
    }
  }

  @State(Scope.Benchmark)
  public static class OtelSdkState {
    SdkTracerProvider provider;
    Tracer tracer;

    @Setup(Level.Trial)
    public void setUp() {
      provider = SdkTracerProvider.builder()
          .addSpanProcessor(BatchSpanProcessor.builder(new NoopExporter()).build())
          .build();
      tracer = provider.get("bench.http");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @State(Scope.Benchmark)
  public static class Log4jState {
    Logger json;

    @Setup(Level.Trial)
    public void setUp(Logging logging) {
      json = LogManager.getLogger("bench.json");
    }
  }

  @Benchmark
  public void cairn(CairnState s) {
    Span span = s.tracer.spanBuilder("GET /api/cart/{id}").setSpanKind(SpanKind.SERVER).startSpan();
    span.setAttribute("http.request.method", "GET");
    span.setAttribute("http.route", "/api/cart/{id}");
    span.setAttribute("http.response.status_code", 200L);
    span.setAttribute("server.address", "checkout.internal");
    span.end();
  }

  @Benchmark
  public void otelSdk(OtelSdkState s) {
    Span span = s.tracer.spanBuilder("GET /api/cart/{id}").setSpanKind(SpanKind.SERVER).startSpan();
    span.setAttribute("http.request.method", "GET");
    span.setAttribute("http.route", "/api/cart/{id}");
    span.setAttribute("http.response.status_code", 200L);
    span.setAttribute("server.address", "checkout.internal");
    span.end();
  }

  /** What a user might do instead of a tracer: time the request and log one JSON line. */
  @Benchmark
  public void log4j2AsyncJsonLine(Log4jState s) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long traceHi = r.nextLong();
    long traceLo = r.nextLong();
    long spanId = r.nextLong();
    long start = System.nanoTime();
    long end = System.nanoTime();
    s.json.info("{\"traceId\":\"{}{}\",\"spanId\":\"{}\",\"name\":\"{}\",\"kind\":\"SERVER\",\"startNanos\":{},"
            + "\"durationNanos\":{},\"http.request.method\":\"{}\",\"http.route\":\"{}\","
            + "\"http.response.status_code\":{},\"server.address\":\"{}\"}",
        traceHi, traceLo, spanId, "GET /api/cart/{id}", start, end - start, "GET", "/api/cart/{id}",
        200, "checkout.internal");
  }

  static final class NoopExporter implements SpanExporter {
    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }
}
