package dev.cairn.log4j2;

import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.pattern.LogEventPatternConverter;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.StringBuilders;

/**
 * Prints one key of the event's context data, or a placeholder when the key is absent.
 *
 * <p>It reads the event, never the current thread: with async loggers the event is formatted on
 * another thread, long after the span that was current at the call site has ended.
 */
abstract class ContextDataKeyConverter extends LogEventPatternConverter {
  private final String key;
  private final String placeholder;

  ContextDataKeyConverter(String name, String style, String key, String[] options) {
    super(name, style);
    this.key = key;
    this.placeholder = placeholder(options);
  }

  /** The first option, e.g. {@code -} in {@code %traceId{-}}; by default nothing is printed. */
  static String placeholder(String[] options) {
    if (options == null || options.length == 0 || options[0] == null) {
      return "";
    }
    return options[0];
  }

  @Override
  public final void format(LogEvent event, StringBuilder toAppendTo) {
    ReadOnlyStringMap data = event.getContextData();
    Object value = data == null ? null : data.getValue(key);
    if (value instanceof String) {
      String s = (String) value;
      toAppendTo.append(s.isEmpty() ? placeholder : s);
    } else if (value == null) {
      toAppendTo.append(placeholder);
    } else {
      // Someone else put a non-string under our key; print it the way %X would.
      StringBuilders.appendValue(toAppendTo, value);
    }
  }

  /**
   * Lets {@code %notEmpty{...}} treat the placeholder as "no value", so {@code
   * %notEmpty{ trace=%traceId{-}}} disappears outside a span.
   */
  @Override
  public final String emptyVariableOutput() {
    return placeholder;
  }
}
