package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.internal.OpsHttpServer;
import dev.cairn.core.internal.PrometheusText;
import java.io.IOException;
import java.lang.reflect.Field;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

class MetricsHttpServerTest {
  private static final String AWKWARD_PATH = "/var/log/a \"quoted\" dir\\with\\backslashes/new\nline.cairn";

  private static final MetricsHttpServer.Gauges SOME_GAUGES = out -> {
    out.gauge("cairn_shipper_files_tracked", "Span files being read.", 2);
    out.family("cairn_shipper_file_lag_bytes", "gauge", "Bytes written but not read yet, per file.")
        .sample(10, "file", "/var/log/x.cairn")
        .sample(20, "file", AWKWARD_PATH);
    out.gauge("cairn_shipper_ratio", "A fraction.\nWith a \\ in its help.", 0.25);
  };

  @Test
  void render_isValidExpositionFormat_helpAndTypeOncePerFamily() {
    String text = MetricsHttpServer.render(new ShipperMetrics(), SOME_GAUGES);

    PrometheusParser p = PrometheusParser.parse(text);

    assertTrue(p.families.size() > 20, p.families.keySet().toString());
    for (PrometheusParser.Family f : p.families.values()) {
      assertTrue(f.name().startsWith("cairn_shipper_"), f.name());
      assertTrue(!f.help().isBlank(), f.name() + " has no help");
      assertTrue(!f.samples().isEmpty(), f.name() + " has no samples");
    }
    assertEquals("A fraction.\nWith a \\ in its help.", p.families.get("cairn_shipper_ratio").help());
    assertEquals(Optional.of(0.25), p.value("cairn_shipper_ratio"));
  }

  @Test
  void render_exposesEveryShipperMetricsCounterWithItsValue() throws IllegalAccessException {
    ShipperMetrics m = new ShipperMetrics();
    Map<String, Long> byField = new LinkedHashMap<>();
    long v = 1_000;
    for (Field f : ShipperMetrics.class.getDeclaredFields()) {
      if (f.getType() == LongAdder.class) {
        v += 7;
        ((LongAdder) f.get(m)).add(v);
        byField.put(f.getName(), v);
      }
    }

    PrometheusParser p = PrometheusParser.parse(MetricsHttpServer.render(m, out -> {}));

    List<Double> counterValues = new ArrayList<>();
    p.families.values().stream().filter(f -> f.type().equals("counter"))
        .forEach(f -> f.samples().forEach(s -> counterValues.add(s.value())));
    List<String> missing = new ArrayList<>();
    byField.forEach((field, value) -> {
      if (!counterValues.contains((double) value)) {
        missing.add(field);
      }
    });
    assertEquals(List.of(), missing, "ShipperMetrics counters not rendered at /metrics");
    assertEquals(byField.size(), counterValues.size(), "one sample per counter");
    assertEquals(Optional.of((double) byField.get("fetchRequests")),
        p.value("cairn_shipper_pull_requests_total", "type", "fetch"));
  }

  @Test
  void everyCounterIsDocumentedInShipperConfigMd() throws IOException {
    String doc = java.nio.file.Files.readString(java.nio.file.Path.of("../docs/shipper-config.md"));
    for (MetricsHttpServer.Counter c : MetricsHttpServer.COUNTERS) {
      assertTrue(doc.contains("`" + c.name()), c.name() + " is not in docs/shipper-config.md");
    }
  }

  @Test
  void render_escapesLabelValues() {
    PrometheusParser p = PrometheusParser.parse(MetricsHttpServer.render(new ShipperMetrics(), SOME_GAUGES));

    assertEquals(Optional.of(20.0), p.value("cairn_shipper_file_lag_bytes", "file", AWKWARD_PATH));
    assertEquals(Optional.of(10.0), p.value("cairn_shipper_file_lag_bytes", "file", "/var/log/x.cairn"));
  }

  @Test
  void render_failingGaugesCostOnlyTheGauges() {
    String text = MetricsHttpServer.render(new ShipperMetrics(), out -> {
      out.gauge("cairn_shipper_files_tracked", "x", 1);
      throw new IllegalStateException("journal closed");
    });

    PrometheusParser p = PrometheusParser.parse(text);

    assertTrue(p.families.containsKey("cairn_shipper_read_bytes_total"));
    assertTrue(!p.families.containsKey("cairn_shipper_files_tracked"), "half-written gauges are dropped");
    assertTrue(text.contains("# gauges unavailable: java.lang.IllegalStateException: journal closed"), text);
  }

  @Test
  void prometheusText_refusesBadNamesAndFamiliesWrittenTwice() {
    PrometheusText t = new PrometheusText();
    assertThrows(IllegalArgumentException.class, () -> t.gauge("cairn-shipper", "h", 1));
    assertThrows(IllegalArgumentException.class, () -> t.counter("cairn_shipper_reads", "h", 1));
    assertThrows(IllegalArgumentException.class, () -> t.gauge("cairn_shipper_reads_total", "h", 1));
    t.gauge("cairn_shipper_x", "h", 1);
    assertThrows(IllegalArgumentException.class, () -> t.gauge("cairn_shipper_x", "h", 1));
    assertThrows(IllegalArgumentException.class,
        () -> t.family("cairn_shipper_y", "gauge", "h").sample(1, "__name", "v"));
    assertThrows(IllegalArgumentException.class,
        () -> t.family("cairn_shipper_z", "gauge", "h").sample(1, "file"));
  }

  @Test
  void prometheusText_writesSpecialDoubles() {
    PrometheusText t = new PrometheusText();
    t.family("cairn_shipper_d", "gauge", "h").sample(Double.NaN, "k", "nan")
        .sample(Double.POSITIVE_INFINITY, "k", "inf").sample(Double.NEGATIVE_INFINITY, "k", "ninf")
        .sample(3.0, "k", "whole").sample(1.5e-9, "k", "small");

    String text = t.toString();
    PrometheusParser p = PrometheusParser.parse(text);

    assertTrue(text.contains("{k=\"nan\"} NaN\n") && text.contains("{k=\"inf\"} +Inf\n")
        && text.contains("{k=\"ninf\"} -Inf\n") && text.contains("{k=\"whole\"} 3\n"), text);
    assertEquals(Optional.of(1.5e-9), p.value("cairn_shipper_d", "k", "small"));
  }

  @Test
  void http_servesMetricsHealthAndRefusesOtherMethodsAndPaths() throws Exception {
    ShipperMetrics m = new ShipperMetrics();
    m.bytesRead.add(4242);
    AtomicReference<OpsHttpServer.Health> health = new AtomicReference<>(
        OpsHttpServer.Health.up(facts()));
    OpsHttpServer server = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), m, SOME_GAUGES, () -> {
      OpsHttpServer.Health h = health.get();
      if (h == null) {
        throw new IllegalStateException("journal is closed");
      }
      return h;
    });
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      String base = "http://127.0.0.1:" + server.address().getPort();

      HttpResponse<String> metrics = get(client, base + "/metrics", "GET");
      assertEquals(200, metrics.statusCode());
      assertEquals("text/plain; version=0.0.4; charset=utf-8", metrics.headers().firstValue("Content-Type").orElse(""));
      assertEquals(Optional.of(4242.0), PrometheusParser.parse(metrics.body()).value("cairn_shipper_read_bytes_total"));

      HttpResponse<String> up = get(client, base + "/health", "GET");
      assertEquals(200, up.statusCode());
      assertEquals("application/json", up.headers().firstValue("Content-Type").orElse(""));
      assertEquals("{\"status\":\"UP\",\"name\":\"host-1\",\"lastSeq\":17,\"servingFrom\":\"PRIMARY\","
          + "\"ingestAlive\":true}\n", up.body());

      health.set(OpsHttpServer.Health.down("ingest thread died: java.lang.OutOfMemoryError", facts()));
      HttpResponse<String> down = get(client, base + "/health", "GET");
      assertEquals(503, down.statusCode());
      assertTrue(down.body().startsWith("{\"status\":\"DOWN\",\"reason\":\"ingest thread died: "
          + "java.lang.OutOfMemoryError\",\"name\":\"host-1\""), down.body());

      health.set(null);
      HttpResponse<String> failing = get(client, base + "/health", "GET");
      assertEquals(503, failing.statusCode());
      assertTrue(failing.body().contains("journal is closed"), failing.body());

      assertEquals(405, get(client, base + "/metrics", "POST").statusCode());
      assertEquals(404, get(client, base + "/metricsx", "GET").statusCode());
      HttpResponse<String> head = get(client, base + "/metrics", "HEAD");
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
    } finally {
      server.close();
    }
    assertThrows(ConnectException.class, () -> get(client, "http://127.0.0.1:" + server.address().getPort() + "/health", "GET"));
  }

  @Test
  void http_addressInUse_failsNamingTheAddress() throws IOException {
    OpsHttpServer first = MetricsHttpServer.start(new InetSocketAddress("127.0.0.1", 0), new ShipperMetrics(),
        out -> {}, () -> OpsHttpServer.Health.up(Map.of()));
    try {
      IOException e = assertThrows(IOException.class, () -> MetricsHttpServer.start(first.address(),
          new ShipperMetrics(), out -> {}, () -> OpsHttpServer.Health.up(Map.of())));
      assertTrue(e.getMessage().contains("127.0.0.1:" + first.address().getPort()), e.getMessage());
    } finally {
      first.close();
    }
  }

  @Test
  void healthJson_escapesStrings() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("path", "a\"b\\c\nd\u0001");
    facts.put("ratio", 0.5);

    assertEquals("{\"status\":\"UP\",\"path\":\"a\\\"b\\\\c\\nd\\u0001\",\"ratio\":0.5}\n",
        OpsHttpServer.healthJson(OpsHttpServer.Health.up(facts)));
  }

  private static Map<String, Object> facts() {
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("name", "host-1");
    f.put("lastSeq", 17L);
    f.put("servingFrom", "PRIMARY");
    f.put("ingestAlive", true);
    return f;
  }

  private static HttpResponse<String> get(HttpClient client, String url, String method)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
