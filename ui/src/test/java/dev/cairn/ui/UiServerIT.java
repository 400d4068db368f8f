package dev.cairn.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.store.EmbeddedSpanStore;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** cairn ui's server next to a store another writer fills, with a puller that does not answer. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UiServerIT {
  @TempDir Path tmp;

  static Map<String, Object> get(UiServer ui, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + ui.address().getPort() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    return JsonParser.object(r.body());
  }

  @SuppressWarnings("unchecked")
  static Map<String, String> statuses(UiServer ui) throws Exception {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    List<Object> components = (List<Object>) ((Map<String, Object>) get(ui, "/api/cairn/status").get("data"))
        .get("components");
    for (Object c : components) {
      Map<String, Object> m = (Map<String, Object>) c;
      out.put((String) m.get("name"), (String) m.get("status"));
    }
    return out;
  }

  @Test
  void followsTheWriter_andShowsStoreAndPullerStatus() throws Exception {
    Path dir = tmp.resolve("store");
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    UiConfig config = UiConfig.load(null, List.of("store.path=" + dir, "http=127.0.0.1:0",
        "puller.health=http://127.0.0.1:" + closedPort + "/health"), Map.of(), Map.of());
    try (UiServer ui = UiServer.start(config)) {
      assertEquals("unknown", statuses(ui).get("store"), "no index before the first write");
      assertEquals("up", get(ui, "/health").get("status"));
      try (EmbeddedSpanStore writer = EmbeddedSpanStore.open(dir)) {
        UiTestData.write(writer.writer());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!"down".equals(statuses(ui).get("puller")) && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(Map.of("store", "up", "puller", "down"), statuses(ui));
        // the reader follows commits at most every second
        Thread.sleep(1100);
        assertEquals(List.of("checkout", "frontend", "orders", "payments"), get(ui, "/api/services").get("data"));
      }
    }
  }
}
