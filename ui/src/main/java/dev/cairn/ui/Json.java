package dev.cairn.ui;

import java.util.List;
import java.util.Map;

/**
 * Writes one JSON document into a {@link StringBuilder}. Commas are placed here, so callers only
 * open, name and close. Strings are escaped the way Go's {@code encoding/json} (and so Jaeger)
 * escapes them, including {@code <}, {@code >}, {@code &}, U+2028 and U+2029: whatever a span
 * holds stays inert text even if a page were to put the JSON inside HTML or a script.
 */
final class Json {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final StringBuilder out;
  // needsComma[d]: the container open at depth d already has an element
  private boolean[] needsComma = new boolean[32];
  private int depth;
  private boolean valueExpected; // a name was just written

  Json() {
    this(new StringBuilder(512));
  }

  Json(StringBuilder out) {
    this.out = out;
  }

  Json object() {
    beforeValue();
    out.append('{');
    push();
    return this;
  }

  Json endObject() {
    depth--;
    out.append('}');
    return this;
  }

  Json array() {
    beforeValue();
    out.append('[');
    push();
    return this;
  }

  Json endArray() {
    depth--;
    out.append(']');
    return this;
  }

  /** The name of the next member of the open object. */
  Json name(String name) {
    if (needsComma[depth]) {
      out.append(',');
    }
    needsComma[depth] = true;
    quote(name);
    out.append(':');
    valueExpected = true;
    return this;
  }

  Json value(String s) {
    beforeValue();
    if (s == null) {
      out.append("null");
    } else {
      quote(s);
    }
    return this;
  }

  Json value(long v) {
    beforeValue();
    out.append(v);
    return this;
  }

  /** A finite double as a JSON number; a non-finite one (JSON has none) as null. */
  Json value(double v) {
    beforeValue();
    if (Double.isFinite(v)) {
      out.append(v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v));
    } else {
      out.append("null");
    }
    return this;
  }

  Json value(boolean v) {
    beforeValue();
    out.append(v);
    return this;
  }

  Json nullValue() {
    beforeValue();
    out.append("null");
    return this;
  }

  /** Strings, numbers, booleans, null, lists and string-keyed maps of those; others as text. */
  Json any(Object v) {
    if (v == null) {
      return nullValue();
    }
    if (v instanceof String s) {
      return value(s);
    }
    if (v instanceof Boolean b) {
      return value(b.booleanValue());
    }
    if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return value(((Number) v).longValue());
    }
    if (v instanceof Number n) {
      return value(n.doubleValue());
    }
    if (v instanceof List<?> list) {
      array();
      for (Object o : list) {
        any(o);
      }
      return endArray();
    }
    if (v instanceof Map<?, ?> map) {
      object();
      map.forEach((k, x) -> name(String.valueOf(k)).any(x));
      return endObject();
    }
    return value(v.toString());
  }

  Json strings(List<String> values) {
    array();
    for (String s : values) {
      value(s);
    }
    return endArray();
  }

  @Override
  public String toString() {
    return out.toString();
  }

  private void beforeValue() {
    if (valueExpected) {
      valueExpected = false;
      return;
    }
    if (needsComma[depth]) {
      out.append(',');
    }
    needsComma[depth] = true;
  }

  private void push() {
    depth++;
    if (depth == needsComma.length) {
      needsComma = java.util.Arrays.copyOf(needsComma, depth * 2);
    }
    needsComma[depth] = false;
  }

  private void quote(String s) {
    out.append('"');
    escape(out, s);
    out.append('"');
  }

  /** Appends {@code s} escaped for the inside of a JSON string. */
  static void escape(StringBuilder out, CharSequence s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            unicode(out, c);
          } else if (Character.isSurrogate(c)) {
            // a lone surrogate is not text: it would not survive UTF-8; show the replacement character
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
              out.append(c).append(s.charAt(++i));
            } else {
              out.append('\ufffd');
            }
          } else {
            out.append(c);
          }
        }
      }
    }
  }

  private static void unicode(StringBuilder out, char c) {
    out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF])
        .append(HEX[(c >> 4) & 0xF]).append(HEX[c & 0xF]);
  }
}
