package dev.cairn.shipper;

import dev.cairn.Cairn;
import dev.cairn.appender.SpanFileStats;
import dev.cairn.appender.SpanFiles;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.LogManager;

/**
 * The application of {@link SpanFileAppenderTailingIT}: traces through a real {@code <SpanFile>}
 * appender (configured by {@code -Dlog4j2.configurationFile}, directory {@code -Dspans.dir}) until
 * killed. Prints {@code STARTED} once, then {@code WRITTEN <spans> <blocks> <files> <deleted>}
 * every 100 ms. Halts by itself when its standard input closes (the test is gone) or after 60 s.
 */
final class TracingApp {
  private TracingApp() {}

  public static void main(String[] args) throws Exception {
    Thread guard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever sent
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
      for (long seq = 0; ; seq++) {
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
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      SpanFileStats s = SpanFiles.stats("spans").orElseThrow();
      System.out.println("WRITTEN " + s.spansWritten() + " " + s.blocksWritten() + " "
          + s.filesCreated() + " " + s.filesDeleted());
      System.out.flush();
      Thread.sleep(100);
    }
    Runtime.getRuntime().halt(5);
  }
}
