package dev.cairn.ui;

import static dev.cairn.ui.UiTestData.MS;
import static dev.cairn.ui.UiTestData.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.store.EmbeddedSpanStore;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real query server on a free loopback port over a real embedded store holding
 * {@link UiTestData}: the Jaeger API compared field by field with Jaeger's JSON model
 * (model/json/model.go), the error envelope, escaping, and the pages' paths.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueryServerIT {
  /** A range around the test data, µs. */
  static final String RANGE = "&start=" + (T0 - 3_600_000 * MS) + "&end=" + (T0 + 3_600_000 * MS);

  @TempDir static Path dir;
  static EmbeddedSpanStore store;
  static QueryServer server;
  static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    store = EmbeddedSpanStore.open(dir.resolve("store"));
    UiTestData.write(store.writer());
    server = QueryServer.builder(store.reader())
        .bind(new java.net.InetSocketAddress("127.0.0.1", 0))
        .status(() -> List.of(new ComponentStatus("store", ComponentStatus.UP, Map.of("traces", 4L))))
        .start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (store != null) {
      store.close();
    }
  }

  static HttpResponse<String> get(String path) throws Exception {
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.address().getPort() + path))
        .timeout(Duration.ofSeconds(10)).GET().build();
    return http.send(r, HttpResponse.BodyHandlers.ofString());
  }

  /** The envelope of a 200 answer, its fields checked; returns data. */
  static Object data(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertEquals(200, r.statusCode(), path + " → " + r.body());
    assertEquals("application/json; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
    Map<String, Object> env = JsonParser.object(r.body());
    assertEquals(List.of("data", "total", "limit", "offset", "errors"), List.copyOf(env.keySet()));
    assertInstanceOf(Long.class, env.get("total"));
    assertEquals(0L, env.get("limit"));
    assertEquals(0L, env.get("offset"));
    assertNull(env.get("errors"));
    return env.get("data");
  }

  /** The single error of a 4xx answer, with the envelope checked. */
  static String error(String path, int status) throws Exception {
    HttpResponse<String> r = get(path);
    assertEquals(status, r.statusCode(), path + " → " + r.body());
    Map<String, Object> env = JsonParser.object(r.body());
    assertEquals(List.of("data", "total", "limit", "offset", "errors"), List.copyOf(env.keySet()));
    assertNull(env.get("data"));
    assertEquals(0L, env.get("total"));
    List<?> errors = (List<?>) env.get("errors");
    assertEquals(1, errors.size());
    @SuppressWarnings("unchecked")
    Map<String, Object> e = (Map<String, Object>) errors.get(0);
    assertEquals(Set.of("code", "msg"), e.keySet());
    assertEquals((long) status, e.get("code"));
    return (String) e.get("msg");
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object o) {
    return (List<Object>) o;
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void services_listsEveryServiceSorted() throws Exception {
    assertEquals(List.of("checkout", "frontend", "orders", "payments"), data("/api/services"));
  }

  @Test
  void serviceOperations_areDistinctNames() throws Exception {
    assertEquals(List.of(UiTestData.ATTACK, "GET /cart", "GET /health"),
        data("/api/services/frontend/operations"));
    assertEquals(List.of(), data("/api/services/nobody/operations"));
  }

  @Test
  void operations_carryLowercaseSpanKind_andFilterByIt() throws Exception {
    List<Object> ops = list(data("/api/operations?service=frontend"));
    assertEquals(List.of(
        Map.of("name", UiTestData.ATTACK, "spanKind", "client"),
        Map.of("name", "GET /cart", "spanKind", "server"),
        Map.of("name", "GET /health", "spanKind", "server")), ops);
    assertEquals(List.of(Map.of("name", UiTestData.ATTACK, "spanKind", "client")),
        data("/api/operations?service=frontend&spanKind=client"));
    assertTrue(error("/api/operations?service=frontend&spanKind=sideways", 400).contains("sideways"));
    assertTrue(error("/api/operations", 400).contains("'service'"));
  }

  @Test
  void trace_matchesJaegerModelFieldByField() throws Exception {
    List<Object> traces = list(data("/api/traces/" + UiTestData.SHOP.hex()));
    assertEquals(1, traces.size());
    Map<String, Object> t = map(traces.get(0));
    assertEquals(List.of("traceID", "spans", "processes", "warnings"), List.copyOf(t.keySet()));
    assertEquals("6b01e4cb452911b13ac98379bc1e6694", t.get("traceID"));
    assertEquals(List.of(), t.get("warnings"));
    Map<String, Object> processes = map(t.get("processes"));
    assertEquals(Map.of(
        "p1", Map.of("serviceName", "frontend", "tags", List.of()),
        "p2", Map.of("serviceName", "checkout", "tags", List.of()),
        "p3", Map.of("serviceName", "payments", "tags", List.of())), processes);

    List<Object> spans = list(t.get("spans"));
    assertEquals(5, spans.size());
    Map<String, Object> root = map(spans.get(0));
    assertEquals(List.of("traceID", "spanID", "flags", "operationName", "references", "startTime", "duration",
        "tags", "logs", "processID", "warnings"), List.copyOf(root.keySet()));
    assertEquals("6b01e4cb452911b13ac98379bc1e6694", root.get("traceID"));
    assertEquals("0000000000000a01", root.get("spanID"));
    assertEquals(1L, root.get("flags"));
    assertEquals("GET /cart", root.get("operationName"));
    assertEquals(List.of(), root.get("references"));
    assertEquals(T0, root.get("startTime"));          // µs
    assertEquals(120_000L, root.get("duration"));     // µs
    assertEquals(List.of(
        kv("http.route", "string", "/cart"),
        kv("http.status_code", "int64", 200L),
        kv("sampled.ratio", "float64", 0.25),
        kv("cache.hit", "bool", true),
        kv("items", "string", "[\"a\",\"b\"]"),
        kv("order.id", "string", "2135897412389123"),
        kv("otel.scope.name", "string", "cairn.http"),
        kv("otel.scope.version", "string", "1.2.0"),
        kv("span.kind", "string", "server"),
        kv("otel.status_code", "string", "OK")), root.get("tags"));
    assertEquals(List.of(), root.get("logs"));
    assertEquals("p1", root.get("processID"));
    assertEquals(List.of(), root.get("warnings"));

    Map<String, Object> checkout = map(spans.get(2));
    assertEquals(List.of(Map.of("refType", "CHILD_OF", "traceID", UiTestData.SHOP.hex(),
        "spanID", "0000000000000a02")), checkout.get("references"));
    assertEquals("p2", checkout.get("processID"));
    assertEquals(List.of(Map.of("timestamp", T0 + 20 * MS, "fields", List.of(
        kv("event", "string", "retry"), kv("attempt", "int64", 2L), kv("reason", "string", "timeout")))),
        checkout.get("logs"));

    Map<String, Object> payments = map(spans.get(3));
    assertEquals("charge", payments.get("operationName"));
    assertEquals(List.of(
        kv("span.kind", "string", "internal"),
        kv("otel.status_code", "string", "ERROR"),
        kv("error", "bool", true),
        kv("otel.status_description", "string", "card declined")), payments.get("tags"));

    Map<String, Object> consumer = map(spans.get(4));
    assertEquals(List.of(
        Map.of("refType", "CHILD_OF", "traceID", UiTestData.SHOP.hex(), "spanID", "0000000000000a03"),
        Map.of("refType", "FOLLOWS_FROM", "traceID", UiTestData.LINKED.hex(), "spanID", "0000000000000b01")),
        consumer.get("references"));
  }

  static Map<String, Object> kv(String key, String type, Object value) {
    return Map.of("key", key, "type", type, "value", value);
  }

  @Test
  void trace_of64BitId_printsSixteenHexCharacters_andIsFoundByEitherForm() throws Exception {
    Map<String, Object> t = map(list(data("/api/traces/00000000075bcd15")).get(0));
    assertEquals("00000000075bcd15", t.get("traceID"));
    assertEquals("00000000075bcd15", map(list(t.get("spans")).get(0)).get("traceID"));
    assertEquals(t, map(list(data("/api/traces/000000000000000000000000075bcd15")).get(0)));
  }

  @Test
  void partialTrace_warnsAboutTheMissingParent() throws Exception {
    Map<String, Object> t = map(list(data("/api/traces/" + UiTestData.PARTIAL.hex())).get(0));
    assertEquals(List.of("parent 0000000000000c01 of span 0000000000000c02 never arrived"), t.get("warnings"));
    Map<String, Object> span = map(list(t.get("spans")).get(0));
    assertEquals(List.of("parent span 0000000000000c01 is not in the trace"), span.get("warnings"));
    assertEquals(List.of(Map.of("refType", "CHILD_OF", "traceID", UiTestData.PARTIAL.hex(),
        "spanID", "0000000000000c01")), span.get("references"));
  }

  @Test
  void trace_unknown_is404_withTheErrorEnvelope() throws Exception {
    assertEquals("trace not found", error("/api/traces/00000000000000000000000000abcdef", 404));
  }

  @Test
  void trace_malformedId_is400() throws Exception {
    assertTrue(error("/api/traces/xyz", 400).contains("trace ID"));
    assertTrue(error("/api/traces/" + "a".repeat(33), 400).contains("trace ID"));
    assertTrue(error("/api/traces/" + "0".repeat(32), 400).contains("zeros"));
    assertTrue(error("/api/traces/" + UiTestData.SHOP.hex() + "?start=soon", 400).contains("'start'"));
  }

  @Test
  void search_findsTracesOfAServiceNewestFirst() throws Exception {
    List<Object> traces = list(data("/api/traces?service=frontend" + RANGE));
    assertEquals(List.of("00000000075bcd15", UiTestData.SHOP.hex()),
        traces.stream().map(t -> map(t).get("traceID")).toList());
  }

  @Test
  void search_filtersByOperationTagsDurationAndLimit() throws Exception {
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/traces?service=frontend&operation="
        + enc("GET /cart") + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/traces?service=frontend&tag="
        + enc("order.id:2135897412389123") + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/traces?service=frontend&tags="
        + enc("{\"http.route\":\"/cart\"}") + RANGE));
    assertEquals(List.of(), ids("/api/traces?service=frontend&tag=" + enc("order.id:nope") + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/traces?service=frontend&minDuration=100ms" + RANGE));
    assertEquals(List.of("00000000075bcd15"), ids("/api/traces?service=frontend&maxDuration=0.01s" + RANGE));
    assertEquals(List.of("00000000075bcd15"), ids("/api/traces?service=frontend&limit=1" + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/traces?service=frontend&tag=error:true" + RANGE));
    assertEquals(List.of(UiTestData.PARTIAL.hex(), UiTestData.SHOP.hex()),
        ids("/api/traces?traceID=" + UiTestData.PARTIAL.hex() + "&traceID=" + UiTestData.SHOP.hex()));
  }

  static List<Object> ids(String path) throws Exception {
    return list(data(path)).stream().map(t -> map(t).get("traceID")).toList();
  }

  @Test
  void search_badInput_is400NamingTheParameter() throws Exception {
    assertTrue(error("/api/traces?" + RANGE.substring(1), 400).contains("'service'"));
    assertTrue(error("/api/traces?service=frontend&minDuration=fast" + RANGE, 400).contains("'minDuration'"));
    assertTrue(error("/api/traces?service=frontend&maxDuration=10parsecs" + RANGE, 400).contains("'maxDuration'"));
    assertTrue(error("/api/traces?service=frontend&minDuration=2s&maxDuration=1s" + RANGE, 400)
        .contains("'maxDuration'"));
    assertTrue(error("/api/traces?service=frontend&limit=0" + RANGE, 400).contains("'limit'"));
    assertTrue(error("/api/traces?service=frontend&limit=100000000" + RANGE, 400).contains("'limit'"));
    assertTrue(error("/api/traces?service=frontend&limit=many" + RANGE, 400).contains("'limit'"));
    assertTrue(error("/api/traces?service=frontend&start=20&end=10", 400).contains("'end'"));
    assertTrue(error("/api/traces?service=frontend&start=0&end=" + T0, 400).contains("days"));
    assertTrue(error("/api/traces?service=frontend&tags=" + enc("{\"a\":1}") + RANGE, 400).contains("'tags'"));
    assertTrue(error("/api/traces?service=frontend&tags=" + enc("{not json") + RANGE, 400).contains("'tags'"));
    assertTrue(error("/api/traces?service=frontend&tag=novalue" + RANGE, 400).contains("'tag'"));
    assertTrue(error("/api/traces?traceID=nothex", 400).contains("traceID"));
  }

  @Test
  void dependencies_inMilliseconds() throws Exception {
    String q = "?endTs=" + (T0 / 1000 + 3_600_000) + "&lookback=" + 7_200_000;
    assertEquals(List.of(
        Map.of("parent", "checkout", "child", "payments", "callCount", 1L),
        Map.of("parent", "frontend", "child", "checkout", "callCount", 1L)), data("/api/dependencies" + q));
    assertEquals(List.of(), data("/api/dependencies?endTs=" + (T0 / 1000 - 3_600_000) + "&lookback=60000"));
    assertTrue(error("/api/dependencies?endTs=yesterday", 400).contains("'endTs'"));
    assertTrue(error("/api/dependencies?lookback=" + 40L * 24 * 3600 * 1000, 400).contains("'lookback'"));
  }

  @Test
  void spanText_comesBackAsEscapedJson_neverRawMarkup() throws Exception {
    HttpResponse<String> r = get("/api/traces/" + UiTestData.SHOP.hex());
    assertFalse(r.body().contains("<"), "no raw '<' in " + r.body());
    assertFalse(r.body().contains(">"));
    assertTrue(r.body().contains("\\u003c/script\\u003e\\u003cimg src=x onerror=alert(1)\\u003e"));
    Map<String, Object> client = map(list(map(list(JsonParser.object(r.body()).get("data")).get(0)).get("spans")).get(1));
    assertEquals(UiTestData.ATTACK, client.get("operationName"));
    assertEquals("nosniff", r.headers().firstValue("x-content-type-options").orElse(""));
  }

  @Test
  void unknownApiPath_is404Envelope_andPostIs405() throws Exception {
    assertTrue(error("/api/nothing", 404).contains("/api/nothing"));
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.address().getPort() + "/api/services"))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
    assertEquals("GET, HEAD", r.headers().firstValue("allow").orElse(""));
    assertEquals(405L, map(list(JsonParser.object(r.body()).get("errors")).get(0)).get("code"));
  }

  @Test
  void staticFiles_areServedWithTheirContentType() throws Exception {
    HttpResponse<String> r = get("/static/test-fixture.css");
    assertEquals(200, r.statusCode());
    assertEquals("text/css; charset=utf-8", r.headers().firstValue("content-type").orElse(""));
    assertTrue(r.body().contains("body { margin: 0; }"));
    assertEquals(404, get("/static/none.js").statusCode());
    assertEquals(404, get("/static/../QueryServer.class").statusCode());
    assertEquals(404, get("/static/%2e%2e/QueryServer.class").statusCode());
  }

  @Test
  void healthAndMetrics() throws Exception {
    HttpResponse<String> h = get("/health");
    assertEquals(200, h.statusCode());
    assertEquals("up", JsonParser.object(h.body()).get("status"));
    get("/api/services");
    HttpResponse<String> m = get("/metrics");
    assertEquals(200, m.statusCode());
    assertTrue(m.body().contains("cairn_ui_requests_total{route=\"services\",code=\"200\"}"), m.body());
  }

  // ---- Cairn API

  @Test
  void cairnTrace_addsSummaryLogLinesAndSpanFields() throws Exception {
    Map<String, Object> t = map(data("/api/cairn/traces/" + UiTestData.SHOP.hex()));
    assertEquals(List.of("traceID", "spans", "processes", "warnings", "summary", "logLines"),
        List.copyOf(t.keySet()));
    assertEquals(Map.of("traceID", UiTestData.SHOP.hex(), "rootService", "frontend", "rootOperation", "GET /cart",
        "startTime", T0, "duration", 120_000L, "spanCount", 5L,
        "services", List.of("checkout", "frontend", "payments"), "error", true, "complete", true,
        "warnings", List.of()), t.get("summary"));
    assertEquals(List.of(
        Map.of("timestamp", T0 + 12 * MS, "spanID", "0000000000000a03", "level", "INFO",
            "logger", "dev.shop.Checkout", "thread", "http-1", "message", "checkout started <b>bold</b>", "thrown", ""),
        Map.of("timestamp", T0 + 60 * MS, "spanID", "0000000000000a04", "level", "ERROR",
            "logger", "dev.shop.Payments", "thread", "http-1", "message", "card declined",
            "thrown", "java.lang.IllegalStateException: declined\n\tat dev.shop.Payments.charge")),
        t.get("logLines"));
    List<Object> spans = list(t.get("spans"));
    Map<String, Object> root = map(spans.get(0));
    assertEquals("frontend", root.get("serviceName"));
    assertEquals("SERVER", root.get("kind"));
    assertEquals(false, root.get("error"));
    assertEquals("", root.get("statusMessage"));
    assertEquals("", root.get("parentSpanID"));
    Map<String, Object> payments = map(spans.get(3));
    assertEquals("INTERNAL", payments.get("kind"));
    assertEquals(true, payments.get("error"));
    assertEquals("card declined", payments.get("statusMessage"));
    assertEquals("0000000000000a03", payments.get("parentSpanID"));
    assertEquals("CONSUMER", map(spans.get(4)).get("kind"));
    assertEquals("trace not found", error("/api/cairn/traces/0123456789abcdef", 404));
    assertTrue(error("/api/cairn/traces/0123-bad", 400).contains("trace ID"));
  }

  @Test
  void cairnTrace_partialIsMarkedIncompleteWithWarnings() throws Exception {
    Map<String, Object> summary = map(map(data("/api/cairn/traces/" + UiTestData.PARTIAL.hex())).get("summary"));
    assertEquals(false, summary.get("complete"));
    assertEquals("", summary.get("rootService"));
    assertEquals(List.of("parent 0000000000000c01 of span 0000000000000c02 never arrived"), summary.get("warnings"));
  }

  @Test
  void cairnSearch_returnsSummariesNewestFirst_withFilters() throws Exception {
    assertEquals(List.of("00000000075bcd15", UiTestData.PARTIAL.hex(), UiTestData.SHOP.hex(), UiTestData.LINKED.hex()),
        ids("/api/cairn/search?" + RANGE.substring(1)));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/search?errorOnly=true" + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/search?service=payments" + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/search?tag=" + enc("http.route=/cart") + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/search?tag=" + enc("http.route:/cart") + RANGE));
    assertEquals(List.of(UiTestData.PARTIAL.hex(), UiTestData.SHOP.hex()),
        ids("/api/cairn/search?minDuration=25000" + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/search?minDuration=100ms" + RANGE));
    assertEquals(List.of("00000000075bcd15"), ids("/api/cairn/search?limit=1" + RANGE));
    Map<String, Object> first = map(list(data("/api/cairn/search?limit=1" + RANGE)).get(0));
    assertEquals(List.of("traceID", "rootService", "rootOperation", "startTime", "duration", "spanCount", "services",
        "error", "complete", "warnings"), List.copyOf(first.keySet()));
    assertTrue(error("/api/cairn/search?limit=1001" + RANGE, 400).contains("'limit'"));
    assertTrue(error("/api/cairn/search?errorOnly=maybe" + RANGE, 400).contains("'errorOnly'"));
    assertTrue(error("/api/cairn/search?minDuration=-5ms" + RANGE, 400).contains("'minDuration'"));
  }

  @Test
  void cairnLookup_findsTracesByBusinessKey() throws Exception {
    assertEquals(List.of(UiTestData.SHOP.hex()),
        ids("/api/cairn/lookup?key=order.id&value=2135897412389123" + RANGE));
    assertEquals(List.of(), ids("/api/cairn/lookup?key=order.id&value=1" + RANGE));
    assertEquals(List.of(UiTestData.SHOP.hex()), ids("/api/cairn/lookup?key=cache.hit&value=true" + RANGE));
    assertTrue(error("/api/cairn/lookup?value=1", 400).contains("'key'"));
    assertTrue(error("/api/cairn/lookup?key=order.id", 400).contains("'value'"));
  }

  @Test
  void cairnDependencies_countErrors() throws Exception {
    String q = "?endTs=" + (T0 / 1000 + 3_600_000) + "&lookback=" + 7_200_000;
    assertEquals(List.of(
        Map.of("parent", "checkout", "child", "payments", "callCount", 1L, "errorCount", 1L),
        Map.of("parent", "frontend", "child", "checkout", "callCount", 1L, "errorCount", 0L)),
        data("/api/cairn/dependencies" + q));
  }

  @Test
  void cairnAggregates_onePerOperationAndMinute() throws Exception {
    List<Object> rows = list(data("/api/cairn/services/checkout/aggregates?" + RANGE.substring(1)));
    assertEquals(2, rows.size());
    Map<String, Object> handle = map(rows.get(1));
    assertEquals(List.of("operation", "minute", "count", "errors", "p50", "p95", "p99", "max"),
        List.copyOf(handle.keySet()));
    assertEquals("handle order", handle.get("operation"));
    assertEquals(T0, handle.get("minute"));
    assertEquals(1L, handle.get("count"));
    assertEquals(0L, handle.get("errors"));
    assertEquals(15_000L, handle.get("max"));
    long p99 = (Long) handle.get("p99");
    assertTrue(Math.abs(p99 - 15_000) <= 15_000 / 32, "p99 " + p99);
    assertEquals("POST /checkout", map(rows.get(0)).get("operation"));
    assertEquals(2L, map(rows.get(0)).get("count")); // the shop's and the partial trace's
    assertEquals(List.of(map(rows.get(0))), data("/api/cairn/services/checkout/aggregates?operation="
        + enc("POST /checkout") + RANGE));
    assertTrue(error("/api/cairn/services/checkout/aggregates?start=5&end=4", 400).contains("'end'"));
  }

  @Test
  void cairnServiceSummary_perOperation_slowestP99First() throws Exception {
    List<Object> rows = list(data("/api/cairn/services/checkout/summary?" + RANGE.substring(1)));
    assertEquals(2, rows.size());
    Map<String, Object> slowest = map(rows.get(0));
    assertEquals(List.of("operation", "spanKind", "count", "errors", "errorRate", "ratePerSecond", "p50", "p95",
        "p99", "max"), List.copyOf(slowest.keySet()));
    assertEquals("POST /checkout", slowest.get("operation"));
    assertEquals("SERVER", slowest.get("spanKind"));
    assertEquals(2L, slowest.get("count"));
    assertEquals(0L, slowest.get("errors"));
    assertEquals(90_000L, slowest.get("max"));
    assertEquals(2 / 7200.0, ((Number) slowest.get("ratePerSecond")).doubleValue(), 1e-9);
    assertEquals("handle order", map(rows.get(1)).get("operation"));
    Map<String, Object> payments = map(list(data("/api/cairn/services/payments/summary?" + RANGE.substring(1))).get(0));
    assertEquals(1.0, ((Number) payments.get("errorRate")).doubleValue());
  }

  @Test
  void cairnStatus_listsTheSourcesComponents() throws Exception {
    assertEquals(Map.of("components", List.of(Map.of("name", "store", "status", "up", "facts", Map.of("traces", 4L)))),
        data("/api/cairn/status"));
  }
}
