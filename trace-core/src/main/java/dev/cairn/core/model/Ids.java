package dev.cairn.core.model;

/**
 * Trace and span IDs as lowercase hex, the form W3C {@code traceparent}, Jaeger and Zipkin use.
 * A trace ID is 128 bits held as two longs (high, low); a span ID is 64 bits; zero means "none".
 *
 * <pre>{@code
 * String hex = Ids.traceIdHex(hi, lo);      // 32 chars
 * long hi = Ids.parseHexLong(hex, 0);        // first 16 chars
 * }</pre>
 */
public final class Ids {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Ids() {}

  /** 32 lowercase hex characters. */
  public static String traceIdHex(long high, long low) {
    char[] c = new char[32];
    fill(c, 0, high);
    fill(c, 16, low);
    return new String(c);
  }

  /** 16 lowercase hex characters. */
  public static String spanIdHex(long id) {
    char[] c = new char[16];
    fill(c, 0, id);
    return new String(c);
  }

  /** Appends 16 lowercase hex characters without allocating. */
  public static void appendHex(StringBuilder out, long value) {
    for (int shift = 60; shift >= 0; shift -= 4) {
      out.append(HEX[(int) (value >>> shift) & 0xF]);
    }
  }

  private static void fill(char[] c, int at, long v) {
    for (int i = 15; i >= 0; i--) {
      c[at + i] = HEX[(int) v & 0xF];
      v >>>= 4;
    }
  }

  /**
   * Parses 16 hex characters of {@code s} starting at {@code from}.
   *
   * @throws IllegalArgumentException naming the offending text when a character is not hex or
   *     the text is too short
   */
  public static long parseHexLong(CharSequence s, int from) {
    if (s.length() < from + 16) {
      throw new IllegalArgumentException("expected 16 hex characters at " + from + " in '" + s + "'");
    }
    long v = 0;
    for (int i = from; i < from + 16; i++) {
      int d = Character.digit(s.charAt(i), 16);
      if (d < 0) {
        throw new IllegalArgumentException("not a hex character at " + i + " in '" + s + "'");
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** True when {@code s} is exactly {@code length} lowercase or uppercase hex characters. */
  public static boolean isHex(CharSequence s, int length) {
    if (s == null || s.length() != length) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
