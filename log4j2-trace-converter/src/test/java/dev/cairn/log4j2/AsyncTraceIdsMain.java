package dev.cairn.log4j2;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.async.AsyncLogger;
import org.apache.logging.log4j.core.async.AsyncLoggerContext;
import org.apache.logging.log4j.core.impl.ContextDataInjectorFactory;
import org.apache.logging.log4j.spi.LoggerContext;

/**
 * The child JVM of {@link AsyncLoggerTraceIdsIT}. It must run with Log4j2's all-async context
 * selector, which has to be set before Log4j2 initialises, hence a separate JVM.
 *
 * <p>Several threads log inside random spans (nested, and through executor hand-offs) and outside
 * any span. For every log line it prints {@code EXPECT|message|traceId|spanId|flags|mdc|thread}
 * to standard output ({@code -} outside a span), in the layout of the log file's lines; the log
 * lines themselves go through Log4j2 to the file named by {@code cairn.test.logFile}. Exits 2 if
 * Log4j2 is not really in all-async mode.
 */
@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
final class AsyncTraceIdsMain {
  static final int THREADS = 4;
  static final int SPANS_PER_THREAD = 100;

  private AsyncTraceIdsMain() {}

  public static void main(String[] args) throws Exception {
    LoggerContext context = LogManager.getContext(false);
    Logger logger = LogManager.getLogger("cairn.test.async");
    System.out.println(
        "MODE|" + context.getClass().getName() + "|" + logger.getClass().getName() + "|"
            + ContextDataInjectorFactory.createInjector().getClass().getName());
    if (!(context instanceof AsyncLoggerContext) || !(logger instanceof AsyncLogger)) {
      System.err.println("not all-async: " + context + " " + logger);
      System.exit(2);
    }

    ExecutorService pool = Context.taskWrapping(Executors.newFixedThreadPool(2));
    List<Thread> threads = new ArrayList<>();
    List<Throwable> failures = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      String name = "app-" + t;
      Thread thread = new Thread(() -> logSpans(name, logger, pool), name);
      thread.setUncaughtExceptionHandler((th, e) -> {
        synchronized (failures) {
          failures.add(e);
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread thread : threads) {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    }
    pool.shutdown();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    // Drains the ring buffer and closes the file.
    LogManager.shutdown();
    synchronized (failures) {
      if (!failures.isEmpty()) {
        // Thrown out of main: the JVM reports it on stderr, which the parent shows, and exits 1.
        throw new AssertionError(failures.size() + " logging thread(s) failed", failures.get(0));
      }
    }
    System.out.println("DONE");
  }

  private static void logSpans(String thread, Logger logger, ExecutorService pool) {
    try {
      for (int i = 0; i < SPANS_PER_THREAD; i++) {
        String key = thread + "-" + i;
        Span outer = TestSpans.randomSpan();
        Span inner = TestSpans.randomSpan();
        Future<?> task;
        try (Scope o = outer.makeCurrent()) {
          log(logger, key + "-outer", outer);
          try (Scope n = inner.makeCurrent()) {
            log(logger, key + "-inner", inner);
          }
          log(logger, key + "-outer-again", outer);
          task = pool.submit(() -> log(logger, key + "-task", outer));
        }
        log(logger, key + "-outside", null);
        task.get(10, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException(thread, e);
    }
  }

  private static void log(Logger logger, String message, Span expected) {
    logger.info(message);
    String thread = Thread.currentThread().getName();
    if (expected == null) {
      System.out.println("EXPECT|" + message + "|-|-|-||" + thread);
    } else {
      SpanContext ids = expected.getSpanContext();
      System.out.println(
          "EXPECT|" + message + "|" + ids.getTraceId() + "|" + ids.getSpanId() + "|"
              + ids.getTraceFlags().asHex() + "|" + ids.getTraceId() + "|" + thread);
    }
  }
}
