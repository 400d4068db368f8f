package dev.cairn.launcher;

import dev.cairn.Cairn;
import dev.cairn.appender.SpanFileAppender;
import dev.cairn.appender.SpanFileStats;
import dev.cairn.appender.SpanFiles;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;

/**
 * The application side of {@code cairn loadgen}, run in a JVM of its own: {@code threads}
 * request threads, each handling "requests" as an instrumented HTTP service would — a SERVER span
 * with the HTTP semantic-convention attributes, and inside it an INTERNAL span, a database CLIENT
 * span and an outgoing HTTP CLIENT span — through Cairn's OpenTelemetry tracer and the real
 * {@code <SpanFile>} appender ({@value #CONFIG}). Paced to a target rate of spans per second, or
 * flat out.
 *
 * <p>It talks to the parent on standard output, one line each: {@code sample <traceId> <endMicros>}
 * for the traces whose freshness the parent measures (the root's end, wall clock), {@code stats
 * <produced> <written> <droppedRingFull> <dropped>} every second, and a last {@code done} line with
 * the same counters after the appender was stopped (its files flushed).
 */
final class LoadgenApp {
  static final String CONFIG = "cairn-loadgen-log4j2.xml";
  static final String SPANS_DIR_PROPERTY = "cairn.loadgen.spans";
  static final String RING_PROPERTY = "cairn.loadgen.ringSize";
  /** Spans in every trace: the SERVER root and three children. */
  static final int SPANS_PER_TRACE = 4;

  private final int threads;
  private final long spansPerSecond;
  private final int seconds;
  private final double samplesPerSecond;
  private final int rampSeconds;
  private final PrintStream out;
  private final LongAdder produced = new LongAdder();

  /**
   * Produces {@code spansPerSecond} for {@code seconds}; over the first {@code rampSeconds} the
   * rate climbs from a tenth to all of it, so that JVMs whose code is not compiled yet are not
   * buried under a backlog they would spend the measured seconds working off.
   */
  LoadgenApp(int threads, long spansPerSecond, int seconds, double samplesPerSecond, int rampSeconds,
      PrintStream out) {
    this.threads = threads;
    this.spansPerSecond = spansPerSecond;
    this.seconds = seconds;
    this.samplesPerSecond = samplesPerSecond;
    this.rampSeconds = rampSeconds;
    this.out = out;
  }

  /** Produces for {@code seconds}, stops the appender (flushing its files) and reports. */
  void run() throws InterruptedException {
    Tracer tracer = Cairn.openTelemetry("loadgen-shop").getTracer("dev.cairn.loadgen", "1.0");
    long startNanos = System.nanoTime();
    long endNanos = startNanos + TimeUnit.SECONDS.toNanos(seconds);
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      int index = i;
      Thread t = new Thread(() -> work(tracer, index, startNanos, endNanos), "loadgen-request-" + i);
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
    out.println("started"); // the parent's warm-up counts from here
    out.flush();
    long nextReport = startNanos + TimeUnit.SECONDS.toNanos(1);
    while (System.nanoTime() < endNanos) {
      LockSupport.parkNanos(Math.max(1, Math.min(nextReport, endNanos) - System.nanoTime()));
      if (System.nanoTime() >= nextReport) {
        report("stats");
        nextReport += TimeUnit.SECONDS.toNanos(1);
      }
    }
    for (Thread t : workers) {
      t.join(10_000);
    }
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Appender spans = context.getConfiguration().getAppender("spans");
    // Stopping the configuration stops the appender: it drains its ring and flushes its file.
    Configurator.shutdown(context);
    report("done", spans instanceof SpanFileAppender a ? a.stats() : null);
  }

  private void report(String what) {
    report(what, SpanFiles.stats("spans").orElse(null));
  }

  private void report(String what, SpanFileStats s) {
    long written = s == null ? 0 : s.spansWritten();
    long ringFull = s == null ? 0 : s.droppedRingFull();
    long dropped = s == null ? 0 : s.dropped();
    synchronized (out) {
      out.printf(Locale.ROOT, "%s %d %d %d %d%n", what, produced.sum(), written, ringFull, dropped);
      out.flush();
    }
  }

  private void work(Tracer tracer, int index, long startNanos, long endNanos) {
    // Each thread takes its share of the rate; 0 = flat out.
    double tracesPerSecond = spansPerSecond <= 0 ? 0 : (double) spansPerSecond / SPANS_PER_TRACE / threads;
    long intervalNanos = tracesPerSecond <= 0 ? 0 : (long) (1e9 / tracesPerSecond);
    long sampleEveryNanos = samplesPerSecond <= 0 ? Long.MAX_VALUE : (long) (1e9 * threads / samplesPerSecond);
    // Threads sample at staggered moments so samples are spread over the second.
    long nextSample = startNanos + sampleEveryNanos / threads * index + TimeUnit.MILLISECONDS.toNanos(500);
    long due = startNanos;
    long n = 0;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    while (true) {
      long now = System.nanoTime();
      if (now >= endNanos) {
        return;
      }
      if (intervalNanos > 0) {
        if (now < due) {
          LockSupport.parkNanos(due - now);
          continue;
        }
        due += ramped(intervalNanos, now - startNanos);
      }
      boolean sample = now >= nextSample;
      if (sample) {
        nextSample += sampleEveryNanos;
      }
      request(tracer, random, n++, sample);
    }
  }

  /** The interval between traces {@code elapsed} nanoseconds into the run: longer while ramping up. */
  private long ramped(long intervalNanos, long elapsed) {
    long ramp = TimeUnit.SECONDS.toNanos(rampSeconds);
    if (elapsed >= ramp) {
      return intervalNanos;
    }
    double share = 0.1 + 0.9 * elapsed / ramp;
    return (long) (intervalNanos / share);
  }

  /** One request: the spans a traced HTTP handler with a database query and a downstream call makes. */
  private void request(Tracer tracer, ThreadLocalRandom random, long n, boolean sample) {
    long cart = random.nextLong(1, 1_000_000);
    boolean error = n % 100 == 7;
    Span server = tracer.spanBuilder("GET /api/cart/{id}").setSpanKind(SpanKind.SERVER).startSpan();
    server.setAttribute("http.request.method", "GET");
    server.setAttribute("http.route", "/api/cart/{id}");
    server.setAttribute("url.path", "/api/cart/" + cart);
    server.setAttribute("url.scheme", "https");
    server.setAttribute("server.address", "shop.internal");
    server.setAttribute("server.port", 8443L);
    server.setAttribute("client.address", "10.0.3." + (cart & 0xFF));
    server.setAttribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) loadgen/1.0");
    Context parent = Context.current().with(server);

    Span load = tracer.spanBuilder("load cart").setParent(parent).setSpanKind(SpanKind.INTERNAL).startSpan();
    load.setAttribute("cart.items", cart % 17);
    Span db = tracer.spanBuilder("SELECT shop.cart_items").setParent(Context.current().with(load))
        .setSpanKind(SpanKind.CLIENT).startSpan();
    db.setAttribute("db.system", "postgresql");
    db.setAttribute("db.namespace", "shop");
    db.setAttribute("db.operation.name", "SELECT");
    db.setAttribute("db.query.text", "SELECT * FROM cart_items WHERE cart_id = ?");
    db.end();
    load.end();

    Span call = tracer.spanBuilder("POST /price").setParent(parent).setSpanKind(SpanKind.CLIENT).startSpan();
    call.setAttribute("http.request.method", "POST");
    call.setAttribute("url.full", "http://pricing.internal:8080/price");
    call.setAttribute("server.address", "pricing.internal");
    call.setAttribute("http.response.status_code", error ? 503L : 200L);
    if (error) {
      call.setStatus(StatusCode.ERROR);
    }
    call.end();

    server.setAttribute("http.response.status_code", error ? 502L : 200L);
    if (error) {
      server.setStatus(StatusCode.ERROR);
    }
    String traceId = sample ? server.getSpanContext().getTraceId() : null;
    long endMicros = sample ? nowMicros() : 0;
    server.end();
    produced.add(SPANS_PER_TRACE);
    if (sample) {
      synchronized (out) {
        out.println("sample " + traceId + " " + endMicros);
        out.flush();
      }
    }
  }

  static long nowMicros() {
    java.time.Instant i = java.time.Instant.now();
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1_000;
  }
}
