package dev.cairn.ui;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON reader for tests: objects as LinkedHashMap, arrays as List, integers as Long,
 * other numbers as Double, so that tests can check JSON types as well as values.
 */
final class JsonParser {
  private final String s;
  private int at;

  private JsonParser(String s) {
    this.s = s;
  }

  static Object parse(String json) {
    JsonParser p = new JsonParser(json);
    Object v = p.value();
    p.space();
    if (p.at != json.length()) {
      throw new IllegalArgumentException("trailing text at " + p.at + ": " + json);
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(String json) {
    return (Map<String, Object>) parse(json);
  }

  private Object value() {
    space();
    char c = s.charAt(at);
    switch (c) {
      case '{' -> {
        at++;
        Map<String, Object> m = new LinkedHashMap<>();
        space();
        if (s.charAt(at) == '}') {
          at++;
          return m;
        }
        while (true) {
          space();
          String k = string();
          space();
          expect(':');
          if (m.put(k, value()) != null) {
            throw new IllegalArgumentException("duplicate key " + k);
          }
          space();
          char d = s.charAt(at++);
          if (d == '}') {
            return m;
          }
          if (d != ',') {
            throw new IllegalArgumentException("expected , or } at " + at);
          }
        }
      }
      case '[' -> {
        at++;
        List<Object> l = new ArrayList<>();
        space();
        if (s.charAt(at) == ']') {
          at++;
          return l;
        }
        while (true) {
          l.add(value());
          space();
          char d = s.charAt(at++);
          if (d == ']') {
            return l;
          }
          if (d != ',') {
            throw new IllegalArgumentException("expected , or ] at " + at);
          }
        }
      }
      case '"' -> {
        return string();
      }
      case 't' -> {
        literal("true");
        return Boolean.TRUE;
      }
      case 'f' -> {
        literal("false");
        return Boolean.FALSE;
      }
      case 'n' -> {
        literal("null");
        return null;
      }
      default -> {
        int start = at;
        while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) {
          at++;
        }
        String n = s.substring(start, at);
        if (n.isEmpty()) {
          throw new IllegalArgumentException("unexpected " + c + " at " + at);
        }
        return n.matches("-?\\d+") ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
      }
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = s.charAt(at++);
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("raw control character in string at " + at);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = s.charAt(at++);
      switch (e) {
        case 'u' -> {
          b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
          at += 4;
        }
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case '"', '\\', '/' -> b.append(e);
        default -> throw new IllegalArgumentException("bad escape at " + at);
      }
    }
  }

  private void literal(String w) {
    if (!s.startsWith(w, at)) {
      throw new IllegalArgumentException("expected " + w + " at " + at);
    }
    at += w.length();
  }

  private void expect(char c) {
    if (s.charAt(at) != c) {
      throw new IllegalArgumentException("expected " + c + " at " + at + " in " + s);
    }
    at++;
  }

  private void space() {
    while (at < s.length() && " \t\r\n".indexOf(s.charAt(at)) >= 0) {
      at++;
    }
  }
}
