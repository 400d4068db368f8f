package dev.cairn.bench.format;

import dev.cairn.Cairn;
import dev.cairn.bench.CountingExporter;
import dev.cairn.core.model.SpanView;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The same typical HTTP server spans (8 attributes: method, route, path with an ID, status code,
 * scheme, client address, user agent, server address; a span every 0-2 ms lasting 0.2-50 ms) as
 * each system under comparison holds them before encoding: Cairn's finished spans (made by its
 * tracer, so with its time-prefixed trace IDs) and the OpenTelemetry SDK's {@link SpanData} for
 * the same calls with the same IDs and times. Seeded: every run encodes the same spans. They are
 * made the way trace-core's {@code SpanBytesTest} makes them, on purpose, so the bytes per span
 * here and the figure that test guards agree.
 */
final class SpanCorpus {
  static final String SERVICE = "checkout";
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};
  private static final String[] AGENTS = {"Mozilla/5.0 (X11; Linux x86_64)", "okhttp/4.12.0",
      "Java-http-client/17.0.15", "curl/8.5.0"};

  final List<SpanView> cairn;
  final List<SpanData> otel;

  private SpanCorpus(List<SpanView> cairn, List<SpanData> otel) {
    this.cairn = cairn;
    this.otel = otel;
  }

  static SpanCorpus generate(int n, long seed) {
    List<SpanView> cairnSpans = new ArrayList<>(n);
    Tracer cairn = Cairn.builder(SERVICE).sink(s -> cairnSpans.add(s)).build()
        .getTracer("io.opentelemetry.java-http-server", "2.10.0");
    List<SpanData> otelSpans = new ArrayList<>(n);
    Random random = new Random(seed);
    long clockMicros = System.currentTimeMillis() * 1000;
    for (int i = 0; i < n; i++) {
      clockMicros += random.nextInt(2_000);
      String method = METHODS[random.nextInt(METHODS.length)];
      String route = ROUTES[random.nextInt(ROUTES.length)];
      long status = random.nextInt(50) == 0 ? 500 : 200;
      String path = route.replace("{id}", Integer.toString(random.nextInt(100_000)));
      String client = "10.0." + random.nextInt(4) + "." + random.nextInt(256);
      String agent = AGENTS[random.nextInt(AGENTS.length)];
      long endMicros = clockMicros + 200 + random.nextInt(50_000);
      Span span = cairn.spanBuilder(method + " " + route).setSpanKind(SpanKind.SERVER)
          .setStartTimestamp(clockMicros, TimeUnit.MICROSECONDS).startSpan();
      span.setAllAttributes(attributes(method, route, path, status, client, agent));
      if (status == 500) {
        span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
      }
      span.end(endMicros, TimeUnit.MICROSECONDS);
    }
    // The SDK's SpanData for the same spans, with Cairn's IDs: an IdGenerator replaying them.
    Replay ids = new Replay(cairnSpans);
    CountingExporter capture = new CountingExporter(true);
    try (SdkTracerProvider sdk = SdkTracerProvider.builder()
        .setResource(Resource.create(Attributes.of(
            io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), SERVICE)))
        .setIdGenerator(ids)
        .addSpanProcessor(SimpleSpanProcessor.create(capture))
        .build()) {
      Tracer otel = sdk.get("io.opentelemetry.java-http-server", "2.10.0");
      for (SpanView v : cairnSpans) {
        Span span = otel.spanBuilder(v.name()).setSpanKind(SpanKind.SERVER).setNoParent()
            .setStartTimestamp(v.startMicros(), TimeUnit.MICROSECONDS).startSpan();
        AttributesBuilder b = Attributes.builder();
        for (int a = 0; a < v.attributeCount(); a++) {
          Object value = v.attributeValue(a);
          if (value instanceof Long l) {
            b.put(v.attributeKey(a), l);
          } else {
            b.put(v.attributeKey(a), String.valueOf(value));
          }
        }
        span.setAllAttributes(b.build());
        if (v.status() == dev.cairn.core.model.StatusCode.ERROR) {
          span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR);
        }
        span.end(v.startMicros() + v.durationMicros(), TimeUnit.MICROSECONDS);
      }
    }
    otelSpans.addAll(capture.kept());
    if (otelSpans.size() != n || cairnSpans.size() != n) {
      throw new IllegalStateException("corpus: " + cairnSpans.size() + " Cairn spans, "
          + otelSpans.size() + " SDK spans, expected " + n);
    }
    return new SpanCorpus(cairnSpans, otelSpans);
  }

  private static Attributes attributes(String method, String route, String path, long status,
      String client, String agent) {
    return Attributes.builder()
        .put("http.request.method", method)
        .put("http.route", route)
        .put("url.path", path)
        .put("http.response.status_code", status)
        .put("url.scheme", "http")
        .put("client.address", client)
        .put("user_agent.original", agent)
        .put("server.address", "checkout.internal")
        .build();
  }

  /** Hands out the IDs of Cairn's spans in order, so both corpora carry the same IDs. */
  private static final class Replay implements io.opentelemetry.sdk.trace.IdGenerator {
    private final List<SpanView> spans;
    private int nextTrace;
    private int nextSpan;

    Replay(List<SpanView> spans) {
      this.spans = spans;
    }

    @Override
    public String generateSpanId() {
      return dev.cairn.core.model.Ids.spanIdHex(spans.get(nextSpan++).spanId());
    }

    @Override
    public String generateTraceId() {
      SpanView v = spans.get(nextTrace++);
      return dev.cairn.core.model.Ids.traceIdHex(v.traceIdHigh(), v.traceIdLow());
    }
  }
}
