package dev.cairn.log4j2;

import static dev.cairn.log4j2.TestSpans.randomSpan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Scope;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import org.apache.logging.log4j.core.util.ContextDataProvider;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.StringMap;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
class TraceContextDataProviderTest {
  private final TraceContextDataProvider provider = new TraceContextDataProvider();

  @Test
  void supplyContextData_insideSpan_suppliesTheSpansIds() {
    Span span = randomSpan();
    try (Scope ignored = span.makeCurrent()) {
      assertEquals(expected(span.getSpanContext()), provider.supplyContextData());
    }
  }

  @Test
  void insideSpan_suppliesW3cLowercaseHex() {
    SpanContext w3cExample =
        SpanContext.create(
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "00f067aa0ba902b7",
            TraceFlags.getSampled(),
            TraceState.getDefault());
    try (Scope ignored = Span.wrap(w3cExample).makeCurrent()) {
      assertEquals(
          Map.of(
              "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736",
              "span_id", "00f067aa0ba902b7",
              "trace_flags", "01"),
          provider.supplyContextData());
    }
  }

  @Test
  void supplyStringMap_insideSpan_suppliesTheSpansIdsFrozen() {
    Span span = randomSpan();
    try (Scope ignored = span.makeCurrent()) {
      StringMap data = provider.supplyStringMap();
      assertEquals(expected(span.getSpanContext()), data.toMap());
      assertTrue(data.isFrozen(), "Log4j2 may keep the supplied map; it must not be mutable");
    }
  }

  @Test
  void outsideSpan_suppliesNothing() {
    assertEquals(Map.of(), provider.supplyContextData());
    assertEquals(0, provider.supplyStringMap().size());
    assertNull(provider.getValue(TraceContextData.TRACE_ID));
  }

  @Test
  void unsampledSpan_suppliesFlags00() {
    Span span = randomSpan(TraceFlags.getDefault());
    try (Scope ignored = span.makeCurrent()) {
      assertEquals("00", provider.supplyContextData().get(TraceContextData.TRACE_FLAGS));
      assertEquals("00", provider.supplyStringMap().getValue(TraceContextData.TRACE_FLAGS));
    }
  }

  @Test
  void getValue_insideSpan_returnsTheId() {
    Span span = randomSpan();
    try (Scope ignored = span.makeCurrent()) {
      assertEquals(
          span.getSpanContext().getSpanId(), provider.getValue(TraceContextData.SPAN_ID));
    }
  }

  @Test
  void nestedSpans_supplyInnerThenOuterAgainThenNothing() {
    Span outer = randomSpan();
    Span inner = randomSpan();
    try (Scope o = outer.makeCurrent()) {
      assertBothMaps(expected(outer.getSpanContext()));
      try (Scope i = inner.makeCurrent()) {
        assertBothMaps(expected(inner.getSpanContext()));
      }
      assertBothMaps(expected(outer.getSpanContext()));
    }
    assertBothMaps(Map.of());
  }

  @Test
  void sameSpan_returnsTheSameMaps() {
    try (Scope ignored = randomSpan().makeCurrent()) {
      assertSame(provider.supplyContextData(), provider.supplyContextData());
      assertSame(provider.supplyStringMap(), provider.supplyStringMap());
    }
  }

  @Test
  void anotherSpanContextObjectWithTheSameIds_reusesTheMaps() {
    SpanContext original = randomSpan().getSpanContext();
    SpanContext copy =
        SpanContext.create(
            original.getTraceId(),
            original.getSpanId(),
            original.getTraceFlags(),
            TraceState.getDefault());
    Map<String, String> first;
    try (Scope ignored = Span.wrap(original).makeCurrent()) {
      first = provider.supplyContextData();
    }
    try (Scope ignored = Span.wrap(copy).makeCurrent()) {
      assertSame(first, provider.supplyContextData());
    }
  }

  @Test
  void sameIdsButOtherFlags_suppliesNewFlags() {
    SpanContext sampled = randomSpan(TraceFlags.getSampled()).getSpanContext();
    SpanContext unsampled =
        SpanContext.create(
            sampled.getTraceId(),
            sampled.getSpanId(),
            TraceFlags.getDefault(),
            TraceState.getDefault());
    try (Scope ignored = Span.wrap(sampled).makeCurrent()) {
      provider.supplyContextData();
    }
    try (Scope ignored = Span.wrap(unsampled).makeCurrent()) {
      assertEquals("00", provider.supplyContextData().get(TraceContextData.TRACE_FLAGS));
    }
  }

  @Test
  void eachThread_suppliesItsOwnSpan() throws Exception {
    Span mine = randomSpan();
    Span theirs = randomSpan();
    try (Scope ignored = mine.makeCurrent()) {
      Map<String, String> before = provider.supplyContextData();
      Map<String, String> onOtherThread =
          CompletableFuture.supplyAsync(
                  () -> {
                    try (Scope s = theirs.makeCurrent()) {
                      return provider.supplyContextData();
                    }
                  })
              .get();
      assertEquals(expected(theirs.getSpanContext()), onOtherThread);
      assertNotSame(before, onOtherThread);
      assertEquals(expected(mine.getSpanContext()), provider.supplyContextData());
    }
  }

  /**
   * The point of the per-thread cache: logging many lines inside one span costs no allocation in
   * the provider. Without the cache each call builds a map (well over 50 bytes).
   */
  @Test
  void sameSpan_allocatesNothingPerCall() {
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    int calls = 200_000;
    try (Scope ignored = randomSpan().makeCurrent()) {
      exercise(calls); // warm up: class loading, thread-local creation, JIT
      long before = threads.getCurrentThreadAllocatedBytes();
      exercise(calls);
      long allocated = threads.getCurrentThreadAllocatedBytes() - before;
      assertTrue(
          allocated < calls / 4,
          () -> allocated + " bytes allocated in " + calls + " calls inside one span");
    }
  }

  private static Object sink;

  private void exercise(int calls) {
    for (int i = 0; i < calls; i++) {
      // Stored in a field so the JIT cannot prove the maps unused and elide their allocation.
      sink = provider.supplyContextData();
      sink = provider.supplyStringMap();
    }
  }

  @Test
  void isRegisteredForLog4j2sServiceLoader() {
    assertTrue(
        ServiceLoader.load(ContextDataProvider.class).stream()
            .anyMatch(p -> p.type() == TraceContextDataProvider.class));
  }

  private void assertBothMaps(Map<String, String> expected) {
    assertEquals(expected, provider.supplyContextData());
    ReadOnlyStringMap stringMap = provider.supplyStringMap();
    assertEquals(expected, stringMap.toMap());
  }

  static Map<String, String> expected(SpanContext span) {
    return Map.of(
        TraceContextData.TRACE_ID, span.getTraceId(),
        TraceContextData.SPAN_ID, span.getSpanId(),
        TraceContextData.TRACE_FLAGS, span.getTraceFlags().asHex());
  }
}
