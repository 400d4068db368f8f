package dev.cairn.log4j2;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.logging.log4j.core.util.ContextDataProvider;
import org.apache.logging.log4j.status.StatusLogger;
import org.apache.logging.log4j.util.Constants;
import org.apache.logging.log4j.util.StringMap;

/**
 * Adds the current OpenTelemetry span's IDs to every Log4j2 event's context data.
 *
 * <p>Log4j2 finds this provider through {@link java.util.ServiceLoader} (it is registered in
 * {@code META-INF/services}); nothing needs configuring. Log4j2 calls it on the thread that logs,
 * while the event is being created, so the IDs are those of {@link Span#current()} at the call
 * site, even when the event is formatted later on an async logger's background thread.
 *
 * <p>Contract: inside a span with a {@linkplain SpanContext#isValid() valid} span context it
 * supplies {@link TraceContextData#TRACE_ID}, {@link TraceContextData#SPAN_ID} and {@link
 * TraceContextData#TRACE_FLAGS}; otherwise it supplies nothing. It never throws into the logging
 * call: a failure is reported once to Log4j2's {@code StatusLogger} and the event is logged
 * without IDs.
 *
 * <pre>{@code
 * Span span = tracer.spanBuilder("checkout").startSpan();
 * try (Scope ignored = span.makeCurrent()) {
 *   log.info("charged");   // context data: trace_id, span_id, trace_flags of span
 * } finally {
 *   span.end();
 * }
 * }</pre>
 */
public final class TraceContextDataProvider implements ContextDataProvider {
  private static final StatusLogger STATUS = StatusLogger.getLogger();

  // Log4j2 turns thread-locals off in web apps, where a value of an application class left on a
  // container thread would pin the application's class loader; follow the same switch.
  private static final ThreadLocal<LastSpanContext> LAST =
      Constants.ENABLE_THREADLOCALS ? ThreadLocal.withInitial(LastSpanContext::new) : null;

  private static final AtomicBoolean FAILURE_REPORTED = new AtomicBoolean();
  // Set when the OpenTelemetry API cannot be linked: retrying would fail on every event.
  private static volatile boolean unusable;

  /** Called by {@link java.util.ServiceLoader}. */
  public TraceContextDataProvider() {}

  /**
   * The current span's IDs as an immutable map, empty outside a span. Consecutive calls on one
   * thread inside the same span return the same map.
   */
  @Override
  public Map<String, String> supplyContextData() {
    if (unusable) {
      return Map.of();
    }
    try {
      SpanContext current = Span.current().getSpanContext();
      return LAST != null ? LAST.get().map(current) : LastSpanContext.mapOf(current);
    } catch (RuntimeException | LinkageError e) {
      fail(e);
      return Map.of();
    }
  }

  /**
   * The current span's IDs as a frozen {@link StringMap}, empty outside a span. Consecutive calls
   * on one thread inside the same span return the same map, so with Log4j2's garbage-free thread
   * context map an event costs copying three entries and no allocation here.
   */
  @Override
  public StringMap supplyStringMap() {
    if (unusable) {
      return LastSpanContext.EMPTY_STRING_MAP;
    }
    try {
      SpanContext current = Span.current().getSpanContext();
      return LAST != null ? LAST.get().stringMap(current) : LastSpanContext.stringMapOf(current);
    } catch (RuntimeException | LinkageError e) {
      fail(e);
      return LastSpanContext.EMPTY_STRING_MAP;
    }
  }

  private static void fail(Throwable e) {
    if (e instanceof LinkageError) {
      unusable = true;
    }
    if (FAILURE_REPORTED.compareAndSet(false, true)) {
      STATUS.error(
          "Cairn TraceContextDataProvider could not read the current OpenTelemetry span; "
              + "log events carry no trace IDs while this lasts. Is opentelemetry-api on the "
              + "class path?",
          e);
    }
  }
}
