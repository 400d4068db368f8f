package dev.cairn.store.elasticsearch;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.StoredSpan;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Trace-part and log documents and their IDs. A part is what one write adds to one trace (its
 * new spans, as one block); its ID is the trace ID and the part's number. A log line's ID is
 * trace, span, time and a hash of its text, so a line written twice is one document.
 */
final class EsSpanDocuments {
  /**
   * Keyword values are indexed by their first 8,000 chars (at most 32,000 UTF-8 bytes; Lucene
   * refuses a term above 32,766 bytes and Elasticsearch would reject the whole document), as the
   * embedded store does; lookups cut the same way.
   */
  static final int MAX_TERM_CHARS = 8000;

  private EsSpanDocuments() {}

  /**
   * A trace part's {@code _id}: the trace ID's 16 bytes and the part's number (0, 1, ...) in 2
   * bytes, in URL-safe base64 (24 chars), which Elasticsearch keeps as those 18 bytes. A part
   * number is taken by {@code create}: the writer that gets 409 lost the race and reads the part.
   */
  static String partId(String traceHex, int number) {
    TraceId t = TraceId.fromHex(traceHex);
    ByteBuffer b = ByteBuffer.allocate(18).putLong(t.high()).putLong(t.low())
        .putShort((short) number);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /**
   * The document of a trace part: its spans' block and, once per part, each distinct value a
   * search looks for (the trace is in the part's {@code _id}). {@code start} and {@code last} are
   * the earliest and latest span start; {@code call} marks a part with a span called from another
   * service (the stored value says which).
   */
  static Map<String, Object> part(List<StoredSpan> spans, String data) {
    Set<String> services = new LinkedHashSet<>();
    Set<String> names = new LinkedHashSet<>();
    Set<String> ops = new LinkedHashSet<>();
    Set<String> tags = new LinkedHashSet<>();
    boolean call = false;
    long first = Long.MAX_VALUE;
    long last = Long.MIN_VALUE;
    for (StoredSpan stored : spans) {
      SpanRecord s = stored.span();
      services.add(term(s.service()));
      names.add(term(s.name()));
      ops.add(op(s.service(), s.name(), s.kind().name()));
      tags.addAll(tags(s));
      first = Math.min(first, s.startMicros());
      last = Math.max(last, s.startMicros());
      call |= isCall(stored);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("service", List.copyOf(services));
    doc.put("name", List.copyOf(names));
    doc.put("op", List.copyOf(ops));
    doc.put("start", first);
    doc.put("last", last);
    if (!tags.isEmpty()) {
      doc.put("tag", List.copyOf(tags));
    }
    if (call) {
      doc.put("call", true);
    }
    doc.put("data", data);
    return doc;
  }

  /**
   * Service, name and kind in one keyword ({@code operations(service)} lists a service's), each
   * name cut to 4,000 chars so the whole stays below Lucene's term limit.
   */
  static String op(String service, String name, String kind) {
    return cut(service, 4000) + '\0' + cut(name, 4000) + '\0' + kind;
  }

  /** One {@code key=value} per attribute, per element of an array value. */
  static List<String> tags(SpanRecord s) {
    List<String> tags = new ArrayList<>(s.attributes().size());
    for (Attribute a : s.attributes()) {
      if (a.value() instanceof List<?> list) {
        for (Object v : list) {
          tags.add(tag(a.key(), String.valueOf(v)));
        }
      } else {
        tags.add(tag(a.key(), String.valueOf(a.value())));
      }
    }
    return tags;
  }

  /** A call between services: the parent's service is known and another one. */
  static boolean isCall(StoredSpan s) {
    return !s.parentService().isEmpty() && !s.parentService().equals(s.span().service());
  }

  static Map<String, Object> log(LogRecord l, String data) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("traceId", l.traceIdHex());
    doc.put("data", data);
    return doc;
  }

  /** Attribute values are matched as text: a long by its decimal form, a boolean as true/false. */
  static String tag(String key, String value) {
    return term(key + '=' + value);
  }

  static String term(String s) {
    return cut(s, MAX_TERM_CHARS);
  }

  private static String cut(String s, int chars) {
    if (s.length() <= chars) {
      return s;
    }
    int end = chars;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end);
  }

  /** SHA-256 of the texts, each followed by a 0 byte (so "a","bc" and "ab","c" differ). */
  static byte[] sha256(String... texts) {
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
    for (String s : texts) {
      sha256.update(s.getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
    }
    return sha256.digest();
  }

  /** trace, span, time and a hash of the line's text: the same line pulled twice is one line. */
  static String logId(LogRecord l) {
    byte[] h = sha256(l.level(), l.logger(), l.thread(), l.message(), l.thrown());
    long hash = 0;
    for (int i = 0; i < 8; i++) {
      hash = (hash << 8) | (h[i] & 0xFF);
    }
    return l.traceIdHex() + Ids.spanIdHex(l.spanId()) + Long.toHexString(l.timeMicros()) + '.'
        + Ids.spanIdHex(hash);
  }
}
