package dev.cairn.log4j2;

import org.apache.logging.log4j.core.config.plugins.Plugin;
import org.apache.logging.log4j.core.pattern.ConverterKeys;
import org.apache.logging.log4j.core.pattern.PatternConverter;

/**
 * {@code %spanId}: the span ID of the span that was current when the event was created, as 16
 * lowercase hex characters.
 *
 * <p>Reads {@link TraceContextData#SPAN_ID} from the event's context data, which {@link
 * TraceContextDataProvider} fills on the logging thread, so it prints the right value under async
 * loggers too. Outside a span it prints nothing, or the placeholder given as its option.
 *
 * <pre>{@code
 * <PatternLayout pattern="%d %p [%spanId] %m%n"/>     <!-- [00f067aa0ba902b7] or [] -->
 * <PatternLayout pattern="%d %p [%spanId{-}] %m%n"/>  <!-- [-] outside a span -->
 * }</pre>
 */
@Plugin(name = "CairnSpanIdPatternConverter", category = PatternConverter.CATEGORY)
@ConverterKeys({"spanId"})
public final class SpanIdPatternConverter extends ContextDataKeyConverter {
  private SpanIdPatternConverter(String[] options) {
    super("SpanId", "spanId", TraceContextData.SPAN_ID, options);
  }

  /**
   * Called by Log4j2's pattern parser.
   *
   * @param options the pattern's options; the first, if any, is printed outside a span
   */
  public static SpanIdPatternConverter newInstance(String[] options) {
    return new SpanIdPatternConverter(options);
  }
}
