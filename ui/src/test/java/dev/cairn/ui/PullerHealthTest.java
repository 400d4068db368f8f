package dev.cairn.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against a real HTTP server playing the puller's /health. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PullerHealthTest {
  @Test
  void upDownAndUnreachable() throws Exception {
    AtomicInteger code = new AtomicInteger(200);
    AtomicReference<String> body = new AtomicReference<>("{\"status\":\"UP\",\"hosts\":3,\"lagging\":false}");
    HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
    fake.createContext("/health", x -> {
      byte[] b = body.get().getBytes(UTF_8);
      x.sendResponseHeaders(code.get(), b.length);
      x.getResponseBody().write(b);
      x.close();
    });
    fake.start();
    URI url = URI.create("http://127.0.0.1:" + fake.getAddress().getPort() + "/health");
    // after the first timed poll, polled by hand: a day between timed polls keeps the timer out of the way
    try (PullerHealth h = new PullerHealth(url, Duration.ofDays(1))) {
      while (h.latest().status().equals(ComponentStatus.UNKNOWN)) {
        Thread.sleep(10);
      }
      assertEquals("up", h.latest().status());
      assertEquals(3L, h.latest().facts().get("hosts"));
      assertEquals(url.toString(), h.latest().facts().get("url"));

      code.set(503);
      body.set("{\"status\":\"DOWN\",\"reason\":\"store unwritable\"}");
      h.poll();
      assertEquals("down", h.latest().status());
      assertEquals("store unwritable", h.latest().facts().get("reason"));
      assertEquals(503L, h.latest().facts().get("httpStatus"));

      code.set(200);
      body.set("<html>not the puller</html>");
      h.poll();
      assertEquals("down", h.latest().status());
      assertTrue(String.valueOf(h.latest().facts().get("reason")).contains("not the puller's health JSON"));

      fake.stop(0);
      h.poll();
      assertEquals("down", h.latest().status());
      assertTrue(String.valueOf(h.latest().facts().get("reason")).startsWith("no answer"));
    } finally {
      fake.stop(0);
    }
  }
}
