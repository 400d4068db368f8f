package dev.cairn.core.internal;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Internal: the value syntaxes of the daemons' configuration files (shipper.yaml, puller.yaml):
 * durations, sizes, host:port addresses, glob lists, and the edit distance behind "did you mean".
 * Each parser throws {@link IllegalArgumentException} with a message that completes "key: ...".
 * Not a stable API.
 */
public final class ConfigValues {
  private ConfigValues() {}

  private static final Pattern DURATION_PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?", Pattern.CASE_INSENSITIVE);

  /**
   * A duration such as {@code 72h}, {@code 30m}, {@code 1h30m}, {@code 500ms}, {@code 7d}, or ISO-8601
   * ({@code PT72H}). A bare number is refused: the unit is never guessed.
   */
  public static Duration duration(String text) {
    String s = text.strip();
    if (s.length() > 1 && (s.charAt(0) == 'P' || s.charAt(0) == 'p')) {
      try {
        return nonNegative(Duration.parse(s), text);
      } catch (DateTimeParseException e) {
        throw notA("duration", text);
      }
    }
    String lower = s.toLowerCase(Locale.ROOT);
    Matcher m = DURATION_PART.matcher(lower);
    Duration total = Duration.ZERO;
    int at = 0;
    while (at < lower.length()) {
      if (!m.find(at) || m.start() != at) {
        throw notA("duration", text);
      }
      long n;
      try {
        n = Long.parseLong(m.group(1));
        total = total.plus(switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        });
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException("\"" + text + "\" is too long a duration");
      }
      at = m.end();
    }
    if (at == 0) {
      throw notA("duration", text);
    }
    return total;
  }

  private static Duration nonNegative(Duration d, String text) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("\"" + text + "\" is negative");
    }
    return d;
  }

  private static IllegalArgumentException notA(String what, String text) {
    String example = what.equals("duration")
        ? "like 72h, 30m, 1h30m, 500ms or 7d"
        : "like 50GB, 512MB, 1.5TB or a number of bytes";
    return new IllegalArgumentException("\"" + text + "\" is not a " + what + " (" + example + ")");
  }

  /**
   * A size such as {@code 50GB}, {@code 512 MB}, {@code 1.5TB}, {@code 1GiB} or a plain number of
   * bytes. K, M, G and T are powers of 1024 (as for the {@code <SpanFile>} appender); "B" and "i"
   * are optional.
   */
  public static long size(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw notA("size", text);
    }
    String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
    int shift = switch (unit.charAt(0)) {
      case 'k' -> 10;
      case 'm' -> 20;
      case 'g' -> 30;
      case 't' -> 40;
      default -> 0;
    };
    if (shift == 0 && m.group(1).contains(".")) {
      throw new IllegalArgumentException("\"" + text + "\" is a fraction of a byte");
    }
    double bytes = Double.parseDouble(m.group(1)) * (1L << shift);
    if (bytes >= 0x1p63) {
      throw new IllegalArgumentException("\"" + text + "\" is too large");
    }
    return (long) bytes;
  }

  /** A size for humans: whole KiB/MiB/GiB/TiB when exact, bytes otherwise. */
  public static String formatSize(long bytes) {
    String[] units = {"TB", "GB", "MB", "KB"};
    for (int i = 0; i < units.length; i++) {
      int shift = 40 - 10 * i;
      if (bytes != 0 && bytes % (1L << shift) == 0) {
        return (bytes >> shift) + units[i];
      }
    }
    return bytes + "B";
  }

  /** A duration for humans, the way {@link #duration} reads it back: 72h, 1h30m, 500ms. */
  public static String formatDuration(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long days = d.toDays();
    long hours = d.toHoursPart();
    // Whole weeks read best in days; anything shorter in hours, as operators write retention.
    if (days > 0 && days % 7 == 0 && hours == 0 && d.toMinutesPart() == 0 && d.toSecondsPart() == 0
        && d.toMillisPart() == 0) {
      return days + "d";
    }
    hours += days * 24;
    append(b, hours, "h");
    append(b, d.toMinutesPart(), "m");
    append(b, d.toSecondsPart(), "s");
    append(b, d.toMillisPart(), "ms");
    return b.toString();
  }

  private static void append(StringBuilder b, long n, String unit) {
    if (n != 0) {
      b.append(n).append(unit);
    }
  }

  /**
   * {@code host:port}, {@code [ipv6]:port}; port 0 asks for an ephemeral port. The host is resolved
   * now, so a typo fails at startup. An empty host is refused: listening on every interface must
   * be said ({@code 0.0.0.0:7390}).
   */
  public static InetSocketAddress hostPort(String text) {
    String s = text.strip();
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw badAddress(text);
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0 || s.indexOf(':') != colon) {
        throw badAddress(text);
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("\"" + text + "\" has no host; write 127.0.0.1:" + port
          + " for this host only or 0.0.0.0:" + port + " for every interface");
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      throw badAddress(text);
    }
    if (p < 0 || p > 65_535) {
      throw new IllegalArgumentException("port " + p + " in \"" + text + "\" is not in 0..65535");
    }
    InetSocketAddress address = new InetSocketAddress(host, p);
    if (address.isUnresolved()) {
      throw new IllegalArgumentException("host \"" + host + "\" does not resolve");
    }
    return address;
  }

  private static IllegalArgumentException badAddress(String text) {
    return new IllegalArgumentException(
        "\"" + text + "\" is not host:port (like 127.0.0.1:7390, 0.0.0.0:7390 or [::1]:7390)");
  }

  /** The address as {@code host:port} with a literal IP, brackets around IPv6. */
  public static String formatAddress(InetSocketAddress a) {
    String host = a.getAddress() == null ? a.getHostString() : a.getAddress().getHostAddress();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /**
   * Splits a comma-separated list of globs, keeping commas inside {@code {a,b}} and
   * {@code [...]} (glob syntax) and dropping empty entries.
   */
  public static List<String> globList(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int braces = 0;
    boolean bracket = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\' && i + 1 < text.length()) {
        cur.append(c).append(text.charAt(++i));
        continue;
      }
      if (bracket) {
        bracket = c != ']';
      } else if (c == '[') {
        bracket = true;
      } else if (c == '{') {
        braces++;
      } else if (c == '}' && braces > 0) {
        braces--;
      } else if (c == ',' && braces == 0) {
        add(out, cur);
        continue;
      }
      cur.append(c);
    }
    add(out, cur);
    return out;
  }

  private static void add(List<String> out, StringBuilder cur) {
    String s = cur.toString().strip();
    if (!s.isEmpty()) {
      out.add(s);
    }
    cur.setLength(0);
  }

  /** Whether the path component holds glob syntax. */
  public static boolean hasGlobSyntax(String component) {
    for (int i = 0; i < component.length(); i++) {
      switch (component.charAt(i)) {
        case '*', '?', '[', '{', '\\' -> {
          return true;
        }
        default -> { }
      }
    }
    return false;
  }

  /** Levenshtein distance, for "did you mean" on unknown keys. */
  public static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = Character.toLowerCase(a.charAt(i - 1)) == Character.toLowerCase(b.charAt(j - 1)) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
