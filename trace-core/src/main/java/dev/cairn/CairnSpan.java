package dev.cairn;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.sampling.SamplingDecision;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One object is both the span builder and the span it starts: a span costs the application one
 * allocation (plus its attribute array) instead of two. Attributes live in a flat key/value array;
 * the block encoder reads them through {@link SpanView} after {@link #end()} hands the span to the
 * sink, so nothing is copied on the application thread.
 *
 * <p>Span mutators lock the span (the OpenTelemetry API promises thread-safe spans; see
 * {@link #lock()}); after end every mutator is a no-op, so the encoder's reads never race with a writer. Builder methods take
 * no lock: a span builder is used by one thread (the API does not promise otherwise), and the
 * started span reaches other threads only through a hand-off that publishes it. Builder methods
 * called after {@link #startSpan()} are ignored.
 */
final class CairnSpan implements Span, SpanBuilder, SpanView {
  private static final byte STATE_BUILDING = 0;
  private static final byte STATE_RECORDING = 1;
  private static final byte STATE_NOT_RECORDING = 2;
  private static final byte STATE_ENDED = 3;

  /** Boxed longs for small values (HTTP status codes, ports, counts), so setting them allocates nothing. */
  private static final Long[] SMALL_LONGS = new Long[1024];

  static {
    for (int i = 0; i < SMALL_LONGS.length; i++) {
      SMALL_LONGS[i] = (long) i;
    }
  }

  private final CairnTracer tracer;
  private String name;
  // Fields are kept narrow (bytes for enums and state): this object is most of what a span costs
  // the application in allocation.
  private byte kind;
  private byte state = STATE_BUILDING;
  private byte flags;
  private byte status;

  private long traceIdHigh;
  private long traceIdLow;
  private long spanId;
  private long parentSpanId;
  private TraceState traceState;
  private SpanContext spanContext;

  private long startEpochNanos;
  private long startNanoTime;
  private boolean explicitStart;
  private long endEpochNanos;

  private String statusMessage = "";

  /** Pairs: key (String), value (String, Boolean, Long, Double or List). */
  private Object[] attributes;
  private int attributeCount;
  /** Bit i set: attribute i is a business key (only the first 32 can be). */
  private int businessKeyBits;
  private List<SpanEvent> events;
  private List<SpanLink> links;

  @SuppressWarnings("unused") // accessed through LOCK
  private volatile int lockWord;

  /** Builder-only: the explicit parent; {@code Context.root()} after setNoParent. */
  private Context parent;

  private static final VarHandle LOCK;

  static {
    try {
      LOCK = MethodHandles.lookup().findVarHandle(CairnSpan.class, "lockWord", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  CairnSpan(CairnTracer tracer, String name) {
    this.tracer = tracer;
    this.name = name;
  }

  // ---------------------------------------------------------------- SpanBuilder

  @Override
  public CairnSpan setParent(Context context) {
    if (state == STATE_BUILDING && context != null) {
      parent = context;
    }
    return this;
  }

  @Override
  public CairnSpan setNoParent() {
    if (state == STATE_BUILDING) {
      parent = Context.root();
    }
    return this;
  }

  @Override
  public CairnSpan setSpanKind(io.opentelemetry.api.trace.SpanKind spanKind) {
    if (state == STATE_BUILDING && spanKind != null) {
      kind = (byte) (switch (spanKind) {
        case SERVER -> SpanKind.SERVER;
        case CLIENT -> SpanKind.CLIENT;
        case PRODUCER -> SpanKind.PRODUCER;
        case CONSUMER -> SpanKind.CONSUMER;
        default -> SpanKind.INTERNAL;
      }).ordinal();
    }
    return this;
  }

  @Override
  public CairnSpan setStartTimestamp(long startTimestamp, TimeUnit unit) {
    if (state == STATE_BUILDING && startTimestamp > 0 && unit != null) {
      startEpochNanos = unit.toNanos(startTimestamp);
      explicitStart = true;
    }
    return this;
  }

  @Override
  public Span startSpan() {
    if (state != STATE_BUILDING) {
      return this;
    }
    Context parentContext = parent != null ? parent : Context.current();
    parent = null;
    long now = System.nanoTime();
    Span parentSpan = Span.fromContextOrNull(parentContext);
    boolean hasParent = false;
    boolean parentSampled = false;
    long hi;
    long lo;
    if (parentSpan instanceof CairnSpan p && p.spanId != 0) {
      hasParent = true;
      hi = p.traceIdHigh;
      lo = p.traceIdLow;
      parentSampled = (p.flags & FLAG_SAMPLED) != 0;
      parentSpanId = p.spanId;
      traceState = p.traceState;
    } else if (parentSpan != null && parentSpan.getSpanContext().isValid()) {
      SpanContext psc = parentSpan.getSpanContext();
      hasParent = true;
      String traceId = psc.getTraceId();
      hi = Ids.parseHexLong(traceId, 0);
      lo = Ids.parseHexLong(traceId, 16);
      parentSampled = psc.isSampled();
      parentSpanId = Ids.parseHexLong(psc.getSpanId(), 0);
      traceState = psc.getTraceState();
      if (psc.isRemote()) {
        flags |= FLAG_REMOTE_PARENT;
      }
    } else {
      // Time-prefixed like AWS X-Ray: epoch second, then a per-process random salt; the low half
      // is random (W3C "random" trace IDs and ratio sampling use it). Root spans of one process
      // in one second share the high half, which halves what their IDs cost on disk.
      hi = (tracer.state.epochNanos(now) / 1_000_000_000L) << 32 | tracer.state.traceIdSalt;
      lo = nonZero(ThreadLocalRandom.current());
    }
    TracerState ts = tracer.state;
    SamplingDecision decision;
    try {
      decision = ts.sampler.decide(parentContext, hasParent, parentSampled, hi, lo,
          tracer.scopeName, name, kind());
    } catch (RuntimeException e) {
      // A broken sampler must not break the application: keep the trace going unsampled.
      decision = SamplingDecision.DROP;
    }
    if (decision == SamplingDecision.OFF) {
      state = STATE_ENDED;
      return hasParent ? Span.wrap(parentSpan.getSpanContext()) : Span.getInvalid();
    }
    traceIdHigh = hi;
    traceIdLow = lo;
    spanId = nonZero(ThreadLocalRandom.current());
    if (traceState == null) {
      traceState = TraceState.getDefault();
    }
    startNanoTime = now;
    if (!explicitStart) {
      startEpochNanos = ts.epochNanos(now);
    }
    if (decision == SamplingDecision.SAMPLE) {
      flags |= FLAG_SAMPLED;
      state = STATE_RECORDING;
    } else {
      state = STATE_NOT_RECORDING;
      attributes = null;
      attributeCount = 0;
      events = null;
      links = null;
    }
    return this;
  }

  /**
   * A test-and-set lock instead of {@code synchronized}: uncontended (the normal case, one thread
   * per span) it costs one CAS to enter and a release store to leave, where a monitor costs two
   * CASes; on this kind of machine that is about 35 ns per span of 4 attributes. Critical sections
   * are a few field writes, so a contending thread spins briefly, then yields.
   */
  private void lock() {
    int spins = 0;
    while (!LOCK.compareAndSet(this, 0, 1)) {
      if (++spins < 100) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  private void unlock() {
    LOCK.setRelease(this, 0);
  }

  private static long nonZero(ThreadLocalRandom r) {
    long v;
    do {
      v = r.nextLong();
    } while (v == 0);
    return v;
  }

  // ---------------------------------------------------------------- attributes (both roles)

  private boolean mutable() {
    return state == STATE_BUILDING || state == STATE_RECORDING;
  }

  @Override
  public CairnSpan setAttribute(String key, String value) {
    if (key != null && value != null) {
      put(key, value, false);
    }
    return this;
  }

  @Override
  public CairnSpan setAttribute(String key, long value) {
    if (key != null) {
      put(key, box(value), false);
    }
    return this;
  }

  @Override
  public CairnSpan setAttribute(String key, double value) {
    if (key != null) {
      put(key, value, false);
    }
    return this;
  }

  @Override
  public CairnSpan setAttribute(String key, boolean value) {
    if (key != null) {
      put(key, value, false);
    }
    return this;
  }

  @Override
  public CairnSpan setAttribute(String key, Value<?> value) {
    if (key != null && value != null) {
      put(key, value.asString(), false);
    }
    return this;
  }

  @Override
  public <T> CairnSpan setAttribute(AttributeKey<T> key, T value) {
    if (key != null && value != null) {
      Object v = value instanceof List<?> list ? List.copyOf(list)
          : value instanceof Value<?> val ? val.asString() : value;
      put(key.getKey(), v, false);
    }
    return this;
  }

  @Override
  public CairnSpan setAttribute(AttributeKey<Long> key, int value) {
    if (key != null) {
      put(key.getKey(), box(value), false);
    }
    return this;
  }

  @Override
  public CairnSpan setAllAttributes(Attributes all) {
    if (all != null && !all.isEmpty()) {
      all.forEach((k, v) -> put(k.getKey(), v instanceof List<?> l ? List.copyOf(l) : v, false));
    }
    return this;
  }

  private static Long box(long v) {
    return v >= 0 && v < SMALL_LONGS.length ? SMALL_LONGS[(int) v] : Long.valueOf(v);
  }

  /** Binds a business key (an order ID, a user ID) to this span; the store indexes it for lookup. */
  CairnSpan setBusinessKey(String key, String value) {
    if (key != null && value != null) {
      put(key, value, true);
    }
    return this;
  }

  private void put(String key, Object value, boolean businessKey) {
    lock();
    try {
      put0(key, value, businessKey);
    } finally {
      unlock();
    }
  }

  private void put0(String key, Object value, boolean businessKey) {
    if (!mutable() || key.isEmpty()) {
      return;
    }
    boolean bk = businessKey || tracer.state.businessKeys.contains(key);
    Object[] a = attributes;
    for (int i = 0; i < attributeCount; i++) {
      Object k = a[2 * i];
      if (k == key || k.equals(key)) {
        a[2 * i + 1] = value;
        if (bk && i < 32) {
          businessKeyBits |= 1 << i;
        }
        return;
      }
    }
    if (attributeCount >= tracer.state.maxAttributes) {
      return;
    }
    if (a == null) {
      a = attributes = new Object[8];
    } else if (a.length == 2 * attributeCount) {
      a = attributes = Arrays.copyOf(a, a.length * 2);
    }
    a[2 * attributeCount] = key;
    a[2 * attributeCount + 1] = value;
    if (bk && attributeCount < 32) {
      businessKeyBits |= 1 << attributeCount;
    }
    attributeCount++;
  }

  // ---------------------------------------------------------------- links (both roles)

  @Override
  public CairnSpan addLink(SpanContext context) {
    return addLink(context, Attributes.empty());
  }

  @Override
  public CairnSpan addLink(SpanContext context, Attributes linkAttributes) {
    if (context == null || !context.isValid()) {
      return this;
    }
    String t = context.getTraceId();
    SpanLink link = new SpanLink(Ids.parseHexLong(t, 0), Ids.parseHexLong(t, 16),
        Ids.parseHexLong(context.getSpanId(), 0), convert(linkAttributes));
    lock();
    try {
      if (mutable()) {
        if (links == null) {
          links = new ArrayList<>(2);
        }
        if (links.size() < tracer.state.maxLinks) {
          links.add(link);
        }
      }
    } finally {
      unlock();
    }
    return this;
  }

  private static List<Attribute> convert(Attributes attrs) {
    if (attrs == null || attrs.isEmpty()) {
      return List.of();
    }
    List<Attribute> out = new ArrayList<>(attrs.size());
    attrs.forEach((k, v) -> out.add(Attribute.of(k.getKey(), v instanceof Value<?> val ? val.asString() : v)));
    return out;
  }

  // ---------------------------------------------------------------- Span

  @Override
  public CairnSpan addEvent(String eventName, Attributes eventAttributes) {
    return addEventMicros(eventName, eventAttributes, nowEpochNanos() / 1000);
  }

  @Override
  public CairnSpan addEvent(String eventName, Attributes eventAttributes, long timestamp, TimeUnit unit) {
    return addEventMicros(eventName, eventAttributes, unit == null ? nowEpochNanos() / 1000 : unit.toMicros(timestamp));
  }

  private CairnSpan addEventMicros(String eventName, Attributes eventAttributes, long micros) {
    if (eventName == null || state != STATE_RECORDING) {
      return this;
    }
    SpanEvent event = new SpanEvent(micros, eventName, convert(eventAttributes));
    lock();
    try {
      if (state == STATE_RECORDING) {
        if (events == null) {
          events = new ArrayList<>(2);
        }
        if (events.size() < tracer.state.maxEvents) {
          events.add(event);
        }
      }
    } finally {
      unlock();
    }
    return this;
  }

  @Override
  public CairnSpan setStatus(io.opentelemetry.api.trace.StatusCode code, String description) {
    lock();
    try {
      return setStatus0(code, description);
    } finally {
      unlock();
    }
  }

  private CairnSpan setStatus0(io.opentelemetry.api.trace.StatusCode code, String description) {
    if (state != STATE_RECORDING || code == null || status == StatusCode.OK.ordinal()) {
      return this;
    }
    switch (code) {
      case OK -> {
        status = (byte) StatusCode.OK.ordinal();
        statusMessage = "";
      }
      case ERROR -> {
        status = (byte) StatusCode.ERROR.ordinal();
        statusMessage = description == null ? "" : description;
      }
      default -> { }
    }
    return this;
  }

  @Override
  public CairnSpan recordException(Throwable exception, Attributes additional) {
    if (exception == null || state != STATE_RECORDING) {
      return this;
    }
    StringWriter trace = new StringWriter();
    exception.printStackTrace(new PrintWriter(trace));
    List<Attribute> attrs = new ArrayList<>(4);
    attrs.add(Attribute.of("exception.type", exception.getClass().getName()));
    if (exception.getMessage() != null) {
      attrs.add(Attribute.of("exception.message", exception.getMessage()));
    }
    attrs.add(Attribute.of("exception.stacktrace", trace.toString()));
    attrs.addAll(convert(additional));
    SpanEvent event = new SpanEvent(nowEpochNanos() / 1000, "exception", attrs);
    lock();
    try {
      if (state == STATE_RECORDING) {
        if (events == null) {
          events = new ArrayList<>(2);
        }
        if (events.size() < tracer.state.maxEvents) {
          events.add(event);
        }
      }
    } finally {
      unlock();
    }
    return this;
  }

  @Override
  public CairnSpan updateName(String newName) {
    lock();
    try {
      return updateName0(newName);
    } finally {
      unlock();
    }
  }

  private CairnSpan updateName0(String newName) {
    if (mutable() && newName != null && !newName.isEmpty()) {
      name = newName;
    }
    return this;
  }

  @Override
  public void end() {
    lock();
    try {
      if (state != STATE_RECORDING) {
        if (state == STATE_NOT_RECORDING) {
          state = STATE_ENDED;
        }
        return;
      }
      endEpochNanos = explicitStart ? nowEpochNanos()
          : startEpochNanos + (System.nanoTime() - startNanoTime);
      state = STATE_ENDED;
    } finally {
      unlock();
    }
    tracer.state.offer(this);
  }

  @Override
  public void end(long timestamp, TimeUnit unit) {
    if (unit == null || timestamp <= 0) {
      end();
      return;
    }
    lock();
    try {
      if (state != STATE_RECORDING) {
        if (state == STATE_NOT_RECORDING) {
          state = STATE_ENDED;
        }
        return;
      }
      endEpochNanos = unit.toNanos(timestamp);
      state = STATE_ENDED;
    } finally {
      unlock();
    }
    tracer.state.offer(this);
  }

  private long nowEpochNanos() {
    return tracer.state.epochNanos(System.nanoTime());
  }

  @Override
  public SpanContext getSpanContext() {
    SpanContext sc = spanContext;
    if (sc == null) {
      lock();
      try {
        if (spanId == 0) {
          return SpanContext.getInvalid();
        }
        sc = spanContext;
        if (sc == null) {
          sc = spanContext = SpanContext.create(Ids.traceIdHex(traceIdHigh, traceIdLow),
              Ids.spanIdHex(spanId),
              (flags & FLAG_SAMPLED) != 0 ? TraceFlags.getSampled() : TraceFlags.getDefault(),
              traceState);
        }
      } finally {
        unlock();
      }
    }
    return sc;
  }

  @Override
  public boolean isRecording() {
    return state == STATE_RECORDING;
  }

  // ---------------------------------------------------------------- SpanView (read after end)

  @Override public long traceIdHigh() { return traceIdHigh; }
  @Override public long traceIdLow() { return traceIdLow; }
  @Override public long spanId() { return spanId; }
  @Override public long parentSpanId() { return parentSpanId; }
  @Override public int flags() { return flags; }
  @Override public String service() { return tracer.state.service; }
  @Override public String scopeName() { return tracer.scopeName; }
  @Override public String scopeVersion() { return tracer.scopeVersion; }
  @Override public String name() { return name; }
  @Override public SpanKind kind() { return SpanKind.ofCode(kind); }
  @Override public long startMicros() { return startEpochNanos / 1000; }

  @Override
  public long durationMicros() {
    return Math.max(0, (endEpochNanos - startEpochNanos) / 1000);
  }

  @Override public StatusCode status() { return StatusCode.ofCode(status); }
  @Override public String statusMessage() { return statusMessage; }
  @Override public int attributeCount() { return attributeCount; }
  @Override public String attributeKey(int i) { return (String) attributes[2 * i]; }
  @Override public Object attributeValue(int i) { return attributes[2 * i + 1]; }

  @Override
  public boolean attributeIsBusinessKey(int i) {
    return i < 32 && (businessKeyBits & (1 << i)) != 0;
  }

  @Override public int eventCount() { return events == null ? 0 : events.size(); }
  @Override public SpanEvent event(int i) { return events.get(i); }
  @Override public int linkCount() { return links == null ? 0 : links.size(); }
  @Override public SpanLink link(int i) { return links.get(i); }

  @Override
  public String toString() {
    return "CairnSpan{" + Ids.traceIdHex(traceIdHigh, traceIdLow) + "/" + Ids.spanIdHex(spanId)
        + " " + name + "}";
  }
}
