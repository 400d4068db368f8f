package dev.cairn.ui;

import java.util.List;
import java.util.Map;

/**
 * The query parameters of one request, with typed getters that turn bad values into a 400 naming
 * the parameter. An empty value counts as absent, as in Jaeger ({@code r.FormValue}).
 */
final class Params {
  private final Map<String, List<String>> values;

  Params(Map<String, List<String>> values) {
    this.values = values;
  }

  /** The first value, or "" when absent. */
  String string(String name) {
    List<String> v = values.get(name);
    return v == null || v.isEmpty() ? "" : v.get(0);
  }

  /** Every non-empty value, in order. */
  List<String> all(String name) {
    List<String> v = values.get(name);
    return v == null ? List.of() : v.stream().filter(s -> !s.isEmpty()).toList();
  }

  boolean has(String name) {
    return !string(name).isEmpty();
  }

  /** A whole number; {@code absent} when the parameter is absent. */
  long integer(String name, long absent) throws ApiException {
    String s = string(name);
    if (s.isEmpty()) {
      return absent;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("unable to parse param '" + name + "': '" + s + "' is not an integer");
    }
  }

  /** {@code true}/{@code false} (also 1/0, as Go's strconv.ParseBool); {@code absent} when absent. */
  boolean bool(String name, boolean absent) throws ApiException {
    String s = string(name);
    return switch (s) {
      case "" -> absent;
      case "true", "TRUE", "True", "1", "t", "T" -> true;
      case "false", "FALSE", "False", "0", "f", "F" -> false;
      default -> throw ApiException.badRequest("unable to parse param '" + name + "': '" + s
          + "' is not true or false");
    };
  }

  /** A result limit in [1, max]; {@code absent} when absent. */
  int limit(String name, int absent, int max) throws ApiException {
    long n = integer(name, absent);
    if (n < 1 || n > max) {
      throw ApiException.badRequest("param '" + name + "' must be between 1 and " + max + ": " + n);
    }
    return (int) n;
  }

  /**
   * A duration in µs, written as a Go duration ({@code 100ms}, {@code 1.5s}, {@code 1h30m},
   * {@code 250us}) or as a plain number of µs; 0 when absent; never negative.
   */
  long durationMicros(String name) throws ApiException {
    String s = string(name);
    if (s.isEmpty()) {
      return 0;
    }
    long micros;
    try {
      micros = isDigits(s) ? Long.parseLong(s) : GoDuration.parseNanos(s) / 1000;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("unable to parse param '" + name + "': " + e.getMessage());
    }
    if (micros < 0) {
      throw ApiException.badRequest("param '" + name + "' must not be negative: '" + s + "'");
    }
    return micros;
  }

  private static boolean isDigits(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** Go's {@code time.ParseDuration}: a signed sequence of decimal numbers with units. */
  static final class GoDuration {
    private GoDuration() {}

    /**
     * Nanoseconds of {@code s} such as {@code 300ms}, {@code -1.5h}, {@code 2h45m}; units ns, us
     * (µs, μs), ms, s, m, h; "0" alone needs no unit.
     *
     * @throws IllegalArgumentException with a message saying why
     */
    static long parseNanos(String s) {
      String orig = s;
      int i = 0;
      boolean negative = false;
      if (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+')) {
        negative = s.charAt(i) == '-';
        i++;
      }
      if (s.substring(i).equals("0")) {
        return 0;
      }
      if (i == s.length()) {
        throw invalid(orig);
      }
      double total = 0;
      while (i < s.length()) {
        int start = i;
        while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
          i++;
        }
        String number = s.substring(start, i);
        if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')) {
          throw invalid(orig);
        }
        int unitStart = i;
        while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
          i++;
        }
        String unit = s.substring(unitStart, i);
        long scale = switch (unit) {
          case "ns" -> 1L;
          case "us", "\u00b5s", "\u03bcs" -> 1_000L;
          case "ms" -> 1_000_000L;
          case "s" -> 1_000_000_000L;
          case "m" -> 60_000_000_000L;
          case "h" -> 3_600_000_000_000L;
          case "" -> throw new IllegalArgumentException("missing unit in duration \"" + orig
              + "\" (use ns, us, ms, s, m or h, e.g. 100ms or 1.5s)");
          default -> throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \""
              + orig + "\" (use ns, us, ms, s, m or h)");
        };
        total += Double.parseDouble(number) * scale;
      }
      if (total > Long.MAX_VALUE) {
        throw new IllegalArgumentException("duration \"" + orig + "\" is too long");
      }
      long nanos = Math.round(total);
      return negative ? -nanos : nanos;
    }

    private static IllegalArgumentException invalid(String s) {
      return new IllegalArgumentException("invalid duration \"" + s
          + "\" (a Go duration such as 100ms, 1.5s or 1h30m)");
    }
  }
}
