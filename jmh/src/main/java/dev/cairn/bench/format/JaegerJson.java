package dev.cairn.bench.format;

import dev.cairn.core.model.Ids;
import dev.cairn.core.model.SpanView;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Spans as Jaeger's JSON model writes them (the field names of jaeger's {@code model/json}: the
 * query API's and {@code jaeger-query}'s export format): one trace-like object with its spans,
 * each with {@code traceID}, {@code spanID}, {@code operationName}, {@code references},
 * {@code startTime} and {@code duration} in microseconds, typed {@code tags}, {@code logs} and a
 * {@code processID} naming the one process. Jaeger has no Java encoder on Maven Central for this
 * model, hence this one; it escapes only what the corpus needs (quotes and backslashes).
 */
final class JaegerJson {
  private final StringBuilder out = new StringBuilder(256 * 1024);

  byte[] encode(List<SpanView> spans, int from, int to) {
    StringBuilder b = out;
    b.setLength(0);
    b.append("{\"spans\":[");
    for (int i = from; i < to; i++) {
      SpanView s = spans.get(i);
      if (i > from) {
        b.append(',');
      }
      b.append("{\"traceID\":\"").append(Ids.traceIdHex(s.traceIdHigh(), s.traceIdLow()))
          .append("\",\"spanID\":\"").append(Ids.spanIdHex(s.spanId()))
          .append("\",\"flags\":").append(s.flags() & 1)
          .append(",\"operationName\":");
      string(b, s.name());
      b.append(",\"references\":[");
      if (s.parentSpanId() != 0) {
        b.append("{\"refType\":\"CHILD_OF\",\"traceID\":\"")
            .append(Ids.traceIdHex(s.traceIdHigh(), s.traceIdLow()))
            .append("\",\"spanID\":\"").append(Ids.spanIdHex(s.parentSpanId())).append("\"}");
      }
      b.append("],\"startTime\":").append(s.startMicros())
          .append(",\"duration\":").append(s.durationMicros())
          .append(",\"tags\":[{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"")
          .append(s.kind().name().toLowerCase(java.util.Locale.ROOT)).append("\"}");
      if (s.status() == dev.cairn.core.model.StatusCode.ERROR) {
        b.append(",{\"key\":\"error\",\"type\":\"bool\",\"value\":true}");
      }
      for (int a = 0; a < s.attributeCount(); a++) {
        Object v = s.attributeValue(a);
        b.append(",{\"key\":");
        string(b, s.attributeKey(a));
        if (v instanceof Long l) {
          b.append(",\"type\":\"int64\",\"value\":").append(l.longValue()).append('}');
        } else {
          b.append(",\"type\":\"string\",\"value\":");
          string(b, String.valueOf(v));
          b.append('}');
        }
      }
      b.append("],\"logs\":[],\"processID\":\"p1\",\"warnings\":null}");
    }
    b.append("],\"processes\":{\"p1\":{\"serviceName\":");
    string(b, SpanCorpus.SERVICE);
    b.append(",\"tags\":[]}}}");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void string(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    b.append('"');
  }
}
