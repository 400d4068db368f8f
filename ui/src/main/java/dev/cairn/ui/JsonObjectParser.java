package dev.cairn.ui;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads flat JSON objects: the {@code tags} parameter ({@code {"http.status_code":"500"}}, string
 * values only) and a puller's {@code /health} answer (strings, numbers, booleans). Strict: nested
 * values and malformed text are refused with the position.
 */
final class JsonObjectParser {
  private final String s;
  private int at;

  private JsonObjectParser(String s) {
    this.s = s;
  }

  /** An object of strings. @throws IllegalArgumentException saying what is wrong and where */
  static Map<String, String> stringMap(String json) {
    Map<String, String> out = new LinkedHashMap<>();
    scalars(json).forEach((k, v) -> {
      if (!(v instanceof String s)) {
        throw new IllegalArgumentException("the value of \"" + k + "\" is not a string");
      }
      out.put(k, s);
    });
    return out;
  }

  /**
   * An object of strings, numbers (Long or Double), booleans and nulls.
   *
   * @throws IllegalArgumentException saying what is wrong and where
   */
  static Map<String, Object> scalars(String json) {
    JsonObjectParser p = new JsonObjectParser(json);
    Map<String, Object> out = new LinkedHashMap<>();
    p.space();
    p.expect('{');
    p.space();
    if (p.peek() == '}') {
      p.at++;
    } else {
      while (true) {
        p.space();
        String key = p.string();
        p.space();
        p.expect(':');
        p.space();
        out.put(key, p.scalar(key));
        p.space();
        char c = p.next();
        if (c == '}') {
          break;
        }
        if (c != ',') {
          throw p.error("expected ',' or '}'");
        }
      }
    }
    p.space();
    if (p.at != json.length()) {
      throw p.error("unexpected text after the object");
    }
    return out;
  }

  private Object scalar(String key) {
    char c = peek();
    if (c == '"') {
      return string();
    }
    for (String word : new String[] {"true", "false", "null"}) {
      if (s.startsWith(word, at)) {
        at += word.length();
        return word.equals("null") ? null : Boolean.valueOf(word);
      }
    }
    int start = at;
    while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) {
      at++;
    }
    String n = s.substring(start, at);
    try {
      return n.matches("-?\\d{1,18}") ? (Object) Long.parseLong(n) : (Object) Double.parseDouble(n);
    } catch (NumberFormatException e) {
      at = start;
      throw error("the value of \"" + key + "\" is not a string, number or boolean");
    }
  }

  private String string() {
    expect('"');
    StringBuilder b = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return b.toString();
      }
      if (c < 0x20) {
        throw error("control character in a string");
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = next();
      switch (e) {
        case '"', '\\', '/' -> b.append(e);
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          if (at + 4 > s.length()) {
            throw error("short \\u escape");
          }
          try {
            b.append((char) Integer.parseInt(s.substring(at, at + 4), 16));
          } catch (NumberFormatException x) {
            throw error("bad \\u escape");
          }
          at += 4;
        }
        default -> throw error("bad escape \\" + e);
      }
    }
  }

  private void space() {
    while (at < s.length() && " \t\r\n".indexOf(s.charAt(at)) >= 0) {
      at++;
    }
  }

  private char peek() {
    return at < s.length() ? s.charAt(at) : '\0';
  }

  private char next() {
    if (at >= s.length()) {
      throw error("unexpected end");
    }
    return s.charAt(at++);
  }

  private void expect(char c) {
    if (at >= s.length() || s.charAt(at) != c) {
      throw error("expected '" + c + "'");
    }
    at++;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(what + " at offset " + at);
  }
}
