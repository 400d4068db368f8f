package dev.cairn.ui;

import dev.cairn.core.model.TraceId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parsing shared by the Jaeger and the Cairn API: trace IDs, time ranges, tag filters. */
final class Queries {
  /** Trace searches without {@code start} look back this far from {@code end}. */
  static final long DEFAULT_SEARCH_LOOKBACK_MICROS = 2L * 24 * 3600 * 1_000_000;

  private Queries() {}

  /** A time range [start, end] in µs since the epoch. */
  record Range(long start, long end) {}

  /**
   * A trace ID as Jaeger accepts it: 1 to 32 hex characters (shorter ones are left-padded with
   * zeros, so a 16-character ID is a 64-bit trace ID), not all zero.
   */
  static TraceId traceId(String param, String text) throws ApiException {
    if (text.isEmpty() || text.length() > 32) {
      throw malformedTraceId(param, text);
    }
    String hex = "0".repeat(32 - text.length()) + text;
    if (!dev.cairn.core.model.Ids.isHex(hex, 32)) {
      throw malformedTraceId(param, text);
    }
    long high = Long.parseUnsignedLong(hex.substring(0, 16), 16);
    long low = Long.parseUnsignedLong(hex.substring(16), 16);
    if (high == 0 && low == 0) {
      throw ApiException.badRequest("malformed " + param + ": a trace ID must not be all zeros");
    }
    return new TraceId(high, low);
  }

  private static ApiException malformedTraceId(String param, String text) {
    return ApiException.badRequest("malformed " + param + " '" + shorten(text)
        + "': expected 1 to 32 hex characters (16 or 32 as Jaeger prints them)");
  }

  /** {@code start}/{@code end} in µs; end defaults to now, start to end minus {@code lookback}. */
  static Range range(Params p, String startParam, String endParam, long lookbackMicros, Limits limits)
      throws ApiException {
    long end = p.integer(endParam, System.currentTimeMillis() * 1000);
    long start = p.integer(startParam, Math.max(0, end - lookbackMicros));
    if (start < 0) {
      throw ApiException.badRequest("param '" + startParam + "' must not be negative: " + start);
    }
    if (end < 0) {
      throw ApiException.badRequest("param '" + endParam + "' must not be negative: " + end);
    }
    if (end < start) {
      throw ApiException.badRequest("param '" + endParam + "' (" + end + ") is before '" + startParam
          + "' (" + start + ")");
    }
    if (end - start > limits.maxRangeMicros()) {
      throw ApiException.badRequest("the range from '" + startParam + "' to '" + endParam
          + "' is longer than " + limits.rangeText() + ", the most one request may cover");
    }
    return new Range(start, end);
  }

  /**
   * Tag filters: {@code tag} values split at the first {@code separator} (Jaeger: ':'), and the
   * JSON objects of {@code tags} (Jaeger: {@code {"k":"v"}}).
   */
  static Map<String, String> tags(Params p, String tagParam, String tagsParam, String separators)
      throws ApiException {
    Map<String, String> out = new LinkedHashMap<>();
    for (String tag : p.all(tagParam)) {
      int at = -1;
      for (char sep : separators.toCharArray()) {
        at = tag.indexOf(sep);
        if (at >= 0) {
          break;
        }
      }
      if (at <= 0) {
        throw ApiException.badRequest("malformed '" + tagParam + "' parameter, expecting key"
            + separators.charAt(0) + "value, received: " + shorten(tag));
      }
      out.put(tag.substring(0, at), tag.substring(at + 1));
    }
    for (String json : p.all(tagsParam)) {
      try {
        out.putAll(JsonObjectParser.stringMap(json));
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("malformed '" + tagsParam + "' parameter, cannot read it as a JSON"
            + " object of strings: " + e.getMessage());
      }
    }
    return out;
  }

  /** Bad input is echoed in messages, but never at any length. */
  static String shorten(String s) {
    return s.length() <= 100 ? s : s.substring(0, 100) + "…";
  }

  static List<String> sortedDistinct(List<String> names) {
    return names.stream().distinct().sorted().toList();
  }
}
