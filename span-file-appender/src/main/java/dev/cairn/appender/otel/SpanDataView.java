package dev.cairn.appender.otel;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.sdk.common.InstrumentationScopeInfo;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An OpenTelemetry SDK {@link SpanData} seen as a Cairn {@link SpanView}. Built on the exporting
 * thread (the SDK's batch worker), so converting here never touches the application thread.
 */
final class SpanDataView implements SpanView {
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");

  private final SpanData span;
  private final long traceIdHigh;
  private final long traceIdLow;
  private final long spanId;
  private final long parentSpanId;
  private final String service;
  private final Set<String> businessKeys;
  private final String[] keys;
  private final Object[] values;
  private final List<SpanEvent> events;
  private final List<SpanLink> links;

  SpanDataView(SpanData span, String defaultService, Set<String> businessKeys) {
    this.span = span;
    this.businessKeys = businessKeys;
    String traceId = span.getTraceId();
    traceIdHigh = Ids.parseHexLong(traceId, 0);
    traceIdLow = Ids.parseHexLong(traceId, 16);
    spanId = Ids.parseHexLong(span.getSpanId(), 0);
    SpanContext parent = span.getParentSpanContext();
    parentSpanId = parent.isValid() ? Ids.parseHexLong(parent.getSpanId(), 0) : 0;
    String fromResource = span.getResource().getAttribute(SERVICE_NAME);
    service = fromResource == null || fromResource.isEmpty() || fromResource.startsWith("unknown_service")
        ? defaultService : fromResource;
    Attributes attrs = span.getAttributes();
    keys = new String[attrs.size()];
    values = new Object[attrs.size()];
    int[] i = {0};
    attrs.forEach((k, v) -> {
      keys[i[0]] = k.getKey();
      values[i[0]] = value(v);
      i[0]++;
    });
    events = new ArrayList<>(span.getEvents().size());
    for (EventData e : span.getEvents()) {
      events.add(new SpanEvent(e.getEpochNanos() / 1000, e.getName(), attributes(e.getAttributes())));
    }
    links = new ArrayList<>(span.getLinks().size());
    for (LinkData l : span.getLinks()) {
      SpanContext c = l.getSpanContext();
      if (c.isValid()) {
        links.add(new SpanLink(Ids.parseHexLong(c.getTraceId(), 0), Ids.parseHexLong(c.getTraceId(), 16),
            Ids.parseHexLong(c.getSpanId(), 0), attributes(l.getAttributes())));
      }
    }
  }

  private static Object value(Object v) {
    return v instanceof Value<?> val ? val.asString() : v;
  }

  private static List<Attribute> attributes(Attributes attrs) {
    List<Attribute> out = new ArrayList<>(attrs.size());
    attrs.forEach((k, v) -> out.add(Attribute.of(k.getKey(), value(v))));
    return out;
  }

  @Override public long traceIdHigh() { return traceIdHigh; }
  @Override public long traceIdLow() { return traceIdLow; }
  @Override public long spanId() { return spanId; }
  @Override public long parentSpanId() { return parentSpanId; }

  @Override
  public int flags() {
    int flags = span.getSpanContext().isSampled() ? FLAG_SAMPLED : 0;
    return span.getParentSpanContext().isRemote() ? flags | FLAG_REMOTE_PARENT : flags;
  }

  @Override public String service() { return service; }

  @Override
  public String scopeName() {
    InstrumentationScopeInfo scope = span.getInstrumentationScopeInfo();
    return scope.getName();
  }

  @Override
  public String scopeVersion() {
    String v = span.getInstrumentationScopeInfo().getVersion();
    return v == null ? "" : v;
  }

  @Override public String name() { return span.getName(); }

  @Override
  public SpanKind kind() {
    return switch (span.getKind()) {
      case SERVER -> SpanKind.SERVER;
      case CLIENT -> SpanKind.CLIENT;
      case PRODUCER -> SpanKind.PRODUCER;
      case CONSUMER -> SpanKind.CONSUMER;
      default -> SpanKind.INTERNAL;
    };
  }

  @Override public long startMicros() { return span.getStartEpochNanos() / 1000; }

  @Override
  public long durationMicros() {
    return Math.max(0, (span.getEndEpochNanos() - span.getStartEpochNanos()) / 1000);
  }

  @Override
  public StatusCode status() {
    return switch (span.getStatus().getStatusCode()) {
      case OK -> StatusCode.OK;
      case ERROR -> StatusCode.ERROR;
      default -> StatusCode.UNSET;
    };
  }

  @Override public String statusMessage() { return span.getStatus().getDescription(); }
  @Override public int attributeCount() { return keys.length; }
  @Override public String attributeKey(int i) { return keys[i]; }
  @Override public Object attributeValue(int i) { return values[i]; }
  @Override public boolean attributeIsBusinessKey(int i) { return businessKeys.contains(keys[i]); }
  @Override public int eventCount() { return events.size(); }
  @Override public SpanEvent event(int i) { return events.get(i); }
  @Override public int linkCount() { return links.size(); }
  @Override public SpanLink link(int i) { return links.get(i); }
}
