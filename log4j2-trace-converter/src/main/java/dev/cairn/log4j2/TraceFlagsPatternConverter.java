package dev.cairn.log4j2;

import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.PatternConverter;

/**
 * {@code %traceFlags}: the W3C trace flags of the span that was current when the event was
 * created, as 2 lowercase hex characters ({@code 01} when the span is sampled).
 *
 * <p>Reads {@link TraceContextData#TRACE_FLAGS} from the event's context data, which {@link
 * TraceContextDataProvider} fills on the logging thread, so it prints the right value under async
 * loggers too. Outside a span it prints nothing, or the placeholder given as its option.
 *
 * <pre>{@code
 * <PatternLayout pattern="%d %p [%traceFlags] %m%n"/>     <!-- [01] or [] -->
 * <PatternLayout pattern="%d %p [%traceFlags{-}] %m%n"/>  <!-- [-] outside a span -->
 * }</pre>
 */
@Plugin(name = "CairnTraceFlagsPatternConverter", category = PatternConverter.CATEGORY)
@ConverterKeys({"traceFlags"})
public final class TraceFlagsPatternConverter extends ContextDataKeyConverter {
  private TraceFlagsPatternConverter(String[] options) {
    super("TraceFlags", "traceFlags", TraceContextData.TRACE_FLAGS, options);
  }

  /**
   * Called by Log4j2's pattern parser.
   *
   * @param options the pattern's options; the first, if any, is printed outside a span
   */
  public static TraceFlagsPatternConverter newInstance(String[] options) {
    return new TraceFlagsPatternConverter(options);
  }
}
