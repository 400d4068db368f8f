package dev.cairn.shipper;

import dev.cairn.Cairn;
import dev.cairn.appender.SpanFileStats;
import dev.cairn.appender.SpanFiles;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.LogManager;

/**
 * A real application for the shipper's multi-process tests ({@link SpanFileAppenderTailingIT},
 * {@link ShipperEndToEndIT}): traces through a real {@code <SpanFile>} appender (configured by
 * {@code -Dlog4j2.configurationFile}, directory {@code -Dspans.dir}) from one worker thread. Prints
 * {@code STARTED} once, then {@code WRITTEN <spans> <blocks> <files> <deleted>} every 100 ms.
 *
 * <p>Ends in one of three ways:
 * <ul>
 *   <li>a line {@code STOP} on its standard input: a clean stop, as an application shuts down. The
 *       worker ends its current span, Log4j2 is shut down (the appender drains its ring, writes the
 *       last block whole and closes the file), {@code STOPPED} is printed and the JVM exits with
 *       0;
 *   <li>its standard input closes (the test is gone): halts at once with 4;
 *   <li>{@code -Dapp.maxSeconds} (default 60) passed: halts with 5, so no child outlives a test.
 * </ul>
 */
final class TracingApp {
  private TracingApp() {}

  public static void main(String[] args) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    Thread guard = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
        for (String line; (line = in.readLine()) != null; ) {
          if ("STOP".equals(line.strip())) {
            stop.set(true);
            return;
          }
        }
      } catch (IOException e) {
        // the parent is gone
      }
      Runtime.getRuntime().halt(4);
    }, "orphan-guard");
    guard.setDaemon(true);
    guard.start();

    LogManager.getLogger(TracingApp.class); // configures Log4j2 before the first span is routed
    if (SpanFiles.stats("spans").isEmpty()) {
      System.err.println("no SpanFile appender 'spans'");
      System.exit(2);
    }
    Tracer tracer = Cairn.openTelemetry("tailing-app").getTracer("tailing.app", "1.0");
    Thread worker = new Thread(() -> {
      for (long seq = 0; !stop.get(); seq++) {
        Span span = tracer.spanBuilder("GET /items/{id}").setSpanKind(SpanKind.SERVER).startSpan();
        span.setAttribute("seq", seq);
        span.setAttribute("http.route", "/items/{id}");
        span.end();
        LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
      }
    }, "worker");
    worker.setDaemon(true);
    worker.start();
    System.out.println("STARTED");
    long deadline = System.nanoTime()
        + TimeUnit.SECONDS.toNanos(Long.getLong("app.maxSeconds", 60));
    while (System.nanoTime() < deadline) {
      if (stop.get()) {
        worker.join(10_000);
        // Every span the worker ended is in the appender's ring: stopping Log4j2 writes them.
        LogManager.shutdown();
        System.out.println("STOPPED");
        System.out.flush();
        System.exit(0);
      }
      SpanFileStats s = SpanFiles.stats("spans").orElseThrow();
      System.out.println("WRITTEN " + s.spansWritten() + " " + s.blocksWritten() + " "
          + s.filesCreated() + " " + s.filesDeleted());
      System.out.flush();
      Thread.sleep(100);
    }
    Runtime.getRuntime().halt(5);
  }
}
