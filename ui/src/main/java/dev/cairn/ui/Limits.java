package dev.cairn.ui;

import java.time.Duration;

/**
 * The caps on what one request may ask for, so that no request can make the server read the whole
 * store: results per search, and the width of any time range (search, aggregates, dependency
 * lookback).
 *
 * @param maxResults traces (or summaries) one search or lookup may return
 * @param maxRangeMicros the widest time range, µs
 */
record Limits(int maxResults, long maxRangeMicros) {
  static final Limits DEFAULT = new Limits(1_000, Duration.ofDays(31).toNanos() / 1000);

  Limits {
    if (maxResults < 1) {
      throw new IllegalArgumentException("maxResults must be at least 1: " + maxResults);
    }
    if (maxRangeMicros < 1) {
      throw new IllegalArgumentException("maxRange must be positive");
    }
  }

  /** The widest range for messages: "31 days", "12 hours", "90 minutes". */
  String rangeText() {
    long minutes = maxRangeMicros / 60_000_000;
    if (minutes % (24 * 60) == 0) {
      return minutes / (24 * 60) + " days";
    }
    return minutes % 60 == 0 ? minutes / 60 + " hours" : minutes + " minutes";
  }
}
