package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An immutable finished span: what the block decoder yields and every later component reads.
 * The builder cleans its input (negative times clamp to 0, absent strings become "") so readers
 * never re-check it.
 *
 * <pre>{@code
 * SpanRecord span = SpanRecord.builder()
 *     .traceId(hi, lo).spanId(7).service("checkout").name("GET /cart")
 *     .kind(SpanKind.SERVER).startMicros(t).durationMicros(1200)
 *     .addAttribute("http.route", "/cart")
 *     .build();
 * }</pre>
 */
public final class SpanRecord implements SpanView {
  private final long traceIdHigh;
  private final long traceIdLow;
  private final long spanId;
  private final long parentSpanId;
  private final int flags;
  private final String service;
  private final String scopeName;
  private final String scopeVersion;
  private final String name;
  private final SpanKind kind;
  private final long startMicros;
  private final long durationMicros;
  private final StatusCode status;
  private final String statusMessage;
  private final List<Attribute> attributes;
  private final List<SpanEvent> events;
  private final List<SpanLink> links;

  private SpanRecord(Builder b) {
    traceIdHigh = b.traceIdHigh;
    traceIdLow = b.traceIdLow;
    spanId = b.spanId;
    parentSpanId = b.parentSpanId;
    flags = b.flags;
    service = b.service;
    scopeName = b.scopeName;
    scopeVersion = b.scopeVersion;
    name = b.name;
    kind = b.kind;
    startMicros = b.startMicros;
    durationMicros = b.durationMicros;
    status = b.status;
    statusMessage = b.statusMessage;
    attributes = List.copyOf(b.attributes);
    events = List.copyOf(b.events);
    links = List.copyOf(b.links);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this span's values, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder()
        .traceId(traceIdHigh, traceIdLow).spanId(spanId).parentSpanId(parentSpanId).flags(flags)
        .service(service).scope(scopeName, scopeVersion).name(name).kind(kind)
        .startMicros(startMicros).durationMicros(durationMicros).status(status, statusMessage);
    b.attributes.addAll(attributes);
    b.events.addAll(events);
    b.links.addAll(links);
    return b;
  }

  @Override public long traceIdHigh() { return traceIdHigh; }
  @Override public long traceIdLow() { return traceIdLow; }
  @Override public long spanId() { return spanId; }
  @Override public long parentSpanId() { return parentSpanId; }
  @Override public int flags() { return flags; }
  @Override public String service() { return service; }
  @Override public String scopeName() { return scopeName; }
  @Override public String scopeVersion() { return scopeVersion; }
  @Override public String name() { return name; }
  @Override public SpanKind kind() { return kind; }
  @Override public long startMicros() { return startMicros; }
  @Override public long durationMicros() { return durationMicros; }
  @Override public StatusCode status() { return status; }
  @Override public String statusMessage() { return statusMessage; }

  public List<Attribute> attributes() { return attributes; }
  public List<SpanEvent> events() { return events; }
  public List<SpanLink> links() { return links; }

  @Override public int attributeCount() { return attributes.size(); }
  @Override public String attributeKey(int i) { return attributes.get(i).key(); }
  @Override public Object attributeValue(int i) { return attributes.get(i).value(); }
  @Override public boolean attributeIsBusinessKey(int i) { return attributes.get(i).businessKey(); }
  @Override public int eventCount() { return events.size(); }
  @Override public SpanEvent event(int i) { return events.get(i); }
  @Override public int linkCount() { return links.size(); }
  @Override public SpanLink link(int i) { return links.get(i); }

  public String traceIdHex() { return Ids.traceIdHex(traceIdHigh, traceIdLow); }
  public String spanIdHex() { return Ids.spanIdHex(spanId); }
  public boolean isRoot() { return parentSpanId == 0; }

  /** The value of the first attribute with this key. */
  public Optional<Object> attribute(String key) {
    for (Attribute a : attributes) {
      if (a.key().equals(key)) {
        return Optional.of(a.value());
      }
    }
    return Optional.empty();
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof SpanRecord s)) {
      return false;
    }
    return traceIdHigh == s.traceIdHigh && traceIdLow == s.traceIdLow && spanId == s.spanId
        && parentSpanId == s.parentSpanId && flags == s.flags && service.equals(s.service)
        && scopeName.equals(s.scopeName) && scopeVersion.equals(s.scopeVersion)
        && name.equals(s.name) && kind == s.kind && startMicros == s.startMicros
        && durationMicros == s.durationMicros && status == s.status
        && statusMessage.equals(s.statusMessage) && attributes.equals(s.attributes)
        && events.equals(s.events) && links.equals(s.links);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(traceIdLow) * 31 + Long.hashCode(spanId);
  }

  @Override
  public String toString() {
    return "SpanRecord{" + traceIdHex() + "/" + spanIdHex() + " " + service + " " + name + "}";
  }

  /** Builds a {@link SpanRecord}; a trace ID and a span ID are required. */
  public static final class Builder {
    private long traceIdHigh;
    private long traceIdLow;
    private long spanId;
    private long parentSpanId;
    private int flags = FLAG_SAMPLED;
    private String service = "";
    private String scopeName = "";
    private String scopeVersion = "";
    private String name = "";
    private SpanKind kind = SpanKind.INTERNAL;
    private long startMicros;
    private long durationMicros;
    private StatusCode status = StatusCode.UNSET;
    private String statusMessage = "";
    private final List<Attribute> attributes = new ArrayList<>();
    private final List<SpanEvent> events = new ArrayList<>();
    private final List<SpanLink> links = new ArrayList<>();

    Builder() {}

    public Builder traceId(long high, long low) {
      traceIdHigh = high;
      traceIdLow = low;
      return this;
    }

    public Builder spanId(long id) {
      spanId = id;
      return this;
    }

    public Builder parentSpanId(long id) {
      parentSpanId = id;
      return this;
    }

    public Builder flags(int flags) {
      this.flags = flags;
      return this;
    }

    public Builder service(String service) {
      this.service = clean(service);
      return this;
    }

    public Builder scope(String name, String version) {
      scopeName = clean(name);
      scopeVersion = clean(version);
      return this;
    }

    public Builder name(String name) {
      this.name = clean(name);
      return this;
    }

    public Builder kind(SpanKind kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    public Builder startMicros(long micros) {
      startMicros = Math.max(0, micros);
      return this;
    }

    public Builder durationMicros(long micros) {
      durationMicros = Math.max(0, micros);
      return this;
    }

    public Builder status(StatusCode code, String message) {
      status = requireNonNull(code, "status");
      statusMessage = clean(message);
      return this;
    }

    public Builder addAttribute(String key, Object value) {
      attributes.add(Attribute.of(key, value));
      return this;
    }

    public Builder addAttribute(Attribute attribute) {
      attributes.add(requireNonNull(attribute, "attribute"));
      return this;
    }

    public Builder addEvent(SpanEvent event) {
      events.add(requireNonNull(event, "event"));
      return this;
    }

    public Builder addLink(SpanLink link) {
      links.add(requireNonNull(link, "link"));
      return this;
    }

    /** @throws IllegalStateException naming the field when the trace ID or span ID is missing */
    public SpanRecord build() {
      if (traceIdHigh == 0 && traceIdLow == 0) {
        throw new IllegalStateException("traceId is required (all-zero is invalid)");
      }
      if (spanId == 0) {
        throw new IllegalStateException("spanId is required (zero is invalid)");
      }
      return new SpanRecord(this);
    }

    private static String clean(String s) {
      return s == null ? "" : s;
    }
  }
}
