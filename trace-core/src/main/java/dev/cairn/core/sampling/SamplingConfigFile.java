package dev.cairn.core.sampling;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.sampling.SamplingConfig.GroupBy;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Reads a {@link SamplingConfig} from a Java properties file (UTF-8). Every key is optional; a
 * missing key keeps its default. Unknown keys, duplicate keys and bad values are rejected with an
 * {@link IllegalArgumentException} whose message names the key and the value.
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>value</th><th>default</th></tr>
 *   <tr><td>{@code enabled}</td><td>{@code true} | {@code false}</td><td>{@code true}</td></tr>
 *   <tr><td>{@code components.disabled}</td><td>comma-separated scope names, a trailing
 *       {@code *} matching a prefix</td><td>empty</td></tr>
 *   <tr><td>{@code force.enabled}</td><td>{@code true} | {@code false}</td><td>{@code true}</td></tr>
 *   <tr><td>{@code force.baggageKey}</td><td>a baggage key</td><td>{@code cairn.force}</td></tr>
 *   <tr><td>{@code ratio}</td><td>decimal in [0, 1]</td><td>{@code 1.0}</td></tr>
 *   <tr><td>{@code rateLimit.perWindow}</td><td>integer, 0 = unlimited</td><td>{@code 0}</td></tr>
 *   <tr><td>{@code rateLimit.windowMillis}</td><td>integer &ge; 1</td><td>{@code 3000}</td></tr>
 *   <tr><td>{@code rateLimit.groupBy}</td><td>{@code scope} | {@code span} | {@code none}</td>
 *       <td>{@code scope}</td></tr>
 *   <tr><td>{@code rateLimit.group.<name>}</td><td>integer, 0 = unlimited</td><td>-</td></tr>
 * </table>
 *
 * <pre>{@code
 * # sampling.properties
 * ratio=0.25
 * components.disabled=io.opentelemetry.jdbc*
 * rateLimit.perWindow=100
 * rateLimit.group.io.opentelemetry.netty-4.1=500
 *
 * SamplingConfig config = SamplingConfigFile.read(Path.of("sampling.properties"));
 * }</pre>
 */
public final class SamplingConfigFile {

  static final String ENABLED = "enabled";
  static final String COMPONENTS_DISABLED = "components.disabled";
  static final String FORCE_ENABLED = "force.enabled";
  static final String FORCE_BAGGAGE_KEY = "force.baggageKey";
  static final String RATIO = "ratio";
  static final String RATE_LIMIT_PER_WINDOW = "rateLimit.perWindow";
  static final String RATE_LIMIT_WINDOW_MILLIS = "rateLimit.windowMillis";
  static final String RATE_LIMIT_GROUP_BY = "rateLimit.groupBy";
  static final String RATE_LIMIT_GROUP_PREFIX = "rateLimit.group.";

  private static final List<String> KEYS = List.of(ENABLED, COMPONENTS_DISABLED, FORCE_ENABLED,
      FORCE_BAGGAGE_KEY, RATIO, RATE_LIMIT_PER_WINDOW, RATE_LIMIT_WINDOW_MILLIS,
      RATE_LIMIT_GROUP_BY, RATE_LIMIT_GROUP_PREFIX + "<name>");

  private SamplingConfigFile() {}

  /**
   * Reads and parses a file.
   *
   * @throws IOException when the file cannot be read
   * @throws IllegalArgumentException naming the key and value, when the content is invalid
   */
  public static SamplingConfig read(Path file) throws IOException {
    requireNonNull(file, "file");
    return parse(Files.readString(file, StandardCharsets.UTF_8));
  }

  /**
   * Parses properties already loaded (e.g. by a daemon's own configuration layer).
   *
   * @throws IllegalArgumentException naming the key and value, when a key is unknown or a value
   *     is invalid
   */
  public static SamplingConfig parse(Properties properties) {
    requireNonNull(properties, "properties");
    Map<String, String> entries = new TreeMap<>();
    for (Map.Entry<Object, Object> e : properties.entrySet()) {
      if (!(e.getKey() instanceof String) || !(e.getValue() instanceof String)) {
        throw new IllegalArgumentException(
            "sampling config: key '" + e.getKey() + "' has a value that is not a string");
      }
      entries.put((String) e.getKey(), (String) e.getValue());
    }
    return parse(entries);
  }

  /** Parses the text of a properties file. */
  static SamplingConfig parse(String text) {
    DuplicateRejectingProperties properties = new DuplicateRejectingProperties();
    try {
      properties.load(new StringReader(text));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringReader does not fail
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("sampling config:")) {
        throw e; // a duplicate key, already described
      }
      // A malformed backslash-u escape: Properties does not say where.
      throw new IllegalArgumentException("sampling config: " + e.getMessage(), e);
    }
    return parse(properties);
  }

  private static SamplingConfig parse(Map<String, String> entries) {
    SamplingConfig.Builder b = SamplingConfig.builder();
    for (Map.Entry<String, String> e : entries.entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      switch (key) {
        case ENABLED:
          b.enabled(bool(key, value));
          break;
        case COMPONENTS_DISABLED:
          b.disabledComponents(components(key, value));
          break;
        case FORCE_ENABLED:
          b.forceEnabled(bool(key, value));
          break;
        case FORCE_BAGGAGE_KEY:
          if (value.isEmpty()) {
            throw bad(key, value, "must not be empty");
          }
          b.forceBaggageKey(value);
          break;
        case RATIO:
          b.ratio(ratio(key, value));
          break;
        case RATE_LIMIT_PER_WINDOW:
          b.rateLimitPerWindow(perWindow(key, value));
          break;
        case RATE_LIMIT_WINDOW_MILLIS:
          b.rateLimitWindowMillis(
              integer(key, value, 1, SamplingConfig.MAX_WINDOW_MILLIS, "a number of milliseconds"));
          break;
        case RATE_LIMIT_GROUP_BY:
          b.rateLimitGroupBy(groupBy(key, value));
          break;
        default:
          if (key.startsWith(RATE_LIMIT_GROUP_PREFIX)
              && key.length() > RATE_LIMIT_GROUP_PREFIX.length()) {
            b.rateLimitGroup(key.substring(RATE_LIMIT_GROUP_PREFIX.length()), perWindow(key, value));
          } else {
            throw new IllegalArgumentException(
                "sampling config: unknown key '" + key + "' (known keys: " + KEYS + ")");
          }
      }
    }
    String groupBy = entries.get(RATE_LIMIT_GROUP_BY);
    if (groupBy != null && groupBy.trim().equalsIgnoreCase("none")) {
      for (String key : entries.keySet()) {
        if (key.startsWith(RATE_LIMIT_GROUP_PREFIX)) {
          throw bad(key, entries.get(key).trim(),
              "no per-group limit can apply when " + RATE_LIMIT_GROUP_BY + "=none");
        }
      }
    }
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      // Every value was checked above, so this is a combination; report it as the builder does.
      throw new IllegalArgumentException("sampling config: " + e.getMessage(), e);
    }
  }

  private static boolean bool(String key, String value) {
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    if (value.equalsIgnoreCase("false")) {
      return false;
    }
    throw bad(key, value, "must be true or false");
  }

  private static List<String> components(String key, String value) {
    List<String> patterns = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      String pattern = part.trim();
      if (pattern.isEmpty()) {
        continue; // tolerate "a, b," and an empty value meaning "none"
      }
      int star = pattern.indexOf('*');
      if (star >= 0 && star != pattern.length() - 1) {
        throw bad(key, value, "'" + pattern + "': '*' is only allowed at the end");
      }
      patterns.add(pattern);
    }
    return patterns;
  }

  private static double ratio(String key, String value) {
    BigDecimal ratio;
    try {
      // BigDecimal, not Double.parseDouble: no NaN, Infinity, hex or "0.5d" slips through.
      ratio = new BigDecimal(value);
    } catch (NumberFormatException e) {
      throw bad(key, value, "must be a decimal number in [0, 1]");
    }
    if (ratio.signum() < 0 || ratio.compareTo(BigDecimal.ONE) > 0) {
      throw bad(key, value, "must be in [0, 1]");
    }
    return ratio.doubleValue();
  }

  private static int perWindow(String key, String value) {
    return (int) integer(key, value, 0, SamplingConfig.MAX_PER_WINDOW, "a count, 0 for unlimited");
  }

  private static long integer(String key, String value, long min, long max, String what) {
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw bad(key, value, "must be " + what);
    }
    if (parsed < min || parsed > max) {
      throw bad(key, value, "must be in [" + min + ", " + max + "]");
    }
    return parsed;
  }

  private static GroupBy groupBy(String key, String value) {
    switch (value.toLowerCase(Locale.ROOT)) {
      case "scope":
        return GroupBy.SCOPE;
      case "span":
        return GroupBy.SPAN;
      case "none":
        return GroupBy.NONE;
      default:
        throw bad(key, value, "must be scope, span or none");
    }
  }

  private static IllegalArgumentException bad(String key, String value, String why) {
    return new IllegalArgumentException(
        "sampling config: key '" + key + "' has bad value '" + value + "': " + why);
  }

  /** Properties silently keep the last of two equal keys; in a config file that hides a typo. */
  private static final class DuplicateRejectingProperties extends Properties {
    private static final long serialVersionUID = 1L;

    @Override
    public synchronized Object put(Object key, Object value) {
      Object previous = super.put(key, value);
      if (previous != null) {
        throw new IllegalArgumentException("sampling config: key '" + key
            + "' appears twice (values '" + previous + "' and '" + value + "')");
      }
      return null;
    }
  }
}
