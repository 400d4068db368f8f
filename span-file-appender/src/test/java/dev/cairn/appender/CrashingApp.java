package dev.cairn.appender;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.Cairn;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32C;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The child JVM of {@link SpanFileCrashIT}: an application that traces and logs through a
 * {@code <SpanFile>} appender configured from XML ({@code -Dlog4j2.configurationFile}, span
 * directory in {@code -Dcrash.dir}) until it is killed with SIGKILL.
 *
 * <p>{@value #WORKERS} worker threads loop forever. Iteration {@code seq} of a worker starts a
 * SERVER span, makes it current, logs {@code "handling <spanId>"}, and when {@link
 * #hasChild(long)} also does the same inside an INTERNAL child span, then ends the spans. Every
 * span carries {@code seq}, {@code thread} and {@code check} = {@link #check(String, String,
 * long)} of its own IDs, so a span read back proves it is one this program made, not bytes that
 * happened to decode. Per worker, the ring therefore receives, in this order: log(root),
 * [log(child), span(child)], span(root), then the next iteration.
 *
 * <p>Standard output carries one line every {@value #REPORT_MILLIS} ms:
 * {@code WRITTEN <spansWritten> <logsWritten> <blocksWritten> <dropped> <filesCreated>}, the
 * appender's own counters of what reached the file. Nothing else is printed there.
 *
 * <p>It never ends on its own, except as an orphan: when its standard input closes (the test JVM
 * is gone) or after {@value #MAX_LIFE_SECONDS} s it halts, so a failed test leaves no process
 * behind.
 */
@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
final class CrashingApp {
  static final String APPENDER = "spans";
  static final String SERVICE = "crash-app";
  static final int WORKERS = 2;
  static final String THREAD_PREFIX = "crash-worker-";
  static final String ROOT_NAME = "handle";
  static final String CHILD_NAME = "lookup";
  static final String HANDLING = "handling ";
  static final String LOGGER = "crash.app.Handler";
  private static final long REPORT_MILLIS = 100;
  private static final long MAX_LIFE_SECONDS = 90;
  /**
   * A pause after each iteration. Drops (ring full) are not what this test is about, and two
   * unthrottled producers on a shared 2-core box could starve the writer thread; with the pause
   * the writer keeps up by a wide margin and the run still reaches its span target in seconds.
   */
  private static final long PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  private CrashingApp() {}

  /** Whether iteration {@code seq} of a worker also makes a child span. */
  static boolean hasChild(long seq) {
    return seq % 3 == 1;
  }

  /** The self-check of a span: CRC32C of its IDs and sequence number, 8 hex digits. */
  static String check(String traceIdHex, String spanIdHex, long seq) {
    CRC32C crc = new CRC32C();
    crc.update((traceIdHex + "/" + spanIdHex + "/" + seq).getBytes(UTF_8));
    return String.format("%08x", crc.getValue());
  }

  public static void main(String[] args) throws Exception {
    startOrphanGuard();
    // Initialises Log4j2 from -Dlog4j2.configurationFile before the first span needs a route.
    Logger log = LogManager.getLogger(LOGGER);
    Optional<SpanFileStats> started = SpanFiles.stats(APPENDER);
    if (started.isEmpty()) {
      System.err.println("no running SpanFile appender named '" + APPENDER + "'; check "
          + System.getProperty("log4j2.configurationFile"));
      System.exit(2);
    }
    OpenTelemetry otel = Cairn.openTelemetry(SERVICE);
    Tracer tracer = otel.getTracer("crash.app", "1.0");
    for (int i = 0; i < WORKERS; i++) {
      String name = THREAD_PREFIX + i;
      Thread worker = new Thread(() -> work(tracer, log, name), name);
      worker.setDaemon(true);
      worker.setUncaughtExceptionHandler((t, e) -> {
        e.printStackTrace();
        Runtime.getRuntime().halt(3);
      });
      worker.start();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MAX_LIFE_SECONDS);
    while (System.nanoTime() < deadline) {
      SpanFileStats s = SpanFiles.stats(APPENDER).orElseThrow();
      System.out.println("WRITTEN " + s.spansWritten() + " " + s.logsWritten() + " "
          + s.blocksWritten() + " " + s.dropped() + " " + s.filesCreated());
      System.out.flush();
      Thread.sleep(REPORT_MILLIS);
    }
    System.err.println("not killed within " + MAX_LIFE_SECONDS + " s; halting");
    Runtime.getRuntime().halt(5);
  }

  private static void work(Tracer tracer, Logger log, String thread) {
    for (long seq = 0; ; seq++) {
      Span root = tracer.spanBuilder(ROOT_NAME).setSpanKind(SpanKind.SERVER).startSpan();
      try (Scope r = root.makeCurrent()) {
        String id = selfCheck(root, thread, seq);
        log.info("handling {}", id);
        if (hasChild(seq)) {
          Span child = tracer.spanBuilder(CHILD_NAME).setSpanKind(SpanKind.INTERNAL).startSpan();
          try (Scope c = child.makeCurrent()) {
            log.info("handling {}", selfCheck(child, thread, seq));
          } finally {
            child.end();
          }
        }
      } finally {
        root.end();
      }
      LockSupport.parkNanos(PAUSE_NANOS);
    }
  }

  /** Sets the attributes that make {@code span} self-checking; returns its span ID. */
  private static String selfCheck(Span span, String thread, long seq) {
    String traceId = span.getSpanContext().getTraceId();
    String spanId = span.getSpanContext().getSpanId();
    span.setAttribute("seq", seq);
    span.setAttribute("thread", thread);
    span.setAttribute("check", check(traceId, spanId, seq));
    return spanId;
  }

  /** Halts when standard input reaches its end: the test JVM that holds the pipe is gone. */
  private static void startOrphanGuard() {
    Thread guard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // The test never writes; whatever arrives is ignored.
        }
      } catch (IOException e) {
        // Standard input broken: the parent is gone too.
      }
      Runtime.getRuntime().halt(4);
    }, "orphan-guard");
    guard.setDaemon(true);
    guard.start();
  }
}
