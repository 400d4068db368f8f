package dev.cairn.ui;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceSummary;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Cairn's stored traces as Jaeger's JSON model (jaeger {@code model/json/model.go}), the way
 * Jaeger's OpenTelemetry translator maps an OTLP span: the parent as a CHILD_OF reference, links
 * as FOLLOWS_FROM references, events as logs whose first field is {@code event}, and kind, status
 * and scope as the tags {@code span.kind}, {@code otel.status_code}, {@code error},
 * {@code otel.status_description}, {@code otel.scope.name} and {@code otel.scope.version}.
 * The Cairn variant adds, never renames: per span {@code serviceName}, {@code kind},
 * {@code error}, {@code statusMessage}, {@code parentSpanID}; per trace {@code summary} and
 * {@code logLines}.
 */
final class TraceJson {
  private TraceJson() {}

  /** Jaeger prints a 64-bit trace ID (high half zero) as 16 hex characters, otherwise 32. */
  static String traceId(long high, long low) {
    return high == 0 ? Ids.spanIdHex(low) : Ids.traceIdHex(high, low);
  }

  static String traceId(TraceId id) {
    return traceId(id.high(), id.low());
  }

  static void trace(Json j, Trace t, boolean cairn) {
    Map<String, String> processIds = new LinkedHashMap<>();
    for (SpanRecord s : t.spans()) {
      processIds.computeIfAbsent(s.service(), k -> "p" + (processIds.size() + 1));
    }
    Set<Long> spanIds = new HashSet<>();
    for (SpanRecord s : t.spans()) {
      spanIds.add(s.spanId());
    }
    j.object().name("traceID").value(traceId(t.summary().traceId()));
    j.name("spans").array();
    for (SpanRecord s : t.spans()) {
      span(j, s, processIds.get(s.service()), spanIds, cairn);
    }
    j.endArray();
    j.name("processes").object();
    processIds.forEach((service, id) -> j.name(id).object()
        .name("serviceName").value(service)
        .name("tags").array().endArray()
        .endObject());
    j.endObject();
    j.name("warnings").strings(t.summary().warnings());
    if (cairn) {
      j.name("summary");
      summary(j, t.summary());
      j.name("logLines").array();
      for (LogRecord l : t.logs()) {
        j.object()
            .name("timestamp").value(l.timeMicros())
            .name("spanID").value(l.spanId() == 0 ? "" : Ids.spanIdHex(l.spanId()))
            .name("level").value(l.level())
            .name("logger").value(l.logger())
            .name("thread").value(l.thread())
            .name("message").value(l.message())
            .name("thrown").value(l.thrown())
            .endObject();
      }
      j.endArray();
    }
    j.endObject();
  }

  private static void span(Json j, SpanRecord s, String processId, Set<Long> spanIds, boolean cairn) {
    String traceId = traceId(s.traceIdHigh(), s.traceIdLow());
    j.object()
        .name("traceID").value(traceId)
        .name("spanID").value(s.spanIdHex())
        .name("flags").value(s.flags() & 0xFFFFFFFFL)
        .name("operationName").value(s.name());
    j.name("references").array();
    if (!s.isRoot()) {
      reference(j, "CHILD_OF", traceId, s.parentSpanId());
    }
    for (SpanLink l : s.links()) {
      reference(j, "FOLLOWS_FROM", traceId(l.traceIdHigh(), l.traceIdLow()), l.spanId());
    }
    j.endArray();
    j.name("startTime").value(s.startMicros())
        .name("duration").value(s.durationMicros());
    j.name("tags").array();
    for (Attribute a : s.attributes()) {
      keyValue(j, a.key(), a.value());
    }
    if (!s.scopeName().isEmpty()) {
      keyValue(j, "otel.scope.name", s.scopeName());
    }
    if (!s.scopeVersion().isEmpty()) {
      keyValue(j, "otel.scope.version", s.scopeVersion());
    }
    keyValue(j, "span.kind", jaegerKind(s.kind()));
    if (s.status() != StatusCode.UNSET) {
      keyValue(j, "otel.status_code", s.status().name());
    }
    if (s.status() == StatusCode.ERROR) {
      keyValue(j, "error", Boolean.TRUE);
    }
    if (!s.statusMessage().isEmpty()) {
      keyValue(j, "otel.status_description", s.statusMessage());
    }
    j.endArray();
    j.name("logs").array();
    for (SpanEvent e : s.events()) {
      j.object().name("timestamp").value(e.timeMicros()).name("fields").array();
      keyValue(j, "event", e.name());
      for (Attribute a : e.attributes()) {
        keyValue(j, a.key(), a.value());
      }
      j.endArray().endObject();
    }
    j.endArray();
    j.name("processID").value(processId);
    j.name("warnings").array();
    if (!s.isRoot() && !spanIds.contains(s.parentSpanId())) {
      j.value("parent span " + Ids.spanIdHex(s.parentSpanId()) + " is not in the trace");
    }
    j.endArray();
    if (cairn) {
      j.name("serviceName").value(s.service())
          .name("kind").value(s.kind().name())
          .name("error").value(s.status() == StatusCode.ERROR)
          .name("statusMessage").value(s.statusMessage())
          .name("parentSpanID").value(s.isRoot() ? "" : Ids.spanIdHex(s.parentSpanId()));
    }
    j.endObject();
  }

  private static void reference(Json j, String type, String traceId, long spanId) {
    j.object()
        .name("refType").value(type)
        .name("traceID").value(traceId)
        .name("spanID").value(Ids.spanIdHex(spanId))
        .endObject();
  }

  /**
   * A Jaeger KeyValue. Arrays become a string holding their JSON, as Jaeger's OTLP translator
   * writes them; a non-finite double (JSON has no literal for it) becomes a string too.
   */
  static void keyValue(Json j, String key, Object value) {
    j.object().name("key").value(key);
    if (value instanceof String s) {
      j.name("type").value("string").name("value").value(s);
    } else if (value instanceof Boolean b) {
      j.name("type").value("bool").name("value").value(b.booleanValue());
    } else if (value instanceof Long l) {
      j.name("type").value("int64").name("value").value(l.longValue());
    } else if (value instanceof Double d && Double.isFinite(d)) {
      j.name("type").value("float64").name("value").value(d.doubleValue());
    } else if (value instanceof List<?> list) {
      j.name("type").value("string").name("value").value(new Json().any(list).toString());
    } else {
      j.name("type").value("string").name("value").value(String.valueOf(value));
    }
    j.endObject();
  }

  /** The summary object of the Cairn API. */
  static void summary(Json j, TraceSummary s) {
    j.object()
        .name("traceID").value(traceId(s.traceId()))
        .name("rootService").value(s.rootService())
        .name("rootOperation").value(s.rootOperation())
        .name("startTime").value(s.startMicros())
        .name("duration").value(s.durationMicros())
        .name("spanCount").value(s.spanCount())
        .name("services").strings(s.services())
        .name("error").value(s.error())
        .name("complete").value(s.complete())
        .name("warnings").strings(s.warnings())
        .endObject();
  }

  /** The lowercase kind Jaeger's operations API and OTLP translator use ("server", "client", …). */
  static String jaegerKind(SpanKind kind) {
    return kind.name().toLowerCase(Locale.ROOT);
  }
}
