package dev.cairn.store.elasticsearch;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Names of Cairn's indices under one prefix (docs/store-elasticsearch.md): daily indices
 * {@code <prefix>-span-yyyy-MM-dd}, {@code <prefix>-log-yyyy-MM-dd} and
 * {@code <prefix>-trace-yyyy-MM-dd}, {@code <prefix>-agg-yyyy-MM-dd} and
 * {@code <prefix>-dep-yyyy-MM-dd}, each kind with its own index template.
 */
final class EsIndices {
  static final String SPAN = "span";
  static final String LOG = "log";
  static final String TRACE = "trace";
  /** Per-minute aggregates of (service, operation). */
  static final String AGG = "agg";
  /** Per-minute calls between services. */
  static final String DEP = "dep";
  /** A write's intent: what it stores, so its counts can be finished after a crash. */
  static final String INTENT = "intent";
  static final String[] KINDS = {SPAN, LOG, TRACE, AGG, DEP, INTENT};

  /** Elasticsearch's rules for index names, narrowed to what a prefix of ours may hold. */
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,99}");
  private static final DateTimeFormatter DAY = DateTimeFormatter.ISO_LOCAL_DATE;

  private final String prefix;

  EsIndices(String prefix) {
    this.prefix = checkPrefix(prefix);
  }

  /** @throws IllegalArgumentException when the prefix cannot start an index name */
  static String checkPrefix(String prefix) {
    if (!PREFIX.matcher(prefix).matches() || prefix.equals(".") || prefix.equals("..")) {
      throw new IllegalArgumentException("indexPrefix \"" + prefix + "\" must be 1 to 100 of"
          + " a-z 0-9 _ . - starting with a letter or digit (an Elasticsearch index name)");
    }
    return prefix;
  }

  String prefix() {
    return prefix;
  }

  /** The daily index of this kind holding a record of this time (UTC day). */
  String daily(String kind, long micros) {
    return prefix + '-' + kind + '-' + day(micros).format(DAY);
  }

  /** Every daily index of this kind. */
  String pattern(String kind) {
    return prefix + '-' + kind + "-*";
  }

  String templateName(String kind) {
    return prefix + '-' + kind;
  }

  /** The day of a daily index of ours, empty for any other name. */
  Optional<LocalDate> dayOf(String index) {
    for (String kind : KINDS) {
      String head = prefix + '-' + kind + '-';
      if (index.startsWith(head) && index.length() == head.length() + 10) {
        try {
          return Optional.of(LocalDate.parse(index.substring(head.length()), DAY));
        } catch (DateTimeParseException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  static LocalDate day(long micros) {
    return LocalDate.ofInstant(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L)),
        ZoneOffset.UTC);
  }
}
