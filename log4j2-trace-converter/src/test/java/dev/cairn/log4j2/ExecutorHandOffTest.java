package dev.cairn.log4j2;

import static dev.cairn.log4j2.TestSpans.randomSpan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Work handed to another thread with the OpenTelemetry Context API logs the submitting span's
 * IDs; work handed over without it logs none. One pool thread runs every task, so a task also
 * proves that the IDs of the task before it do not linger on the thread.
 */
@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
class ExecutorHandOffTest {
  private final ExecutorService pool = Executors.newSingleThreadExecutor();
  private final CapturedLog log = CapturedLog.synchronous("%t|%traceId{-}|%spanId{-}|%m");

  @AfterEach
  void shutDown() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    log.close();
  }

  @Test
  void taskWrappingExecutor_taskPrintsTheSubmittingSpansIds() throws Exception {
    ExecutorService wrapped = Context.taskWrapping(pool);
    Span span = randomSpan();
    Future<?> done;
    try (Scope ignored = span.makeCurrent()) {
      done = wrapped.submit(() -> log.logger().info("task"));
    }
    done.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(poolThread() + "|" + ids(span) + "|task"), log.lines());
  }

  @Test
  void contextWrappedRunnable_taskPrintsTheSubmittingSpansIds() throws Exception {
    Span span = randomSpan();
    Future<?> done;
    try (Scope ignored = span.makeCurrent()) {
      done = pool.submit(Context.current().wrap(() -> log.logger().info("task")));
    }
    done.get(10, TimeUnit.SECONDS);
    assertEquals(List.of(poolThread() + "|" + ids(span) + "|task"), log.lines());
  }

  @Test
  void unwrappedTask_printsNoIds_evenAfterAWrappedTaskOnTheSameThread() throws Exception {
    Span first = randomSpan();
    Span second = randomSpan();
    try (Scope ignored = first.makeCurrent()) {
      Runnable wrapped = Context.current().wrap(() -> log.logger().info("wrapped"));
      pool.submit(wrapped).get(10, TimeUnit.SECONDS);
    }
    try (Scope ignored = second.makeCurrent()) {
      pool.submit(() -> log.logger().info("unwrapped")).get(10, TimeUnit.SECONDS);
    }
    assertEquals(
        List.of(
            poolThread() + "|" + ids(first) + "|wrapped",
            poolThread() + "|-|-|unwrapped"),
        log.lines());
  }

  @Test
  void tasksFromDifferentSpans_eachPrintTheirOwnSpan() throws Exception {
    ExecutorService wrapped = Context.taskWrapping(pool);
    Span a = randomSpan();
    Span b = randomSpan();
    Future<?> fromA;
    Future<?> fromB;
    try (Scope ignored = a.makeCurrent()) {
      fromA = wrapped.submit(() -> log.logger().info("a"));
    }
    try (Scope ignored = b.makeCurrent()) {
      fromB = wrapped.submit(() -> log.logger().info("b"));
    }
    fromA.get(10, TimeUnit.SECONDS);
    fromB.get(10, TimeUnit.SECONDS);
    assertEquals(
        List.of(poolThread() + "|" + ids(a) + "|a", poolThread() + "|" + ids(b) + "|b"),
        log.lines());
  }

  private String poolThread() throws Exception {
    return pool.submit(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
  }

  private static String ids(Span span) {
    return span.getSpanContext().getTraceId() + "|" + span.getSpanContext().getSpanId();
  }
}
