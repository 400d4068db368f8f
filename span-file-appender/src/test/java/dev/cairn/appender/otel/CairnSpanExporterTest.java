package dev.cairn.appender.otel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class CairnSpanExporterTest {
  private final List<SpanView> offered = new CopyOnWriteArrayList<>();

  private static SpanRecord encoded(SpanView span) throws Exception {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    assertTrue(enc.addSpan(span));
    ByteBuffer b = enc.finish();
    List<SpanRecord> out = new ArrayList<>();
    new BlockDecoder().decode(Block.wrap(0, Arrays.copyOf(b.array(), b.limit())), out::add);
    return out.get(0);
  }

  @Test
  void sdkSpans_becomeCairnSpansWithEveryField() throws Exception {
    CairnSpanExporter exporter = new CairnSpanExporter(span -> offered.add(span), "fallback",
        Set.of("order.id"));
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(
            Attributes.of(AttributeKey.stringKey("service.name"), "inventory"))))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
    try {
      Tracer tracer = provider.get("inventory.http", "3.1");
      Span other = tracer.spanBuilder("earlier").startSpan();
      other.end();
      Span parent = tracer.spanBuilder("GET /stock").setSpanKind(io.opentelemetry.api.trace.SpanKind.SERVER)
          .startSpan();
      Span child;
      try (Scope s = parent.makeCurrent()) {
        child = tracer.spanBuilder("query").addLink(other.getSpanContext()).startSpan();
        child.setAttribute("order.id", "42");
        child.setAttribute("rows", 7L);
        child.addEvent("retry");
        child.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "timeout");
        child.end();
      }
      parent.end();

      SpanRecord c = encoded(offered.get(1));
      SpanRecord p = encoded(offered.get(2));
      assertEquals(parent.getSpanContext().getTraceId(), p.traceIdHex());
      assertEquals(parent.getSpanContext().getSpanId(), p.spanIdHex());
      assertEquals(p.spanId(), c.parentSpanId());
      assertEquals(p.traceIdLow(), c.traceIdLow());
      assertEquals("inventory", c.service());
      assertEquals("inventory.http", c.scopeName());
      assertEquals("3.1", c.scopeVersion());
      assertEquals(SpanKind.SERVER, p.kind());
      assertEquals(StatusCode.ERROR, c.status());
      assertEquals("timeout", c.statusMessage());
      assertEquals(List.of(new Attribute("order.id", "42", true), new Attribute("rows", 7L, false)),
          c.attributes());
      assertEquals("retry", c.events().get(0).name());
      assertEquals(other.getSpanContext().getSpanId(), Ids.spanIdHex(c.links().get(0).spanId()));
      assertTrue(p.durationMicros() >= c.durationMicros());
      assertEquals(1, c.flags() & SpanView.FLAG_SAMPLED);
    } finally {
      provider.shutdown();
    }
  }

  @Test
  void afterShutdown_exportFailsAndOffersNothing() {
    CairnSpanExporter exporter = new CairnSpanExporter(span -> offered.add(span), "x", Set.of());
    exporter.shutdown();
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    provider.get("t").spanBuilder("s").startSpan().end();
    provider.shutdown();
    assertTrue(offered.isEmpty());
  }
}
