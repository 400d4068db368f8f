package dev.cairn.launcher;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.Logger;

/**
 * Checkout's order-confirmation emails: checkout publishes each confirmed order to an in-memory
 * queue inside a PRODUCER span of the order's trace; one consumer thread takes up to
 * {@value #BATCH} messages at a time and sends them in one CONSUMER span. That span starts a trace
 * of its own and links (FOLLOWS_FROM) to the PRODUCER span of every order in the batch, the way
 * OpenTelemetry models batch processing: one span cannot have several parents.
 */
@SuppressWarnings("try") // try (Scope scope = span.makeCurrent()), scope unused: the OTel idiom
final class DemoEmail {
  static final String QUEUE = "orders.confirmed";
  static final String PUBLISH_SPAN = "publish " + QUEUE;
  static final String PROCESS_SPAN = "process " + QUEUE;
  static final int BATCH = 10;
  private static final long BATCH_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  private static final AttributeKey<String> ORDER_ID = AttributeKey.stringKey(DemoShop.ORDER_ID);

  /** A queued message: the order and the PRODUCER span that published it. */
  private record Confirmation(String orderId, SpanContext publishedBy) {}

  private final Tracer tracer;
  private final Logger log;
  private final BlockingQueue<Confirmation> queue = new ArrayBlockingQueue<>(16_384);
  private final Thread consumer;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong batches = new AtomicLong();
  private volatile boolean stopping;

  DemoEmail(OpenTelemetry otel, Logger log) {
    this.tracer = otel.getTracer("dev.cairn.demo.email", DemoShop.VERSION);
    this.log = log;
    this.consumer = new Thread(this::consume, "email-sender");
    consumer.setDaemon(true);
  }

  void start() {
    consumer.start();
  }

  /** Publishes an order confirmation inside a PRODUCER span, child of the current span. */
  void publish(String orderId) {
    Span span = tracer.spanBuilder(PUBLISH_SPAN)
        .setSpanKind(SpanKind.PRODUCER)
        .setAttribute("messaging.system", "in-memory")
        .setAttribute("messaging.destination.name", QUEUE)
        .setAttribute("messaging.operation.type", "send")
        .setAttribute("messaging.operation.name", "publish")
        .setAttribute(DemoShop.ORDER_ID, orderId)
        .startSpan();
    try (Scope scope = span.makeCurrent()) {
      if (!queue.offer(new Confirmation(orderId, span.getSpanContext()))) {
        log.warn("email queue full: no confirmation email for order {}", orderId);
      }
    } finally {
      span.end();
    }
  }

  private void consume() {
    List<Confirmation> batch = new ArrayList<>(BATCH);
    while (true) {
      try {
        Confirmation first = queue.poll(50, TimeUnit.MILLISECONDS);
        if (first == null) {
          if (stopping) {
            return;
          }
          continue;
        }
        batch.add(first);
        long deadline = System.nanoTime() + BATCH_WAIT_NANOS;
        while (batch.size() < BATCH) {
          // When stopping, send what is there instead of waiting for a full batch.
          long wait = stopping ? 0 : deadline - System.nanoTime();
          Confirmation next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
          if (next == null) {
            break;
          }
          batch.add(next);
        }
        send(batch);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.error("email sender: batch of {} lost", batch.size(), e);
      }
      batch.clear();
    }
  }

  private void send(List<Confirmation> batch) throws InterruptedException {
    SpanBuilder builder = tracer.spanBuilder(PROCESS_SPAN)
        .setNoParent()
        .setSpanKind(SpanKind.CONSUMER)
        .setAttribute("messaging.system", "in-memory")
        .setAttribute("messaging.destination.name", QUEUE)
        .setAttribute("messaging.operation.type", "process")
        .setAttribute("messaging.operation.name", "process")
        .setAttribute("messaging.batch.message_count", (long) batch.size());
    List<String> orders = new ArrayList<>(batch.size());
    for (Confirmation c : batch) {
      builder.addLink(c.publishedBy(), Attributes.of(ORDER_ID, c.orderId()));
      orders.add(c.orderId());
    }
    Span span = builder.startSpan();
    try (Scope scope = span.makeCurrent()) {
      log.info("sending {} order confirmation emails: orders {}", batch.size(),
          String.join(", ", orders));
      Thread.sleep(1 + batch.size() / 3);
    } finally {
      span.end();
    }
    sent.addAndGet(batch.size());
    batches.incrementAndGet();
  }

  /** Sends what is still queued, then stops the consumer; waits at most {@code millis}. */
  void stop(long millis) throws InterruptedException {
    stopping = true;
    consumer.join(millis);
    if (consumer.isAlive()) {
      consumer.interrupt();
      consumer.join(1000);
    }
  }

  long sent() {
    return sent.get();
  }

  long batches() {
    return batches.get();
  }
}
