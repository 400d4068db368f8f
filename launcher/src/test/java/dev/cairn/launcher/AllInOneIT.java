package dev.cairn.launcher;

import static dev.cairn.launcher.CairnProcess.data;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn all-in-one} with an application beside it: the application, a JVM of its own,
 * writes through a {@code <SpanFile>} appender into the all-in-one's span directory, and its trace
 * is found through the Jaeger API a moment later. The generated secret is never printed.
 */
class AllInOneIT {
  @TempDir Path tmp;

  @Test
  void applicationSpanFiles_becomeSearchableTraces() throws Exception {
    Path data = tmp.resolve("data");
    try (CairnProcess aio = CairnProcess.start(tmp.resolve("out"), "all-in-one",
        "--data", data.toString(), "--ui", "127.0.0.1:0")) {
      String base = aio.awaitUiUrl(60);
      assertTrue(aio.stdout().contains(data.resolve("spans") + "/<application>"), aio.stdout());

      // The application: the demo's payments service, configured like any application.
      Path app = Files.createDirectories(tmp.resolve("app"));
      Path config = Files.writeString(app.resolve("log4j2.xml"), DemoLogging.config(
          DemoShop.PAYMENTS, data.resolve("spans/payments"), app.resolve("payments.log")), UTF_8);
      List<String> command = new ArrayList<>(List.of(DemoServices.javaCommand(),
          "-Dlog4j2.configurationFile=" + config, "-cp", System.getProperty("java.class.path"),
          DemoService.class.getName(), DemoShop.PAYMENTS, app.toString()));
      Process p = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(app.resolve("process.log").toFile()).start();
      try {
        String port = aio.await(60, "the application to listen", () -> {
          try {
            return Files.readString(app.resolve(DemoService.READY_FILE), UTF_8);
          } catch (java.io.IOException e) {
            return null;
          }
        });
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> charged = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + DemoShop.CHARGE_ROUTE))
            .POST(HttpRequest.BodyPublishers.ofString("order=4242&amount=12.50&currency=EUR"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, charged.statusCode(), charged.body());

        // Jaeger's API, as Grafana or the Jaeger UI would ask it.
        List<Map<String, Object>> traces = aio.await(30, "the application's trace", () -> {
          List<Map<String, Object>> t = data(base
              + "api/traces?service=payments&tag=payment.currency:EUR&limit=5");
          return t == null || t.isEmpty() ? null : t;
        });
        assertEquals(1, traces.size());
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> spans = (List<Map<String, Object>>) traces.get(0).get("spans");
        assertEquals("POST /charge", spans.get(0).get("operationName"));
        assertEquals(List.of(DemoShop.PAYMENTS), CairnProcess.getJson(base + "api/services").get("data"));
      } finally {
        p.getOutputStream().close(); // the application exits when its stdin ends
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
      String secret = Files.readString(data.resolve(AllInOne.SECRET_FILE), UTF_8).strip();
      aio.process.destroy();
      assertTrue(aio.process.waitFor(60, TimeUnit.SECONDS));
      assertEquals(143, aio.process.exitValue(), aio.stderr());
      assertFalse(aio.stdout().contains(secret) || aio.stderr().contains(secret),
          "the secret is never printed");
    }
  }
}
