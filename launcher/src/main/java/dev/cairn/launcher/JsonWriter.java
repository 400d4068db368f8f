package dev.cairn.launcher;

import java.util.List;

/**
 * A minimal streaming JSON writer into a reusable {@link StringBuilder}: enough for one record per
 * line, with no library behind it. It places commas itself; callers only open, name and close.
 * Non-finite doubles are written as the strings {@code "NaN"}, {@code "Infinity"} and
 * {@code "-Infinity"} because JSON has no literal for them.
 */
final class JsonWriter {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final StringBuilder out = new StringBuilder(1024);
  // hasElement[d]: the container at depth d already holds an element, so the next needs a comma.
  private boolean[] hasElement = new boolean[16];
  private int depth;
  private boolean afterName;

  /** Empties the buffer to write the next document. */
  JsonWriter reset() {
    out.setLength(0);
    depth = 0;
    hasElement[0] = false;
    afterName = false;
    return this;
  }

  StringBuilder buffer() {
    return out;
  }

  @Override
  public String toString() {
    return out.toString();
  }

  JsonWriter beginObject() {
    open('{');
    return this;
  }

  JsonWriter endObject() {
    close('}');
    return this;
  }

  JsonWriter beginArray() {
    open('[');
    return this;
  }

  JsonWriter endArray() {
    close(']');
    return this;
  }

  JsonWriter name(String name) {
    separate();
    string(name);
    out.append(':');
    afterName = true;
    return this;
  }

  JsonWriter value(CharSequence s) {
    separate();
    string(s);
    return this;
  }

  JsonWriter value(long v) {
    separate();
    out.append(v);
    return this;
  }

  JsonWriter value(boolean v) {
    separate();
    out.append(v);
    return this;
  }

  JsonWriter value(double v) {
    separate();
    if (Double.isNaN(v)) {
      out.append("\"NaN\"");
    } else if (Double.isInfinite(v)) {
      out.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      // Double.toString always has a '.' or an exponent, so a double stays a double when read
      // back, and its form (1.0E10, 1.0E-5) is valid JSON.
      out.append(v);
    }
    return this;
  }

  /**
   * An attribute value: String, Boolean, Long, Double, or a List of those (as a JSON array).
   * Anything else is written as its string form.
   */
  JsonWriter attributeValue(Object v) {
    if (v instanceof String s) {
      return value(s);
    }
    if (v instanceof Boolean b) {
      return value(b.booleanValue());
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return value(((Number) v).longValue());
    }
    if (v instanceof Double || v instanceof Float) {
      return value(((Number) v).doubleValue());
    }
    if (v instanceof List<?> list) {
      beginArray();
      for (Object item : list) {
        attributeValue(item);
      }
      return endArray();
    }
    return value(String.valueOf(v));
  }

  /** Appends an already-rendered JSON value (a fragment this class wrote earlier). */
  JsonWriter raw(CharSequence json) {
    separate();
    out.append(json);
    return this;
  }

  private void open(char c) {
    separate();
    out.append(c);
    depth++;
    if (depth == hasElement.length) {
      hasElement = java.util.Arrays.copyOf(hasElement, depth * 2);
    }
    hasElement[depth] = false;
  }

  private void close(char c) {
    if (depth == 0) {
      throw new IllegalStateException("nothing open to close with " + c);
    }
    depth--;
    out.append(c);
  }

  private void separate() {
    if (afterName) {
      afterName = false;
      return;
    }
    if (hasElement[depth]) {
      out.append(',');
    }
    hasElement[depth] = true;
  }

  private void string(CharSequence s) {
    out.append('"');
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || (Character.isSurrogate(c) && !pairedSurrogate(s, i))) {
            // Control characters must be escaped; a lone surrogate has no UTF-8 form, so it is
            // escaped too rather than turned into '?' by the output encoder.
            unicodeEscape(c);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static boolean pairedSurrogate(CharSequence s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private void unicodeEscape(char c) {
    out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
        .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
  }
}
