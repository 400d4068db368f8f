package dev.cairn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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
import dev.cairn.core.sampling.SamplingConfig;
import dev.cairn.core.sampling.SamplingDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.io.TempDir;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CairnTracerTest {
  private final List<SpanView> finished = new CopyOnWriteArrayList<>();
  private final CairnOpenTelemetry otel = Cairn.builder("checkout")
      .sink(span -> finished.add(span))
      .businessKeys("user.id")
      .build();
  private final Tracer tracer = otel.getTracer("shop.http", "1.2");

  private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Map<String, String> carrier) {
      return carrier.keySet();
    }

    @Override
    public String get(Map<String, String> carrier, String key) {
      return carrier == null ? null : carrier.get(key);
    }
  };

  /** Round-trips a finished live span through the block codec, as the appender will. */
  private static SpanRecord encoded(SpanView span) throws Exception {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    assertTrue(enc.addSpan(span));
    ByteBuffer b = enc.finish();
    List<SpanRecord> out = new ArrayList<>();
    new BlockDecoder().decode(Block.wrap(0, Arrays.copyOf(b.array(), b.limit())), out::add);
    return out.get(0);
  }

  @Test
  void startAttributesEnd_handsOneFinishedSpanToTheSink() throws Exception {
    long before = System.currentTimeMillis() * 1000;
    Span span = tracer.spanBuilder("GET /cart").setSpanKind(io.opentelemetry.api.trace.SpanKind.SERVER)
        .setAttribute("http.request.method", "GET")
        .startSpan();
    span.setAttribute("http.response.status_code", 200L);
    span.setAttribute("ratio", 0.5);
    span.setAttribute("cached", true);
    span.setAttribute(AttributeKey.stringArrayKey("tags"), List.of("a", "b"));
    span.setAttribute("http.request.method", "POST");
    Thread.sleep(5);
    span.end();
    span.end();
    span.setAttribute("after.end", "ignored");

    assertEquals(1, finished.size());
    SpanRecord r = encoded(finished.get(0));
    assertEquals(span.getSpanContext().getTraceId(), r.traceIdHex());
    assertEquals(span.getSpanContext().getSpanId(), r.spanIdHex());
    assertTrue(r.isRoot());
    assertEquals("checkout", r.service());
    assertEquals("shop.http", r.scopeName());
    assertEquals("1.2", r.scopeVersion());
    assertEquals("GET /cart", r.name());
    assertEquals(SpanKind.SERVER, r.kind());
    assertEquals(List.of(Attribute.of("http.request.method", "POST"),
        Attribute.of("http.response.status_code", 200L), Attribute.of("ratio", 0.5),
        Attribute.of("cached", true), Attribute.of("tags", List.of("a", "b"))), r.attributes());
    assertTrue(r.startMicros() >= before - 2000 && r.startMicros() <= System.currentTimeMillis() * 1000 + 2000);
    assertTrue(r.durationMicros() >= 5000, "duration " + r.durationMicros());
    assertEquals(1, r.flags() & SpanView.FLAG_SAMPLED);
  }

  @Test
  void childOfCurrentSpan_sharesTraceIdAndNamesItsParent() {
    Span parent = tracer.spanBuilder("parent").startSpan();
    Span child;
    try (Scope s = parent.makeCurrent()) {
      child = tracer.spanBuilder("child").startSpan();
      child.end();
    }
    Span explicit = tracer.spanBuilder("explicit").setParent(Context.root().with(parent)).startSpan();
    explicit.end();
    Span root;
    try (Scope s = parent.makeCurrent()) {
      root = tracer.spanBuilder("root").setNoParent().startSpan();
      root.end();
    }
    parent.end();
    SpanView c = finished.get(0);
    SpanView e = finished.get(1);
    SpanView r = finished.get(2);
    SpanView p = finished.get(3);
    assertEquals(p.traceIdLow(), c.traceIdLow());
    assertEquals(p.traceIdHigh(), c.traceIdHigh());
    assertEquals(p.spanId(), c.parentSpanId());
    assertEquals(p.spanId(), e.parentSpanId());
    assertEquals(0, r.parentSpanId());
    assertNotEquals(p.traceIdLow(), r.traceIdLow());
  }

  @Test
  void links_eventsExceptionsAndStatus_areRecorded() throws Exception {
    Span other = tracer.spanBuilder("message").startSpan();
    other.end();
    Span span = tracer.spanBuilder("batch")
        .addLink(other.getSpanContext(), Attributes.of(AttributeKey.longKey("index"), 3L))
        .startSpan();
    span.addEvent("retry", Attributes.of(AttributeKey.longKey("attempt"), 2L), 1_000_000, TimeUnit.MICROSECONDS);
    span.recordException(new IllegalStateException("boom"));
    span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "failed");
    span.updateName("batch of 3");
    span.end();
    SpanRecord r = encoded(finished.get(1));
    assertEquals("batch of 3", r.name());
    assertEquals(StatusCode.ERROR, r.status());
    assertEquals("failed", r.statusMessage());
    assertEquals(1, r.links().size());
    assertEquals(other.getSpanContext().getSpanId(), Ids.spanIdHex(r.links().get(0).spanId()));
    assertEquals(other.getSpanContext().getTraceId(),
        Ids.traceIdHex(r.links().get(0).traceIdHigh(), r.links().get(0).traceIdLow()));
    assertEquals(List.of(Attribute.of("index", 3L)), r.links().get(0).attributes());
    assertEquals("retry", r.events().get(0).name());
    assertEquals(1_000_000, r.events().get(0).timeMicros());
    assertEquals("exception", r.events().get(1).name());
    assertEquals("java.lang.IllegalStateException",
        r.events().get(1).attributes().get(0).value());
    assertTrue(((String) r.events().get(1).attributes().get(2).value()).contains("CairnTracerTest"));
  }

  @Test
  void statusOk_isFinal() {
    Span span = tracer.spanBuilder("s").startSpan();
    span.setStatus(io.opentelemetry.api.trace.StatusCode.OK);
    span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "late");
    span.end();
    assertEquals(StatusCode.OK, finished.get(0).status());
  }

  @Test
  void w3cTraceparent_roundTripsThroughThePropagators() {
    Span span = tracer.spanBuilder("client").startSpan();
    Map<String, String> headers = new HashMap<>();
    try (Scope s = span.makeCurrent()) {
      otel.getPropagators().getTextMapPropagator().inject(Context.current(), headers, Map::put);
    }
    assertEquals("00-" + span.getSpanContext().getTraceId() + "-" + span.getSpanContext().getSpanId()
        + "-01", headers.get("traceparent"));

    Context extracted = otel.getPropagators().getTextMapPropagator().extract(Context.root(), headers, GETTER);
    Span server = tracer.spanBuilder("server").setParent(extracted).startSpan();
    server.end();
    SpanView v = finished.get(0);
    assertEquals(span.getSpanContext().getTraceId(), Ids.traceIdHex(v.traceIdHigh(), v.traceIdLow()));
    assertEquals(span.getSpanContext().getSpanId(), Ids.spanIdHex(v.parentSpanId()));
    assertEquals(SpanView.FLAG_REMOTE_PARENT, v.flags() & SpanView.FLAG_REMOTE_PARENT);
  }

  @Test
  void droppedBySampler_propagatesUnsampledAndWritesNothing() {
    CairnOpenTelemetry dropping = Cairn.builder("x").sink(finished::add)
        .sampler((p, hp, ps, hi, lo, scope, name, kind) -> hp && ps ? SamplingDecision.SAMPLE
            : SamplingDecision.DROP)
        .build();
    Tracer t = dropping.getTracer("t");
    Span root = t.spanBuilder("root").startSpan();
    assertFalse(root.isRecording());
    assertTrue(root.getSpanContext().isValid());
    assertFalse(root.getSpanContext().isSampled());
    try (Scope s = root.makeCurrent()) {
      Span child = t.spanBuilder("child").startSpan();
      assertEquals(root.getSpanContext().getTraceId(), child.getSpanContext().getTraceId());
      assertFalse(child.isRecording());
      child.end();
    }
    root.end();
    assertTrue(finished.isEmpty());
  }

  @Test
  void switchedOff_makesNoSpanAndKeepsTheCallersContext() {
    CairnOpenTelemetry off = Cairn.builder("x").sink(finished::add)
        .sampler((p, hp, ps, hi, lo, scope, name, kind) -> SamplingDecision.OFF).build();
    Span parent = tracer.spanBuilder("parent").startSpan();
    try (Scope s = parent.makeCurrent()) {
      Span none = off.getTracer("t").spanBuilder("none").startSpan();
      assertEquals(parent.getSpanContext(), none.getSpanContext());
      assertFalse(none.isRecording());
      none.end();
    }
    assertTrue(finished.isEmpty(), "ending the pass-through span must not end the parent");
    parent.end();
    assertEquals(1, finished.size());
    assertSame(Span.getInvalid(), off.getTracer("t").spanBuilder("root").startSpan());
  }

  @Test
  void businessKeys_areMarkedWhetherBoundOrConfigured() throws Exception {
    Span span = tracer.spanBuilder("order").startSpan();
    try (Scope s = span.makeCurrent()) {
      Cairn.bindBusinessKey("order.id", "2135897412389123");
    }
    span.setAttribute("user.id", "u-7");
    span.setAttribute("other", "x");
    span.end();
    SpanRecord r = encoded(finished.get(0));
    assertEquals(List.of(new Attribute("order.id", "2135897412389123", true),
        new Attribute("user.id", "u-7", true), new Attribute("other", "x", false)), r.attributes());
  }

  @Test
  void manyEvents_keepOrderTimesAndAttributesUpToTheLimit() throws Exception {
    CairnOpenTelemetry limited = Cairn.builder("x").sink(finished::add).maxEventsPerSpan(5).build();
    Span span = limited.getTracer("t").spanBuilder("s").startSpan();
    for (int i = 0; i < 7; i++) {
      span.addEvent("e" + i, Attributes.of(AttributeKey.longKey("i"), (long) i,
          AttributeKey.stringKey("s"), "v" + i), 1_000 + i, TimeUnit.MICROSECONDS);
    }
    span.addEvent("dropped");
    span.end();
    SpanRecord r = encoded(finished.get(0));
    assertEquals(5, r.events().size());
    for (int i = 0; i < 5; i++) {
      assertEquals("e" + i, r.events().get(i).name());
      assertEquals(1_000 + i, r.events().get(i).timeMicros());
      assertEquals(List.of(Attribute.of("i", (long) i), Attribute.of("s", "v" + i)),
          r.events().get(i).attributes());
    }
  }

  @Test
  void rootSpans_haveDistinctNonZeroSpanIds() {
    java.util.Set<String> ids = new java.util.HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      Span span = tracer.spanBuilder("root").setNoParent().startSpan();
      SpanContext sc = span.getSpanContext();
      assertTrue(sc.isValid());
      assertNotEquals(sc.getTraceId().substring(16), sc.getSpanId());
      assertTrue(ids.add(sc.getSpanId()), "span ID " + sc.getSpanId() + " twice");
      span.end();
    }
  }

  @Test
  void attributeLimit_dropsExtraAttributes() {
    CairnOpenTelemetry limited = Cairn.builder("x").sink(finished::add).maxAttributesPerSpan(3).build();
    Span span = limited.getTracer("t").spanBuilder("s").startSpan();
    for (int i = 0; i < 10; i++) {
      span.setAttribute("k" + i, i);
    }
    span.end();
    assertEquals(3, finished.get(0).attributeCount());
  }

  @Test
  void concurrentMutators_loseNoAttributeAndEndOnce() throws Exception {
    Span span = tracer.spanBuilder("shared").startSpan();
    int threads = 4;
    int perThread = 30;
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < perThread; i++) {
          span.setAttribute("t" + id + ".k" + i, (long) i);
          span.setAttribute("shared", (long) i);
        }
        span.end();
      });
      workers.add(w);
      w.start();
    }
    go.countDown();
    for (Thread w : workers) {
      w.join(10_000);
    }
    assertEquals(1, finished.size(), "ended exactly once");
    SpanView v = finished.get(0);
    java.util.Set<String> keys = new java.util.HashSet<>();
    for (int i = 0; i < v.attributeCount(); i++) {
      keys.add(v.attributeKey(i));
    }
    // Attributes set before the span ended are all there, each once; after end none are added.
    assertEquals(v.attributeCount(), keys.size(), "no key twice");
    assertTrue(keys.contains("shared"));
  }

  @Test
  void concurrentSetAttribute_beforeEnd_keepsEveryAttribute() throws Exception {
    Span span = tracer.spanBuilder("shared").startSpan();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      Thread w = new Thread(() -> {
        for (int i = 0; i < 30; i++) {
          span.setAttribute("t" + id + ".k" + i, (long) i);
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(10_000);
    }
    span.end();
    assertEquals(120, finished.get(0).attributeCount());
  }

  @Test
  void manyAttributes_fromTheOwner_keepTheirOrderAndLastValue() throws Exception {
    Span span = tracer.spanBuilder("many").setAttribute("b0", "builder").startSpan();
    for (int i = 1; i < 12; i++) {
      span.setAttribute("k" + i, (long) i);
    }
    span.setAttribute("k2", "again");
    span.setAttribute("b0", true);
    span.end();
    SpanRecord r = encoded(finished.get(0));
    assertEquals(12, r.attributes().size());
    assertEquals(new Attribute("b0", true, false), r.attributes().get(0));
    assertEquals(new Attribute("k2", "again", false), r.attributes().get(2));
    assertEquals(new Attribute("k11", 11L, false), r.attributes().get(11));
  }

  @Test
  void sameKeyFromAnotherThreadThenTheOwner_keepsTheValueSetLast() throws Exception {
    Span span = tracer.spanBuilder("handed over").startSpan();
    span.setAttribute("step", "owner-1");
    span.setAttribute("owner.only", "o");
    Thread other = new Thread(() -> {
      span.setAttribute("step", "other");
      span.setAttribute("other.only", 7L);
    });
    other.start();
    other.join(10_000);
    span.setAttribute("step", "owner-2");
    span.end();
    SpanRecord r = encoded(finished.get(0));
    java.util.Map<String, Object> byKey = new java.util.HashMap<>();
    r.attributes().forEach(a -> byKey.put(a.key(), a.value()));
    assertEquals(3, r.attributes().size(), "no key twice: " + r.attributes());
    assertEquals("owner-2", byKey.get("step"));
    assertEquals("o", byKey.get("owner.only"));
    assertEquals(7L, byKey.get("other.only"));
  }

  @Test
  void endedOnAnotherThread_carriesEveryAttributeTheOwnerSet() throws Exception {
    Span span = tracer.spanBuilder("async").startSpan();
    for (int i = 0; i < 6; i++) {
      span.setAttribute("k" + i, (long) i);
    }
    Thread other = new Thread(() -> {
      span.setAttribute("done.by", "worker");
      span.end();
    });
    other.start();
    other.join(10_000);
    span.setAttribute("late", "ignored");
    SpanRecord r = encoded(finished.get(0));
    assertEquals(7, r.attributes().size(), r.attributes().toString());
    assertEquals(new Attribute("k5", 5L, false), r.attributes().get(5));
    assertEquals(new Attribute("done.by", "worker", false), r.attributes().get(6));
  }

  @Test
  void spanContext_isStableAndMatchesTheWrittenIds() {
    Span span = tracer.spanBuilder("s").startSpan();
    SpanContext sc = span.getSpanContext();
    assertSame(sc, span.getSpanContext());
    span.end();
    SpanView v = finished.get(0);
    assertEquals(sc.getTraceId(), Ids.traceIdHex(v.traceIdHigh(), v.traceIdLow()));
    assertTrue(sc.isSampled());
  }

  @Test
  void samplingFile_switchesTracingOffAndOnWithoutRestart(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sampling.properties");
    Files.writeString(file, "enabled=false\n");
    try (CairnOpenTelemetry watched = Cairn.builder("x").sink(finished::add)
        .samplingConfigFile(file).build()) {
      Tracer t = watched.getTracer("t");
      t.spanBuilder("off").startSpan().end();
      assertTrue(finished.isEmpty(), "switched off by the file");
      Files.writeString(file, "enabled=true\ncomponents.disabled=noisy.*\n");
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5000));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (finished.isEmpty() && System.nanoTime() < deadline) {
        t.spanBuilder("on").startSpan().end();
        Thread.sleep(50);
      }
      assertFalse(finished.isEmpty(), "the changed file switched tracing on");
      int before = finished.size();
      watched.getTracer("noisy.jdbc").spanBuilder("query").startSpan().end();
      assertEquals(before, finished.size(), "component switched off by the file");
    }
  }

  @Test
  void forceFlagInBaggage_samplesARootTheRatioWouldDrop() {
    CairnOpenTelemetry none = Cairn.builder("x").sink(finished::add)
        .samplingConfig(SamplingConfig.builder().ratio(0).build()).build();
    Tracer t = none.getTracer("t");
    t.spanBuilder("dropped").startSpan().end();
    assertTrue(finished.isEmpty());
    Map<String, String> headers = Map.of("baggage", "cairn.force=1");
    Context incoming = none.getPropagators().getTextMapPropagator().extract(Context.root(), headers, GETTER);
    t.spanBuilder("forced").setParent(incoming).startSpan().end();
    assertEquals(1, finished.size());
    assertEquals("forced", finished.get(0).name());
  }

  @Test
  void brokenSink_neverReachesTheApplication() {
    CairnOpenTelemetry broken = Cairn.builder("x").sink(span -> {
      throw new IllegalStateException("sink bug");
    }).build();
    Span span = broken.getTracer("t").spanBuilder("s").startSpan();
    span.end();
    assertFalse(span.isRecording());
  }
}
