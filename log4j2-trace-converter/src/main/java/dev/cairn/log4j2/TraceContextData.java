package dev.cairn.log4j2;

/**
 * The context data keys under which the current span's IDs travel with every Log4j2 event.
 *
 * <p>{@link TraceContextDataProvider} puts these keys into a {@code LogEvent}'s context data when
 * the event is created inside a valid OpenTelemetry span, and leaves them out otherwise. They are
 * the keys OpenTelemetry's own Log4j context-data instrumentation uses, so {@code %X{trace_id}}
 * and tools that already read those keys keep working. Values are lowercase hex: 32 characters
 * for the trace ID, 16 for the span ID, 2 for the W3C trace flags ({@code "01"} when sampled).
 *
 * <pre>{@code
 * ReadOnlyStringMap data = event.getContextData();
 * String traceId = data.getValue(TraceContextData.TRACE_ID); // null outside a span
 * }</pre>
 */
public final class TraceContextData {
  /** The trace ID: 32 lowercase hex characters. */
  public static final String TRACE_ID = "trace_id";

  /** The span ID: 16 lowercase hex characters. */
  public static final String SPAN_ID = "span_id";

  /** The W3C trace flags: 2 lowercase hex characters, {@code "01"} when sampled. */
  public static final String TRACE_FLAGS = "trace_flags";

  private TraceContextData() {}
}
