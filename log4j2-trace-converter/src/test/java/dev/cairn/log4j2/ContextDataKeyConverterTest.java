package dev.cairn.log4j2;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.context.Scope;
import org.apache.logging.log4j.core.AbstractLogEvent;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.plugins.util.PluginManager;
import org.apache.logging.log4j.core.config.plugins.util.PluginType;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.pattern.LogEventPatternConverter;
import org.apache.logging.log4j.core.pattern.PatternConverter;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.apache.logging.log4j.util.StringMap;
import org.junit.jupiter.api.Test;

@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
class ContextDataKeyConverterTest {
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
  private static final String SPAN_ID = "00f067aa0ba902b7";

  private static final String[] NO_OPTIONS = {};

  @Test
  void format_appendsEachKeyFromTheEventsContextData() {
    LogEvent event = eventWith(TRACE_ID, SPAN_ID, "01");
    assertEquals(TRACE_ID, format(TraceIdPatternConverter.newInstance(NO_OPTIONS), event));
    assertEquals(SPAN_ID, format(SpanIdPatternConverter.newInstance(NO_OPTIONS), event));
    assertEquals("01", format(TraceFlagsPatternConverter.newInstance(NO_OPTIONS), event));
  }

  @Test
  void format_readsTheEventNotTheCurrentSpan() {
    // The event was created inside another span (or on another thread): its data wins.
    LogEvent event = eventWith(TRACE_ID, SPAN_ID, "01");
    try (Scope ignored = TestSpans.randomSpan().makeCurrent()) {
      assertEquals(TRACE_ID, format(TraceIdPatternConverter.newInstance(NO_OPTIONS), event));
      assertEquals(SPAN_ID, format(SpanIdPatternConverter.newInstance(NO_OPTIONS), event));
    }
  }

  @Test
  void format_appendsAfterWhatIsAlreadyThere() {
    StringBuilder line = new StringBuilder("trace=");
    LogEvent event = eventWith(TRACE_ID, SPAN_ID, "01");
    TraceIdPatternConverter.newInstance(NO_OPTIONS).format(event, line);
    assertEquals("trace=" + TRACE_ID, line.toString());
  }

  @Test
  void format_withoutTheKeys_appendsNothingAndDoesNotThrow() {
    LogEvent event = eventWith(new SortedArrayStringMap());
    for (LogEventPatternConverter converter : allConverters(NO_OPTIONS)) {
      StringBuilder line = new StringBuilder("x");
      assertDoesNotThrow(() -> converter.format(event, line));
      assertEquals("x", line.toString(), converter.getName());
    }
  }

  @Test
  void format_withoutTheKeys_appendsThePlaceholder() {
    LogEvent event = eventWith(new SortedArrayStringMap());
    for (LogEventPatternConverter converter : allConverters(new String[] {"-"})) {
      assertEquals("-", format(converter, event), converter.getName());
    }
  }

  @Test
  void format_withoutContextData_appendsThePlaceholder() {
    LogEvent noContextData = new AbstractLogEvent() {
          @Override
          public ReadOnlyStringMap getContextData() {
            return null;
          }
        };
    assertEquals(
        "none", format(TraceIdPatternConverter.newInstance(new String[] {"none"}), noContextData));
  }

  @Test
  void format_emptyValue_appendsThePlaceholder() {
    LogEvent emptyValues = eventWith("", "", "");
    assertEquals("-", format(TraceIdPatternConverter.newInstance(new String[] {"-"}), emptyValues));
  }

  @Test
  void format_nonStringValue_appendsItsText() {
    StringMap data = new SortedArrayStringMap();
    data.putValue(TraceContextData.TRACE_FLAGS, 1);
    assertEquals("1", format(TraceFlagsPatternConverter.newInstance(NO_OPTIONS), eventWith(data)));
  }

  @Test
  void newInstance_withoutOptions_placeholderIsEmpty() {
    for (String[] options : new String[][] {null, NO_OPTIONS, {null}}) {
      assertEquals("", TraceIdPatternConverter.newInstance(options).emptyVariableOutput());
      LogEvent noKeys = eventWith(new SortedArrayStringMap());
      assertEquals("", format(SpanIdPatternConverter.newInstance(options), noKeys));
    }
  }

  @Test
  void emptyVariableOutput_isThePlaceholder() {
    SpanIdPatternConverter converter = SpanIdPatternConverter.newInstance(new String[] {"n/a"});
    assertEquals("n/a", converter.emptyVariableOutput());
  }

  @Test
  void pluginIndex_registersTheConvertersUnderTheirKeys() {
    PluginManager converters = new PluginManager(PatternConverter.CATEGORY);
    converters.collectPlugins();
    assertPlugin(converters, "CairnTraceIdPatternConverter", TraceIdPatternConverter.class);
    assertPlugin(converters, "CairnSpanIdPatternConverter", SpanIdPatternConverter.class);
    assertPlugin(converters, "CairnTraceFlagsPatternConverter", TraceFlagsPatternConverter.class);
  }

  private static void assertPlugin(PluginManager converters, String name, Class<?> type) {
    PluginType<?> plugin = converters.getPluginType(name);
    assertEquals(type, plugin == null ? null : plugin.getPluginClass(), name);
  }

  private static LogEventPatternConverter[] allConverters(String[] options) {
    return new LogEventPatternConverter[] {
      TraceIdPatternConverter.newInstance(options),
      SpanIdPatternConverter.newInstance(options),
      TraceFlagsPatternConverter.newInstance(options)
    };
  }

  private static String format(LogEventPatternConverter converter, LogEvent event) {
    StringBuilder line = new StringBuilder();
    converter.format(event, line);
    return line.toString();
  }

  private static LogEvent eventWith(String traceId, String spanId, String flags) {
    StringMap data = new SortedArrayStringMap();
    data.putValue(TraceContextData.TRACE_ID, traceId);
    data.putValue(TraceContextData.SPAN_ID, spanId);
    data.putValue(TraceContextData.TRACE_FLAGS, flags);
    return eventWith(data);
  }

  private static LogEvent eventWith(StringMap data) {
    return Log4jLogEvent.newBuilder()
        .setMessage(new SimpleMessage("hello"))
        .setContextData(data)
        .build();
  }
}
