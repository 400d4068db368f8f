package dev.cairn.store;

/**
 * Field and type names of the embedded store's Lucene documents (docs/store-embedded.md). Every
 * document has an {@link #ID} (its identity, for idempotent adds and updateDocument) and a
 * {@link #TYPE}.
 */
final class Fields {
  static final String ID = "id";
  static final String TYPE = "type";
  /** Trace ID hex, on span, log and summary documents: trace(id), retention. */
  static final String TRACE = "trace";
  /** Trace ID hex as doc values: collecting trace IDs of span hits, sorting summaries. */
  static final String TRACE_DV = "trace_dv";
  /** Encoded span or log line (a one-record block), or a summary or counter's data. */
  static final String DATA = "data";

  static final String TYPE_SPAN = "span";
  static final String TYPE_LOG = "log";
  static final String TYPE_TRACE = "trace";
  static final String TYPE_DEPENDENCY = "dep";
  static final String TYPE_AGGREGATE = "agg";

  // span documents
  static final String SPAN_SERVICE = "s_service";
  static final String SPAN_NAME = "s_name";
  /** service \0 name \0 kind ordinal: operations(service) by enumerating terms with a prefix. */
  static final String SPAN_OPERATION = "s_op";
  static final String SPAN_KIND = "s_kind";
  static final String SPAN_START = "s_start";
  static final String SPAN_DURATION = "s_duration";
  static final String SPAN_STATUS = "s_status";
  static final String SPAN_ERROR = "s_error";
  /** key=value of every attribute (values as text). */
  static final String SPAN_TAG = "s_tag";
  /** "1" on spans that count as a call between services (parent service known and different). */
  static final String SPAN_DEPENDENCY = "s_dep";
  /** Doc values on those spans: parent \0 child (each cut to 4,000 chars). */
  static final String SPAN_DEPENDENCY_PAIR = "s_dep_pair";
  /** Doc values on those spans: 1 when the child span has status ERROR. */
  static final String SPAN_DEPENDENCY_ERROR = "s_dep_error";
  /** key=value of business-key attributes only. */
  static final String SPAN_BUSINESS_KEY = "s_bkey";

  // log documents
  static final String LOG_TIME = "l_time";

  // trace summary documents
  static final String TRACE_START = "t_start";
  static final String TRACE_DURATION = "t_duration";
  static final String TRACE_SPANS = "t_spans";
  static final String TRACE_SERVICE = "t_service";
  static final String TRACE_ERROR = "t_error";
  static final String TRACE_COMPLETE = "t_complete";

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
