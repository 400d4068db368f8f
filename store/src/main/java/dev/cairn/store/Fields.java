package dev.cairn.store;

import dev.cairn.core.model.TraceId;
import java.io.IOException;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.util.BytesRef;

/**
 * Field and type names of the embedded store's Lucene documents (docs/store-embedded.md). Every
 * document has a {@link #TYPE}; summaries and counters, which are updated, an {@link #ID} too.
 * Parts are only ever added (and deleted by retention).
 */
final class Fields {
  static final String ID = "id";
  static final String TYPE = "type";
  /** Trace ID, 16 bytes big-endian ({@link #traceTerm}), on part and summary documents. */
  static final String TRACE = "trace";
  /**
   * The trace ID's halves as numeric doc values, sign bit flipped so that numeric order is the
   * order of the hex form: collecting trace IDs of part hits, sorting summaries, retention.
   */
  static final String TRACE_HIGH = "trace_hi";
  static final String TRACE_LOW = "trace_lo";
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
  /** Every attribute as {@link #tagTerm}: a hash of key=value (values as text). */
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

  /** The {@link #TRACE} term of a trace: its two halves, big-endian. */
  static BytesRef traceTerm(TraceId t) {
    return new BytesRef(idBytes(0, t));
  }

  /** The {@link #ID} of a trace's summary: {@code 't'} and the trace term. */
  static BytesRef summaryId(TraceId t) {
    byte[] b = idBytes(1, t);
    b[0] = 't';
    return new BytesRef(b);
  }

  private static byte[] idBytes(int at, TraceId t) {
    byte[] b = new byte[at + 16];
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (t.high() >>> (56 - 8 * i));
      b[at + 8 + i] = (byte) (t.low() >>> (56 - 8 * i));
    }
    return b;
  }

  /** The trace ID of a {@link #TRACE} term, null when the term is not one. */
  static TraceId traceOf(BytesRef term) {
    if (term.length != 16) {
      return null;
    }
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = (high << 8) | (term.bytes[term.offset + i] & 0xff);
      low = (low << 8) | (term.bytes[term.offset + 8 + i] & 0xff);
    }
    return new TraceId(high, low);
  }

  /** Adds the trace ID of a part or summary: the {@link #TRACE} term and its doc values. */
  static void addTraceId(Document doc, TraceId t) {
    doc.add(new StringField(TRACE, traceTerm(t), Field.Store.NO));
    doc.add(new NumericDocValuesField(TRACE_HIGH, t.high() ^ Long.MIN_VALUE));
    doc.add(new NumericDocValuesField(TRACE_LOW, t.low() ^ Long.MIN_VALUE));
  }

  /** Reads the trace IDs of one segment's documents from their doc values. */
  static final class TraceIds {
    private final NumericDocValues high;
    private final NumericDocValues low;

    TraceIds(LeafReader reader) throws IOException {
      high = reader.getNumericDocValues(TRACE_HIGH);
      low = reader.getNumericDocValues(TRACE_LOW);
    }

    /** The trace ID of {@code doc} (documents in increasing order), null when it has none. */
    TraceId of(int doc) throws IOException {
      if (high == null || low == null || !high.advanceExact(doc) || !low.advanceExact(doc)) {
        return null;
      }
      return new TraceId(high.longValue() ^ Long.MIN_VALUE, low.longValue() ^ Long.MIN_VALUE);
    }
  }

  /**
   * The {@link #SPAN_TAG} term of an attribute: 8 bytes of a 64-bit hash of {@link #tagText}. A
   * term this short costs Lucene a fraction of the text's (converting, hashing and comparing
   * every occurrence; the terms dictionary; merges), and tags are only ever looked up, never
   * listed. A search checks the spans it finds against the text, so a collision finds nothing
   * wrong.
   */
  static BytesRef tagTerm(String key, String value) {
    return tagTerm(tagHash(key, value));
  }

  /** The hash a {@link #tagTerm} holds for a value of any type (its text, as String.valueOf). */
  static long tagHash(String key, Object value) {
    if (value instanceof Long l && key.length() < MAX_TERM_CHARS - 21) {
      // the decimal text's chars, without building it: most attribute values are numbers
      long h = hashChars(hashChars(FNV_OFFSET, key), "=");
      long n = l < 0 ? l : -l; // not positive, so that Long.MIN_VALUE fits
      if (l < 0) {
        h = (h ^ '-') * 0x100000001b3L;
      }
      long div = 1;
      while (n / div <= -10) {
        div *= 10;
      }
      for (; div > 0; div /= 10) {
        h = (h ^ ('0' - n / div % 10)) * 0x100000001b3L;
      }
      return mix(h);
    }
    return tagHash(key, String.valueOf(value));
  }

  /** The hash a {@link #tagTerm} holds. */
  static long tagHash(String key, String value) {
    if (key.length() + 1 + value.length() <= MAX_TERM_CHARS) {
      return mix(hashChars(hashChars(hashChars(FNV_OFFSET, key), "="), value)); // no string built
    }
    return mix(hashChars(FNV_OFFSET, tagText(key, value)));
  }

  static BytesRef tagTerm(long h) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (h >>> (56 - 8 * i));
    }
    return new BytesRef(b);
  }

  /** An attribute as text: {@code key=value}, cut like {@link #term}. */
  static String tagText(String key, String value) {
    return term(key + '=' + value);
  }

  private static final long FNV_OFFSET = 0xcbf29ce484222325L;

  /** FNV-1a over the chars, continuing from {@code h}: text hashed in pieces hashes as a whole. */
  private static long hashChars(long h, String s) {
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }

  /** MurmurHash3's finaliser, so that every bit of the FNV state reaches every bit of the term. */
  private static long mix(long h) {
    h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
    h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  static final long MINUTE_MICROS = 60_000_000L;

  static long minuteOf(long micros) {
    return Math.floorDiv(micros, MINUTE_MICROS) * MINUTE_MICROS;
  }

  private Fields() {}
}
