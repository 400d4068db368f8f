package dev.cairn.store.elasticsearch;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.store.StoredSpan;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Span and log documents and their IDs. A span's ID is its trace ID and span ID, so a span
 * written twice is one document; a log line's ID is trace, span, time and a hash of its text.
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
   * The trace ID and span ID, 24 bytes, in URL-safe base64 (32 chars): Elasticsearch keeps an
   * {@code _id} that is valid base64 as its decoded bytes, so this costs 24 bytes where the hex
   * form would cost 36 (the {@code _id} index is one of the largest parts of a span index).
   */
  static String spanId(SpanRecord s) {
    ByteBuffer b = ByteBuffer.allocate(24)
        .putLong(s.traceIdHigh()).putLong(s.traceIdLow()).putLong(s.spanId());
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  /**
   * The indexed fields of a span and its block. {@code error} and {@code parentService} are only
   * present when they apply: a field absent costs nothing. Duration, end and root are read from
   * the block: nothing searches or aggregates them here (summaries and aggregates are documents).
   */
  static Map<String, Object> span(StoredSpan stored, String data) {
    SpanRecord s = stored.span();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("traceId", s.traceIdHex());
    doc.put("service", term(s.service()));
    doc.put("name", term(s.name()));
    doc.put("kind", s.kind().name());
    doc.put("start", s.startMicros());
    if (s.status() == StatusCode.ERROR) {
      doc.put("error", true);
    }
    if (isCall(stored)) {
      doc.put("parentService", term(stored.parentService()));
    }
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
    if (!tags.isEmpty()) {
      doc.put("tag", tags);
    }
    doc.put("data", data);
    return doc;
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
    if (s.length() <= MAX_TERM_CHARS) {
      return s;
    }
    int end = MAX_TERM_CHARS;
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
