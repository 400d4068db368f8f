package dev.cairn.launcher;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict little JSON parser for reading the commands' output back in tests: objects become
 * LinkedHashMaps (a repeated key fails), arrays Lists, integers Long, numbers with a fraction or
 * exponent Double. Anything that is not exactly one JSON value fails.
 */
final class MiniJson {
  private final String s;
  private int i;

  private MiniJson(String s) {
    this.s = s;
  }

  static Object parse(String json) {
    MiniJson p = new MiniJson(json);
    Object v = p.value();
    p.ws();
    if (p.i != json.length()) {
      throw p.fail("trailing characters");
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String json) {
    return (Map<String, Object>) parse(json);
  }

  private Object value() {
    ws();
    if (i >= s.length()) {
      throw fail("unexpected end");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{' -> { return obj(); }
      case '[' -> { return arr(); }
      case '"' -> { return str(); }
      case 't' -> { return literal("true", Boolean.TRUE); }
      case 'f' -> { return literal("false", Boolean.FALSE); }
      case 'n' -> { return literal("null", null); }
      default -> { return num(); }
    }
  }

  private Map<String, Object> obj() {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    ws();
    if (peek('}')) {
      i++;
      return m;
    }
    while (true) {
      ws();
      String k = str();
      ws();
      expect(':');
      if (m.containsKey(k)) {
        throw fail("repeated key " + k);
      }
      m.put(k, value());
      ws();
      if (peek(',')) {
        i++;
      } else {
        expect('}');
        return m;
      }
    }
  }

  private List<Object> arr() {
    List<Object> l = new ArrayList<>();
    i++;
    ws();
    if (peek(']')) {
      i++;
      return l;
    }
    while (true) {
      l.add(value());
      ws();
      if (peek(',')) {
        i++;
      } else {
        expect(']');
        return l;
      }
    }
  }

  private String str() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) {
        throw fail("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw fail("raw control character in string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
          i += 4;
        }
        default -> throw fail("bad escape \\" + e);
      }
    }
  }

  private Object num() {
    int start = i;
    if (peek('-')) {
      i++;
    }
    boolean fraction = false;
    while (i < s.length() && "0123456789.eE+-".indexOf(s.charAt(i)) >= 0) {
      fraction |= ".eE".indexOf(s.charAt(i)) >= 0;
      i++;
    }
    String n = s.substring(start, i);
    if (n.isEmpty() || n.equals("-")) {
      throw fail("not a value");
    }
    return fraction ? (Object) Double.parseDouble(n) : (Object) Long.parseLong(n);
  }

  private Object literal(String word, Object v) {
    if (!s.startsWith(word, i)) {
      throw fail("not a value");
    }
    i += word.length();
    return v;
  }

  private void ws() {
    while (i < s.length() && " \t\n\r".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
  }

  private boolean peek(char c) {
    return i < s.length() && s.charAt(i) == c;
  }

  private void expect(char c) {
    if (!peek(c)) {
      throw fail("expected '" + c + "'");
    }
    i++;
  }

  private IllegalArgumentException fail(String why) {
    return new IllegalArgumentException(why + " at " + i + " in: " + s);
  }
}
