package dev.cairn.log4j2;

import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.PatternConverter;

/**
 * {@code %traceId}: the trace ID of the span that was current when the event was created, as 32
 * lowercase hex characters.
 *
 * <p>Reads {@link TraceContextData#TRACE_ID} from the event's context data, which {@link
 * TraceContextDataProvider} fills on the logging thread, so it prints the right value under async
 * loggers too. Outside a span it prints nothing, or the placeholder given as its option.
 *
 * <pre>{@code
 * <!-- [4bf92f3577b34da6a3ce929d0e0e4736] inside a span, [] outside -->
 * <PatternLayout pattern="%d %p [%traceId] %m%n"/>
 * <!-- [-] outside a span -->
 * <PatternLayout pattern="%d %p [%traceId{-}] %m%n"/>
 * }</pre>
 */
@Plugin(name = "CairnTraceIdPatternConverter", category = PatternConverter.CATEGORY)
@ConverterKeys({"traceId"})
public final class TraceIdPatternConverter extends ContextDataKeyConverter {
  private TraceIdPatternConverter(String[] options) {
    super("TraceId", "traceId", TraceContextData.TRACE_ID, options);
  }

  /**
   * Called by Log4j2's pattern parser.
   *
   * @param options the pattern's options; the first, if any, is printed outside a span
   */
  public static TraceIdPatternConverter newInstance(String[] options) {
    return new TraceIdPatternConverter(options);
  }
}
