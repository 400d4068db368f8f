package dev.cairn.launcher;

import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.ProcessInfo;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Renders span and log records of one file as single-line JSON objects, the format of
 * {@code cairn inspect} (field list in docs/cli.md). The file's {@code fileId} and
 * {@code process} are rendered once per file and appended to every record, since every record of
 * a file shares them. Not thread-safe: the buffer is reused between records.
 */
final class RecordJson {
  private final JsonWriter w = new JsonWriter();
  private final String fileId;
  private final String process;

  RecordJson(FileHeader header) {
    fileId = header.fileId().toString();
    process = process(header.process());
  }

  private static String process(ProcessInfo p) {
    JsonWriter w = new JsonWriter().beginObject()
        .name("service").value(p.service())
        .name("host").value(p.host())
        .name("instance").value(p.instance())
        .name("pid").value(p.pid())
        .name("startMicros").value(p.startMicros())
        .name("tags").beginObject();
    // Sorted so that the same process prints the same line whatever map the header decoded into.
    for (Map.Entry<String, String> e : new TreeMap<>(p.tags()).entrySet()) {
      w.name(e.getKey()).value(e.getValue());
    }
    return w.endObject().endObject().toString();
  }

  /** The span as one JSON object, without a line terminator; valid until the next call. */
  CharSequence span(SpanRecord s) {
    w.reset().beginObject()
        .name("type").value("span")
        .name("traceId").value(s.traceIdHex())
        .name("spanId").value(s.spanIdHex())
        // A root has "" rather than no key: every span line has the same keys, which keeps
        // jq filters such as select(.parentSpanId == "") simple.
        .name("parentSpanId").value(s.isRoot() ? "" : Ids.spanIdHex(s.parentSpanId()))
        .name("flags").value(s.flags())
        .name("service").value(s.service())
        .name("name").value(s.name())
        .name("kind").value(s.kind().name())
        .name("startMicros").value(s.startMicros())
        .name("durationMicros").value(s.durationMicros())
        .name("status").value(s.status().name())
        .name("statusMessage").value(s.statusMessage())
        .name("scope").beginObject()
        .name("name").value(s.scopeName())
        .name("version").value(s.scopeVersion())
        .endObject();
    w.name("attributes");
    attributes(s.attributes());
    w.name("businessKeys").beginArray();
    for (Attribute a : s.attributes()) {
      if (a.businessKey()) {
        w.value(a.key());
      }
    }
    w.endArray();
    w.name("events").beginArray();
    for (SpanEvent e : s.events()) {
      w.beginObject().name("timeMicros").value(e.timeMicros()).name("name").value(e.name())
          .name("attributes");
      attributes(e.attributes());
      w.endObject();
    }
    w.endArray();
    w.name("links").beginArray();
    for (SpanLink l : s.links()) {
      w.beginObject()
          .name("traceId").value(Ids.traceIdHex(l.traceIdHigh(), l.traceIdLow()))
          .name("spanId").value(Ids.spanIdHex(l.spanId()))
          .name("refType").value("FOLLOWS_FROM")
          .name("attributes");
      attributes(l.attributes());
      w.endObject();
    }
    w.endArray();
    return fileAndProcess();
  }

  /** The log line as one JSON object, without a line terminator; valid until the next call. */
  CharSequence log(LogRecord l) {
    w.reset().beginObject()
        .name("type").value("log")
        .name("traceId").value(l.traceIdHex())
        .name("spanId").value(Ids.spanIdHex(l.spanId()))
        .name("timeMicros").value(l.timeMicros())
        .name("level").value(l.level())
        .name("logger").value(l.logger())
        .name("thread").value(l.thread())
        .name("message").value(l.message())
        .name("thrown").value(l.thrown());
    return fileAndProcess();
  }

  private CharSequence fileAndProcess() {
    return w.name("fileId").value(fileId).name("process").raw(process).endObject().buffer();
  }

  private void attributes(List<Attribute> attributes) {
    w.beginObject();
    for (Attribute a : attributes) {
      w.name(a.key()).attributeValue(a.value());
    }
    w.endObject();
  }
}
