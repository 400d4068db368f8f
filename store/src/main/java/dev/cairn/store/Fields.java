package dev.cairn.store;

/**
 * Field and type names of the embedded store's Lucene documents (docs/store-embedded.md). Every
 * document has a {@link #TYPE}; summaries and counters, which are updated, an {@link #ID} too.
 * Parts are only ever added (and deleted by retention).
 */
final class Fields {
  static final String ID = "id";
  static final String TYPE = "type";
  /** Trace ID hex, on part and summary documents: trace(id), retention. */
  static final String TRACE = "trace";
  /** Trace ID hex as doc values: collecting trace IDs of part hits, sorting summaries. */
  static final String TRACE_DV = "trace_dv";
  /** A summary or counter's data (stored). */
  static final String DATA = "data";

  static final String TYPE_PART = "part";
  static final String TYPE_TRACE = "trace";
  static final String TYPE_DEPENDENCY = "dep";
  static final String TYPE_AGGREGATE = "agg";

  // part documents: the new spans and log lines of one trace in one write; each value once
  static final String SPAN_SERVICE = "s_service";
  static final String SPAN_NAME = "s_name";
  /**
   * service \0 name \0 kind ordinal: operations(service) by enumerating terms with a prefix, and
   * service with operation searched together by the prefix service \0 name \0.
   */
  static final String SPAN_OPERATION = "s_op";
  /** key=value of every attribute (values as text). */
  static final String SPAN_TAG = "s_tag";
  /** Earliest and latest span start or log time of the part (long points and doc values). */
  static final String PART_FIRST = "p_first";
  static final String PART_LAST = "p_last";
  /** "1" on parts with calls between services (parent service known and different). */
  static final String SPAN_DEPENDENCY = "s_dep";
  /** The part's spans and log lines: one block of the block format, as binary doc values. */
  static final String PART_BLOCK = "p_block";
  /** Binary doc values on those parts: each call's start, error flag and parent \0 child. */
  static final String PART_CALLS = "p_calls";

  // trace summary documents
  /** Start and duration: long points and doc values. */
  static final String TRACE_START = "t_start";
  static final String TRACE_DURATION = "t_duration";
  /** "true" on the summary of a trace with a note but no spans yet (absent otherwise). */
  static final String TRACE_NO_SPANS = "t_nospans";
  static final String TRACE_SERVICE = "t_service";
  /** "true" on traces with an error span (absent otherwise). */
  static final String TRACE_ERROR = "t_error";

  // counter documents (dependencies, aggregates)
  static final String MINUTE = "c_minute";
  static final String COUNTER_SERVICE = "c_service";
  static final String COUNTER_OPERATION = "c_op";

  /**
   * Lucene refuses terms longer than 32,766 UTF-8 bytes; longer values are indexed (and looked up)
   * by their first 8,000 chars, which is at most 32,000 bytes.
   */
  static final int MAX_TERM_CHARS = 8000;

  static String term(String s) {
    if (s.length() <= MAX_TERM_CHARS) {
      return s;
    }
    int end = MAX_TERM_CHARS;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  static String cut(String s, int chars) {
    if (s.length() <= chars) {
      return s;
    }
    return s.substring(0, Character.isHighSurrogate(s.charAt(chars - 1)) ? chars - 1 : chars);
  }

  static final long MINUTE_MICROS = 60_000_000L;

  static long minuteOf(long micros) {
    return Math.floorDiv(micros, MINUTE_MICROS) * MINUTE_MICROS;
  }

  private Fields() {}
}
