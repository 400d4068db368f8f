package dev.cairn.launcher;

import static dev.cairn.launcher.CairnProcess.data;
import static dev.cairn.launcher.CairnProcess.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn demo} as a user runs it: a process of its own with four service JVMs under it. Within
 * 90 s the UI's API answers complete traces through every service, with the calls between them
 * in the right order, the services' log lines, the business key, dependency links and per-minute
 * aggregates. SIGTERM stops the demo with every service; so does kill -9, through the services'
 * own watch on their parent.
 */
class DemoIT {
  static final long TRACE_TIMEOUT_SECONDS = 90;

  @TempDir Path tmp;

  @Test
  @SuppressWarnings("unchecked")
  void showsCompleteTracesThroughEveryService_andSigtermStopsEveryProcess() throws Exception {
    try (CairnProcess demo = CairnProcess.start(tmp.resolve("out"), "demo",
        "--dir", tmp.resolve("demo").toString(), "--ui", "127.0.0.1:0", "--rate", "20")) {
      String base = demo.awaitUiUrl(60);
      List<ProcessHandle> services = demo.process.descendants().toList();

      Map<String, Object> summary = demo.await(TRACE_TIMEOUT_SECONDS, "a complete trace", () -> {
        List<Map<String, Object>> found = data(base + "api/cairn/search?service=gateway&limit=50");
        return found == null ? null : found.stream()
            .filter(t -> Boolean.TRUE.equals(t.get("complete"))
                && ((List<?>) t.get("services")).containsAll(DemoShop.SERVICES))
            .findFirst().orElse(null);
      });
      assertEquals(4, services.size(), "one JVM per service: " + services);

      Map<String, Object> trace = CairnProcess.getJson(base + "api/cairn/traces/"
          + summary.get("traceID"));
      String order = assertCallsFlowThroughTheShop(trace);
      List<Map<String, Object>> byOrder = data(base + "api/cairn/lookup?key="
          + q(DemoShop.ORDER_ID) + "&value=" + q(order));
      assertTrue(byOrder != null && byOrder.stream()
          .anyMatch(t -> t.get("traceID").equals(summary.get("traceID"))), "lookup by order "
          + order + ": " + byOrder);

      // A declined payment: the error reaches the gateway's trace.
      assertFalse(demo.await(30, "a failed order", () -> {
        List<Map<String, Object>> failed = data(base
            + "api/cairn/search?service=gateway&errorOnly=true&limit=5");
        return failed == null || failed.isEmpty() ? null : failed;
      }).isEmpty());

      long nowMillis = System.currentTimeMillis();
      List<Map<String, Object>> links = demo.await(30, "dependency links", () -> {
        List<Map<String, Object>> l = data(base + "api/dependencies?endTs=" + nowMillis
            + "&lookback=3600000");
        Set<String> pairs = l == null ? Set.of() : l.stream()
            .map(d -> d.get("parent") + "->" + d.get("child")).collect(Collectors.toSet());
        return pairs.containsAll(Set.of("gateway->orders", "orders->inventory",
            "orders->payments")) ? l : null;
      });
      assertFalse(links.isEmpty());

      long nowMicros = System.currentTimeMillis() * 1000;
      List<Map<String, Object>> minutes = data(base + "api/cairn/services/orders/aggregates?start="
          + (nowMicros - 3_600_000_000L) + "&end=" + (nowMicros + 60_000_000L));
      assertTrue(minutes != null && minutes.stream()
          .anyMatch(m -> "POST /orders".equals(m.get("operation"))
              && ((Number) m.get("count")).longValue() > 0), String.valueOf(minutes));

      List<Map<String, Object>> status = (List<Map<String, Object>>) ((Map<String, Object>)
          CairnProcess.getJson(base + "api/cairn/status").get("data")).get("components");
      Map<String, Object> byName = new HashMap<>();
      status.forEach(c -> byName.put((String) c.get("name"), c.get("status")));
      assertEquals(Map.of("shipper", "up", "puller", "up", "store", "up"), byName);

      demo.process.destroy(); // SIGTERM
      assertTrue(demo.process.waitFor(60, TimeUnit.SECONDS), "the demo did not stop in 60 s");
      assertEquals(143, demo.process.exitValue(), demo.stderr());
      for (ProcessHandle s : services) {
        assertFalse(s.isAlive(), "service process " + s.pid() + " outlived the demo");
      }
    }
  }

  @Test
  void killMinus9_leavesNoServiceBehind() throws Exception {
    try (CairnProcess demo = CairnProcess.start(tmp.resolve("out"), "demo",
        "--dir", tmp.resolve("demo").toString(), "--ui", "127.0.0.1:0")) {
      demo.awaitUiUrl(60);
      List<ProcessHandle> services = demo.process.descendants().toList();
      assertEquals(4, services.size(), String.valueOf(services));

      demo.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no hook runs

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (services.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      List<Long> alive = services.stream().filter(ProcessHandle::isAlive)
          .map(ProcessHandle::pid).toList();
      services.forEach(ProcessHandle::destroyForcibly);
      assertEquals(List.of(), alive, "services still running 20 s after kill -9 of the demo");
    }
  }

  /**
   * The trace holds the gateway's SERVER span as its root, orders' SERVER span under a gateway
   * CLIENT span, inventory's and payments' under orders' CLIENT spans, a database span, the order
   * number as a tag and the services' log lines.
   *
   * @return the order number
   */
  @SuppressWarnings("unchecked")
  private static String assertCallsFlowThroughTheShop(Map<String, Object> envelope) {
    Map<String, Object> trace = (Map<String, Object>) envelope.get("data");
    List<Map<String, Object>> spans = (List<Map<String, Object>>) trace.get("spans");
    Map<String, Map<String, Object>> byId = new HashMap<>();
    spans.forEach(s -> byId.put((String) s.get("spanID"), s));
    Set<String> calls = new HashSet<>();
    boolean database = false;
    String order = null;
    for (Map<String, Object> s : spans) {
      Map<String, Object> parent = byId.get((String) s.get("parentSpanID"));
      if ("SERVER".equals(s.get("kind")) && parent != null) {
        assertEquals("CLIENT", parent.get("kind"), "a server span's parent: " + s);
        calls.add(parent.get("serviceName") + "->" + s.get("serviceName"));
      }
      for (Map<String, Object> tag : (List<Map<String, Object>>) s.get("tags")) {
        database |= "db.system".equals(tag.get("key"));
        if (DemoShop.ORDER_ID.equals(tag.get("key"))) {
          order = (String) tag.get("value");
        }
      }
    }
    assertEquals(Set.of("gateway->orders", "orders->inventory", "orders->payments"), calls);
    assertTrue(database, "a database span");
    assertTrue(order != null, "the order number is a tag");
    List<Map<String, Object>> logs = (List<Map<String, Object>>) trace.get("logLines");
    String about = "order " + order;
    assertTrue(logs.stream().anyMatch(l -> String.valueOf(l.get("message")).contains(about)),
        "the services' log lines about " + about + ": " + logs);
    return order;
  }
}
