package dev.cairn.log4j2;

import io.opentelemetry.api.trace.SpanContext;
import java.util.Map;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.apache.logging.log4j.util.StringMap;

/**
 * The context data built for the span context a thread logged in last, so that consecutive log
 * lines inside one span share one immutable map instead of building a new one per event.
 *
 * <p>Confined to one thread: {@link TraceContextDataProvider} keeps one per thread. The maps it
 * hands out are immutable (the {@link StringMap} is frozen), because Log4j2 may keep a supplied
 * map as the event's own context data and must never see it change.
 */
final class LastSpanContext {
  static final StringMap EMPTY_STRING_MAP = frozenEmpty();

  private SpanContext spanContext = SpanContext.getInvalid();
  // Built for spanContext; null until asked for, because a Log4j2 injector uses only one of them.
  private Map<String, String> map = Map.of();
  private StringMap stringMap = EMPTY_STRING_MAP;

  Map<String, String> map(SpanContext current) {
    switchTo(current);
    Map<String, String> m = map;
    if (m == null) {
      m = mapOf(current);
      map = m;
    }
    return m;
  }

  StringMap stringMap(SpanContext current) {
    switchTo(current);
    StringMap m = stringMap;
    if (m == null) {
      m = stringMapOf(current);
      stringMap = m;
    }
    return m;
  }

  private void switchTo(SpanContext current) {
    if (current == spanContext) {
      return;
    }
    // A different object can still carry the same IDs (an implementation that builds its span
    // context on demand, or Span.wrap of the same context); then the built maps still hold.
    if (!sameIds(current, spanContext)) {
      map = null;
      stringMap = null;
    }
    spanContext = current;
  }

  private static boolean sameIds(SpanContext a, SpanContext b) {
    return a.getTraceFlags().asByte() == b.getTraceFlags().asByte()
        && a.getSpanId().equals(b.getSpanId())
        && a.getTraceId().equals(b.getTraceId());
  }

  static Map<String, String> mapOf(SpanContext spanContext) {
    if (!spanContext.isValid()) {
      return Map.of();
    }
    return Map.of(
        TraceContextData.TRACE_ID, spanContext.getTraceId(),
        TraceContextData.SPAN_ID, spanContext.getSpanId(),
        TraceContextData.TRACE_FLAGS, spanContext.getTraceFlags().asHex());
  }

  static StringMap stringMapOf(SpanContext spanContext) {
    if (!spanContext.isValid()) {
      return EMPTY_STRING_MAP;
    }
    SortedArrayStringMap m = new SortedArrayStringMap(3);
    m.putValue(TraceContextData.TRACE_ID, spanContext.getTraceId());
    m.putValue(TraceContextData.SPAN_ID, spanContext.getSpanId());
    m.putValue(TraceContextData.TRACE_FLAGS, spanContext.getTraceFlags().asHex());
    m.freeze();
    return m;
  }

  private static StringMap frozenEmpty() {
    SortedArrayStringMap m = new SortedArrayStringMap(0);
    m.freeze();
    return m;
  }
}
