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
 * allocation instead of two. The block encoder reads it through {@link SpanView} after
 * {@link #end()} hands it to the sink, so nothing is copied on the application thread.
 *
 * <p><b>Layout.</b> The object is most of what a span costs the application in allocation, so it
 * is kept small: the first {@value #FIELD_ATTRIBUTES} attributes live in fields, not in an array;
 * state, kind, flags and status share one int with the lock bit; one long holds the start's
 * {@code System.nanoTime()} until the span ends and its end time afterwards; everything most
 * spans never use (more attributes, events, links, a status message, a non-default trace state,
 * attributes set from other threads) lives in an {@link Extras} object made on first use.
 *
 * <p><b>Threads.</b> The OpenTelemetry API promises thread-safe spans, yet nearly every span is
 * used by the thread that made it. So the attributes that thread sets (the owner's attributes)
 * are written without a lock: only the owner ever writes them, and it publishes each one by a
 * release store of the count, which readers load with acquire. Everything else - attributes set
 * by other threads, events, links, status, name, business keys, and {@link #end()} - takes a
 * test-and-set lock; attributes from other threads go to a separate list that {@code end()} merges
 * in (a key set by both keeps the other thread's value, as it does for any concurrent set). After
 * end every mutator is a no-op, so the encoder's reads never race with a writer. Builder methods
 * take no lock: a span builder is used by one thread, and the started span reaches other threads
 * only through a hand-off that publishes it. Builder methods called after {@link #startSpan()}
 * are ignored.
 */
final class CairnSpan implements Span, SpanBuilder, SpanView {
  private static final int STATE_BUILDING = 0;
  private static final int STATE_RECORDING = 1;
  private static final int STATE_NOT_RECORDING = 2;
  private static final int STATE_ENDED = 3;

  // The bits of ctl.
  private static final int LOCKED = 1;
  private static final int STATE_SHIFT = 1;
  private static final int STATE_MASK = 3 << STATE_SHIFT;
  private static final int KIND_SHIFT = 3;
  private static final int KIND_MASK = 7 << KIND_SHIFT;
  private static final int STATUS_SHIFT = 6;
  private static final int STATUS_MASK = 3 << STATUS_SHIFT;
  /** SpanView's flags (sampled, remote parent), two bits. */
  private static final int FLAGS_SHIFT = 8;
  private static final int FLAGS_MASK = 3 << FLAGS_SHIFT;
  private static final int EXPLICIT_START = 1 << 10;

  /** Attributes kept in fields of the span itself; the rest go to {@link Extras#overflow}. */
  static final int FIELD_ATTRIBUTES = 4;

  /** Boxed longs for small values (HTTP status codes, ports, counts), so setting them allocates nothing. */
  private static final Long[] SMALL_LONGS = new Long[1024];

  static {
    for (int i = 0; i < SMALL_LONGS.length; i++) {
      SMALL_LONGS[i] = (long) i;
    }
  }

  private static final VarHandle CTL;
  private static final VarHandle COUNT;
  private static final VarHandle EXTRAS;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      CTL = l.findVarHandle(CairnSpan.class, "ctl", int.class);
      COUNT = l.findVarHandle(CairnSpan.class, "ownCount", int.class);
      EXTRAS = l.findVarHandle(CairnSpan.class, "extras", Extras.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final CairnTracer tracer;
  /** The thread that made the builder: the only writer of the owner's attributes. */
  private final Thread owner;
  private String name;

  private long traceIdHigh;
  private long traceIdLow;
  private long spanId;
  private long parentSpanId;
  private long startEpochNanos;
  /** While recording: {@code System.nanoTime()} at start. After end: the end in epoch nanos. */
  private long end;

  /** Lock bit, state, kind, status, flags, explicit start: see the constants. */
  private int ctl;
  /** How many of the owner's attributes are set; written by the owner with release. */
  private int ownCount;
  /** Builder: the explicit parent ({@code Context.root()} after setNoParent). Span: its SpanContext, made once. */
  private Object parentOrContext;
  /** Made on first use, under the lock (or by the builder before the span is published). */
  private volatile Extras extras;

  /** The owner's first attributes: key (a String, or a {@link BusinessKey}) and value pairs. */
  private Object k0;
  private Object v0;
  private Object k1;
  private Object v1;
  private Object k2;
  private Object v2;
  private Object k3;
  private Object v3;

  /** What most spans never need. */
  private static final class Extras {
    /** The owner's attributes beyond the fields, pairs; written by the owner only. */
    Object[] overflow;
    /** Attributes set by other threads, pairs; under the lock. */
    Object[] foreign;
    int foreignCount;
    /** After end, when other threads set attributes: the owner's and theirs, deduplicated. */
    Object[] merged;
    int mergedCount = -1;
    TraceState traceState;
    String statusMessage = "";
    /**
     * Events, flat: their times, and (name, attributes) pairs whose attributes are the caller's
     * immutable {@link Attributes} or a ready {@code List<Attribute>}; converted to
     * {@link SpanEvent} only when read, on the encoder's thread.
     */
    long[] eventMicros;
    Object[] eventData;
    int eventCount;
    List<SpanLink> links;
  }

  /** An attribute key that the store indexes as a business key. */
  private record BusinessKey(String key) {}

  CairnSpan(CairnTracer tracer, String name) {
    this.tracer = tracer;
    this.name = name;
    this.owner = Thread.currentThread();
  }

  // ---------------------------------------------------------------- ctl

  private static int state(int c) {
    return (c & STATE_MASK) >>> STATE_SHIFT;
  }

  private static int withState(int c, int state) {
    return (c & ~STATE_MASK) | (state << STATE_SHIFT);
  }

  private int state() {
    return state(ctl);
  }

  /**
   * A test-and-set lock instead of {@code synchronized}: uncontended it costs one CAS to enter and
   * a release store to leave, where a monitor costs two CASes. The lock bit shares ctl with the
   * state, so the holder changes both with the release store that unlocks. Critical sections are
   * a few field writes, so a contending thread spins briefly, then yields.
   *
   * @return ctl as it was when locked, without the lock bit
   */
  private int lock() {
    int spins = 0;
    while (true) {
      int c = (int) CTL.getVolatile(this);
      if ((c & LOCKED) == 0 && CTL.compareAndSet(this, c, c | LOCKED)) {
        return c;
      }
      if (++spins < 100) {
        Thread.onSpinWait();
      } else {
        Thread.yield();
      }
    }
  }

  /** Unlocks, leaving ctl at {@code c} (whose state, status and flags the holder may have changed). */
  private void unlock(int c) {
    CTL.setRelease(this, c & ~LOCKED);
  }

  // ---------------------------------------------------------------- SpanBuilder

  @Override
  public CairnSpan setParent(Context context) {
    if (state() == STATE_BUILDING && context != null) {
      parentOrContext = context;
    }
    return this;
  }

  @Override
  public CairnSpan setNoParent() {
    if (state() == STATE_BUILDING) {
      parentOrContext = Context.root();
    }
    return this;
  }

  @Override
  public CairnSpan setSpanKind(io.opentelemetry.api.trace.SpanKind spanKind) {
    if (state() == STATE_BUILDING && spanKind != null) {
      int k = (switch (spanKind) {
        case SERVER -> SpanKind.SERVER;
        case CLIENT -> SpanKind.CLIENT;
        case PRODUCER -> SpanKind.PRODUCER;
        case CONSUMER -> SpanKind.CONSUMER;
        default -> SpanKind.INTERNAL;
      }).ordinal();
      ctl = (ctl & ~KIND_MASK) | (k << KIND_SHIFT);
    }
    return this;
  }

  @Override
  public CairnSpan setStartTimestamp(long startTimestamp, TimeUnit unit) {
    if (state() == STATE_BUILDING && startTimestamp > 0 && unit != null) {
      startEpochNanos = unit.toNanos(startTimestamp);
      ctl |= EXPLICIT_START;
    }
    return this;
  }

  @Override
  public Span startSpan() {
    int c = ctl;
    if (state(c) != STATE_BUILDING) {
      return this;
    }
    Context parentContext = parentOrContext instanceof Context p ? p : Context.current();
    parentOrContext = null;
    long now = System.nanoTime();
    TracerState ts = tracer.state;
    // One clock conversion serves both the root trace ID's time prefix and the start time.
    long nowEpochNanos = ts.epochNanos(now);
    // The root context holds no span (nor baggage): a root span looks nothing up in it.
    Span parentSpan = parentContext == Context.root() ? null : Span.fromContextOrNull(parentContext);
    boolean hasParent = false;
    boolean parentSampled = false;
    int flags = 0;
    TraceState traceState = null;
    long hi;
    long lo;
    long rootSpanId = 0;
    if (parentSpan instanceof CairnSpan p && p.spanId != 0) {
      hasParent = true;
      hi = p.traceIdHigh;
      lo = p.traceIdLow;
      parentSampled = (p.flags() & FLAG_SAMPLED) != 0;
      parentSpanId = p.spanId;
      Extras pe = p.extras;
      traceState = pe == null ? null : pe.traceState;
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
      hi = (nowEpochNanos / 1_000_000_000L) << 32 | ts.traceIdSalt;
      lo = nonZero(ThreadLocalRandom.current());
      // One draw serves both IDs: the root's span ID is a bijective mix of the random trace ID
      // half, so it is as unique as that half, and reveals nothing a reader does not already see.
      rootSpanId = mix(lo);
    }
    SamplingDecision decision;
    try {
      decision = ts.sampler.decide(parentContext, hasParent, parentSampled, hi, lo,
          tracer.scopeName, name, SpanKind.ofCode((c & KIND_MASK) >>> KIND_SHIFT));
    } catch (RuntimeException e) {
      // A broken sampler must not break the application: keep the trace going unsampled.
      decision = SamplingDecision.DROP;
    }
    if (decision == SamplingDecision.OFF) {
      ctl = withState(c, STATE_ENDED);
      return hasParent ? Span.wrap(parentSpan.getSpanContext()) : Span.getInvalid();
    }
    traceIdHigh = hi;
    traceIdLow = lo;
    spanId = rootSpanId != 0 ? rootSpanId : nonZero(ThreadLocalRandom.current());
    if (traceState != null && !traceState.isEmpty()) {
      extrasUnpublished().traceState = traceState;
    }
    end = now;
    if ((c & EXPLICIT_START) == 0) {
      startEpochNanos = nowEpochNanos;
    }
    if (decision == SamplingDecision.SAMPLE) {
      flags |= FLAG_SAMPLED;
      c = withState(c, STATE_RECORDING);
    } else {
      c = withState(c, STATE_NOT_RECORDING);
      ownCount = 0;
      k0 = v0 = k1 = v1 = k2 = v2 = k3 = v3 = null;
      Extras e = extras;
      if (e != null) {
        TraceState keep = e.traceState;
        extras = null;
        if (keep != null) {
          extrasUnpublished().traceState = keep;
        }
      }
    }
    ctl = (c & ~FLAGS_MASK) | (flags << FLAGS_SHIFT);
    return this;
  }

  /** The extras of a span not yet published (builder phase, on the builder's thread). */
  private Extras extrasUnpublished() {
    Extras e = extras;
    if (e == null) {
      e = new Extras();
      extras = e;
    }
    return e;
  }

  /** The extras, made if needed; the caller holds the lock. */
  private Extras extrasLocked() {
    Extras e = extras;
    if (e == null) {
      e = new Extras();
      EXTRAS.setRelease(this, e);
    }
    return e;
  }

  /** A bijection of longs that scatters bits (Stafford's variant 13 of MurmurHash3's finaliser). */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static long nonZero(ThreadLocalRandom r) {
    long v;
    do {
      v = r.nextLong();
    } while (v == 0);
    return v;
  }

  // ---------------------------------------------------------------- attributes (both roles)

  private static boolean mutable(int state) {
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
    if (key.isEmpty()) {
      return;
    }
    TracerState ts = tracer.state;
    boolean bk = businessKey || ts.hasBusinessKeys && ts.businessKeys.contains(key);
    if (Thread.currentThread() == owner && !bk) {
      Extras e = extras;
      // Once another thread has set attributes, the owner goes through the lock too, so that a
      // key set by both ends with the value set last.
      if (e == null || e.foreignCount == 0) {
        if (mutable(state())) {
          putOwn(key, value, false, false);
        }
        return;
      }
    }
    int c = lock();
    try {
      if (!mutable(state(c))) {
        return;
      }
      if (Thread.currentThread() == owner) {
        if (!replaceForeign(key, value, bk)) {
          putOwn(key, value, bk, true);
        }
      } else {
        putForeign(key, value, bk);
      }
    } finally {
      unlock(c);
    }
  }

  /** Sets one of the owner's attributes; only ever called on the owner's thread. */
  private void putOwn(String key, Object value, boolean bk, boolean locked) {
    int n = ownCount;
    int i = indexOf(key, n);
    if (i >= 0) {
      setOwn(i, bk ? new BusinessKey(key) : ownKey(i), value);
      return;
    }
    Extras e = extras;
    if (n + (e == null ? 0 : e.foreignCount) >= tracer.state.maxAttributes) {
      return;
    }
    Object k = bk ? new BusinessKey(key) : key;
    if (n >= FIELD_ATTRIBUTES) {
      if (e == null && (e = locked ? extrasLocked() : extrasForOwner()) == null) {
        return;
      }
      Object[] a = e.overflow;
      int at = 2 * (n - FIELD_ATTRIBUTES);
      if (a == null) {
        // Room for attributes 5 to 10: HTTP server spans typically carry 8 to 10.
        a = new Object[12];
      } else if (a.length == at) {
        a = Arrays.copyOf(a, a.length * 2);
      }
      a[at] = k;
      a[at + 1] = value;
      e.overflow = a;
    } else {
      setOwn(n, k, value);
    }
    // Publishes the attribute to any thread that reads the count with acquire.
    COUNT.setRelease(this, n + 1);
  }

  /** The extras for the owner's attribute overflow, made under the lock; null once ended. */
  private Extras extrasForOwner() {
    int c = lock();
    try {
      return mutable(state(c)) ? extrasLocked() : null;
    } finally {
      unlock(c);
    }
  }

  private int indexOf(String key, int n) {
    for (int i = 0; i < n; i++) {
      Object k = ownKey(i);
      // Keys are usually literals: identical, or of another length, which equals sees at once.
      if (k == key || (k instanceof String str ? str : ((BusinessKey) k).key()).equals(key)) {
        return i;
      }
    }
    return -1;
  }

  private Object ownKey(int i) {
    switch (i) {
      case 0: return k0;
      case 1: return k1;
      case 2: return k2;
      case 3: return k3;
      default: return extras.overflow[2 * (i - FIELD_ATTRIBUTES)];
    }
  }

  private Object ownValue(int i) {
    switch (i) {
      case 0: return v0;
      case 1: return v1;
      case 2: return v2;
      case 3: return v3;
      default: return extras.overflow[2 * (i - FIELD_ATTRIBUTES) + 1];
    }
  }

  private void setOwn(int i, Object k, Object v) {
    switch (i) {
      case 0 -> { k0 = k; v0 = v; }
      case 1 -> { k1 = k; v1 = v; }
      case 2 -> { k2 = k; v2 = v; }
      case 3 -> { k3 = k; v3 = v; }
      default -> {
        Object[] a = extras.overflow;
        a[2 * (i - FIELD_ATTRIBUTES)] = k;
        a[2 * (i - FIELD_ATTRIBUTES) + 1] = v;
      }
    }
  }

  /** Under the lock: updates a key another thread set, if there is one. */
  private boolean replaceForeign(String key, Object value, boolean bk) {
    Extras e = extras;
    if (e == null || e.foreignCount == 0) {
      return false;
    }
    int i = foreignIndexOf(e, key);
    if (i < 0) {
      return false;
    }
    if (bk) {
      e.foreign[2 * i] = new BusinessKey(key);
    }
    e.foreign[2 * i + 1] = value;
    return true;
  }

  /** Under the lock, on a thread other than the owner. */
  private void putForeign(String key, Object value, boolean bk) {
    Extras e = extrasLocked();
    if (replaceForeign(key, value, bk)) {
      return;
    }
    if ((int) COUNT.getAcquire(this) + e.foreignCount >= tracer.state.maxAttributes) {
      return;
    }
    Object[] a = e.foreign;
    int at = 2 * e.foreignCount;
    if (a == null) {
      a = e.foreign = new Object[8];
    } else if (a.length == at) {
      a = e.foreign = Arrays.copyOf(a, a.length * 2);
    }
    a[at] = bk ? new BusinessKey(key) : key;
    a[at + 1] = value;
    e.foreignCount++;
  }

  private static int foreignIndexOf(Extras e, String key) {
    for (int i = 0; i < e.foreignCount; i++) {
      Object k = e.foreign[2 * i];
      String s = k instanceof String str ? str : ((BusinessKey) k).key();
      if (s.equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Under the lock, at end, when other threads set attributes: the owner's attributes whose key
   * no other thread set, then the other threads' ones. Reads the owner's count with acquire, so a
   * racing owner's half-written attribute is not taken.
   */
  private void merge(Extras e) {
    int n = (int) COUNT.getAcquire(this);
    Object[] m = new Object[2 * (n + e.foreignCount)];
    int out = 0;
    for (int i = 0; i < n; i++) {
      Object k = ownKey(i);
      if (foreignIndexOf(e, k instanceof String s ? s : ((BusinessKey) k).key()) < 0) {
        m[out++] = k;
        m[out++] = ownValue(i);
      }
    }
    System.arraycopy(e.foreign, 0, m, out, 2 * e.foreignCount);
    e.merged = m;
    e.mergedCount = out / 2 + e.foreignCount;
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
    int c = lock();
    try {
      if (mutable(state(c))) {
        Extras e = extrasLocked();
        if (e.links == null) {
          e.links = new ArrayList<>(2);
        }
        if (e.links.size() < tracer.state.maxLinks) {
          e.links.add(link);
        }
      }
    } finally {
      unlock(c);
    }
    return this;
  }

  /** An immutable list, so that {@link SpanEvent} and {@link SpanLink} keep it without a copy. */
  private static List<Attribute> convert(Attributes attrs) {
    if (attrs == null || attrs.isEmpty()) {
      return List.of();
    }
    Attribute[] out = new Attribute[attrs.size()];
    int[] n = {0};
    attrs.forEach((k, v) -> {
      if (n[0] < out.length) {
        out[n[0]++] = Attribute.of(k.getKey(), v instanceof Value<?> val ? val.asString() : v);
      }
    });
    return n[0] == 1 ? List.of(out[0])
        : List.of(n[0] == out.length ? out : Arrays.copyOf(out, n[0]));
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
    if (eventName == null || state() != STATE_RECORDING) {
      return this;
    }
    addEvent(micros, eventName, eventAttributes == null ? Attributes.empty() : eventAttributes);
    return this;
  }

  /** {@code attributes}: immutable OpenTelemetry {@link Attributes} or a {@code List<Attribute>}. */
  private void addEvent(long micros, String eventName, Object attributes) {
    int c = lock();
    try {
      if (state(c) == STATE_RECORDING) {
        Extras e = extrasLocked();
        int n = e.eventCount;
        if (n < tracer.state.maxEvents) {
          if (e.eventMicros == null) {
            e.eventMicros = new long[2];
            e.eventData = new Object[4];
          } else if (e.eventMicros.length == n) {
            e.eventMicros = Arrays.copyOf(e.eventMicros, 2 * n);
            e.eventData = Arrays.copyOf(e.eventData, 4 * n);
          }
          e.eventMicros[n] = micros;
          e.eventData[2 * n] = eventName;
          e.eventData[2 * n + 1] = attributes;
          e.eventCount = n + 1;
        }
      }
    } finally {
      unlock(c);
    }
  }

  @Override
  public CairnSpan setStatus(io.opentelemetry.api.trace.StatusCode code, String description) {
    if (code == null || code == io.opentelemetry.api.trace.StatusCode.UNSET) {
      return this;
    }
    int c = lock();
    try {
      if (state(c) != STATE_RECORDING || status(c) == StatusCode.OK.ordinal()) {
        return this;
      }
      StatusCode to = code == io.opentelemetry.api.trace.StatusCode.OK ? StatusCode.OK : StatusCode.ERROR;
      String message = to == StatusCode.ERROR && description != null ? description : "";
      if (!message.isEmpty() || extras != null) {
        extrasLocked().statusMessage = message;
      }
      c = (c & ~STATUS_MASK) | (to.ordinal() << STATUS_SHIFT);
      return this;
    } finally {
      unlock(c);
    }
  }

  private static int status(int c) {
    return (c & STATUS_MASK) >>> STATUS_SHIFT;
  }

  @Override
  public CairnSpan recordException(Throwable exception, Attributes additional) {
    if (exception == null || state() != STATE_RECORDING) {
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
    addEvent(nowEpochNanos() / 1000, "exception", attrs);
    return this;
  }

  @Override
  public CairnSpan updateName(String newName) {
    if (newName == null || newName.isEmpty()) {
      return this;
    }
    int c = lock();
    try {
      if (mutable(state(c))) {
        name = newName;
      }
    } finally {
      unlock(c);
    }
    return this;
  }

  @Override
  public void end() {
    // Read before the lock: the end is when the caller called, not when it got the lock.
    long nanoTime = System.nanoTime();
    int c = lock();
    try {
      if (!ending(c)) {
        if (state(c) == STATE_NOT_RECORDING) {
          c = withState(c, STATE_ENDED);
        }
        return;
      }
      end = (c & EXPLICIT_START) != 0 ? tracer.state.epochNanos(nanoTime)
          : startEpochNanos + (nanoTime - end);
      c = finish(c);
    } finally {
      unlock(c);
    }
    tracer.state.offer(this);
  }

  @Override
  public void end(long timestamp, TimeUnit unit) {
    if (unit == null || timestamp <= 0) {
      end();
      return;
    }
    int c = lock();
    try {
      if (!ending(c)) {
        if (state(c) == STATE_NOT_RECORDING) {
          c = withState(c, STATE_ENDED);
        }
        return;
      }
      end = unit.toNanos(timestamp);
      c = finish(c);
    } finally {
      unlock(c);
    }
    tracer.state.offer(this);
  }

  private static boolean ending(int c) {
    return state(c) == STATE_RECORDING;
  }

  /** Under the lock: merges other threads' attributes and marks the span ended. */
  private int finish(int c) {
    Extras e = extras;
    if (e != null && e.foreignCount > 0) {
      merge(e);
    }
    return withState(c, STATE_ENDED);
  }

  private long nowEpochNanos() {
    return tracer.state.epochNanos(System.nanoTime());
  }

  @Override
  public SpanContext getSpanContext() {
    if (parentOrContext instanceof SpanContext sc) {
      return sc;
    }
    int c = lock();
    try {
      if (spanId == 0) {
        return SpanContext.getInvalid();
      }
      if (parentOrContext instanceof SpanContext sc) {
        return sc;
      }
      Extras e = extras;
      SpanContext sc = SpanContext.create(Ids.traceIdHex(traceIdHigh, traceIdLow),
          Ids.spanIdHex(spanId),
          (flags() & FLAG_SAMPLED) != 0 ? TraceFlags.getSampled() : TraceFlags.getDefault(),
          e == null || e.traceState == null ? TraceState.getDefault() : e.traceState);
      // SpanContext is immutable with final fields, so a racy read of this field is safe.
      parentOrContext = sc;
      return sc;
    } finally {
      unlock(c);
    }
  }

  @Override
  public boolean isRecording() {
    return state() == STATE_RECORDING;
  }

  // ---------------------------------------------------------------- SpanView (read after end)

  @Override public long traceIdHigh() { return traceIdHigh; }
  @Override public long traceIdLow() { return traceIdLow; }
  @Override public long spanId() { return spanId; }
  @Override public long parentSpanId() { return parentSpanId; }
  @Override public int flags() { return (ctl & FLAGS_MASK) >>> FLAGS_SHIFT; }
  @Override public String service() { return tracer.state.service; }
  @Override public String scopeName() { return tracer.scopeName; }
  @Override public String scopeVersion() { return tracer.scopeVersion; }
  @Override public String name() { return name; }
  @Override public SpanKind kind() { return SpanKind.ofCode((ctl & KIND_MASK) >>> KIND_SHIFT); }
  @Override public long startMicros() { return startEpochNanos / 1000; }

  @Override
  public long durationMicros() {
    return Math.max(0, (end - startEpochNanos) / 1000);
  }

  @Override public StatusCode status() { return StatusCode.ofCode(status(ctl)); }

  @Override
  public String statusMessage() {
    Extras e = extras;
    return e == null ? "" : e.statusMessage;
  }

  @Override
  public int attributeCount() {
    Extras e = extras;
    return e != null && e.merged != null ? e.mergedCount : (int) COUNT.getAcquire(this);
  }

  @Override
  public String attributeKey(int i) {
    Object k = rawKey(i);
    return k instanceof String s ? s : ((BusinessKey) k).key();
  }

  @Override
  public Object attributeValue(int i) {
    Extras e = extras;
    return e != null && e.merged != null ? e.merged[2 * i + 1] : ownValue(i);
  }

  @Override
  public boolean attributeIsBusinessKey(int i) {
    return rawKey(i) instanceof BusinessKey;
  }

  private Object rawKey(int i) {
    Extras e = extras;
    return e != null && e.merged != null ? e.merged[2 * i] : ownKey(i);
  }

  @Override
  public int eventCount() {
    Extras e = extras;
    return e == null ? 0 : e.eventCount;
  }

  @Override
  @SuppressWarnings("unchecked")
  public SpanEvent event(int i) {
    Extras e = extras;
    Object attributes = e.eventData[2 * i + 1];
    return new SpanEvent(e.eventMicros[i], (String) e.eventData[2 * i],
        attributes instanceof Attributes a ? convert(a) : (List<Attribute>) attributes);
  }

  @Override
  public int linkCount() {
    Extras e = extras;
    return e == null || e.links == null ? 0 : e.links.size();
  }

  @Override public SpanLink link(int i) { return extras.links.get(i); }

  @Override
  public String toString() {
    return "CairnSpan{" + Ids.traceIdHex(traceIdHigh, traceIdLow) + "/" + Ids.spanIdHex(spanId)
        + " " + name + "}";
  }
}
