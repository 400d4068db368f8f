package dev.cairn.bench.format;

import dev.cairn.core.model.Ids;
import dev.cairn.core.model.SpanView;
import java.util.ArrayList;
import java.util.List;
import zipkin2.Endpoint;
import zipkin2.Span;

/** The corpus as zipkin2 spans: what a Zipkin reporter holds before encoding. */
final class ZipkinSpans {
  private ZipkinSpans() {}

  static List<Span> of(List<SpanView> spans) {
    Endpoint local = Endpoint.newBuilder().serviceName(SpanCorpus.SERVICE).build();
    List<Span> out = new ArrayList<>(spans.size());
    for (SpanView s : spans) {
      Span.Builder b = Span.newBuilder()
          .traceId(Ids.traceIdHex(s.traceIdHigh(), s.traceIdLow()))
          .id(Ids.spanIdHex(s.spanId()))
          .kind(Span.Kind.SERVER)
          .name(s.name())
          .timestamp(s.startMicros())
          .duration(s.durationMicros())
          .localEndpoint(local);
      if (s.parentSpanId() != 0) {
        b.parentId(Ids.spanIdHex(s.parentSpanId()));
      }
      for (int a = 0; a < s.attributeCount(); a++) {
        b.putTag(s.attributeKey(a), String.valueOf(s.attributeValue(a)));
      }
      if (s.status() == dev.cairn.core.model.StatusCode.ERROR) {
        b.putTag("error", "");
      }
      out.add(b.build());
    }
    return out;
  }
}
