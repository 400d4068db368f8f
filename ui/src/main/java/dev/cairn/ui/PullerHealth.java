package dev.cairn.ui;

import java.io.Closeable;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Polls a puller's {@code /health} in the background, so that the status page answers from the
 * latest result and never waits on the network. "up" when the puller answers 200 with
 * {@code "status":"UP"}; "down" when it answers otherwise or not at all; "unknown" before the
 * first answer.
 */
final class PullerHealth implements Closeable {
  static final Duration EVERY = Duration.ofSeconds(5);
  static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final URI url;
  private final HttpClient http;
  private final ScheduledExecutorService timer;
  private volatile ComponentStatus latest;

  PullerHealth(URI url, Duration every) {
    this.url = url;
    this.latest = new ComponentStatus("puller", ComponentStatus.UNKNOWN, Map.of("url", url.toString(),
        "reason", "not polled yet"));
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "cairn-ui-puller-health");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::poll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  ComponentStatus latest() {
    return latest;
  }

  void poll() {
    Map<String, Object> facts = new LinkedHashMap<>();
    facts.put("url", url.toString());
    facts.put("checkedAt", Instant.now().toString());
    String status;
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(url).timeout(TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      Map<String, Object> body;
      try {
        body = JsonObjectParser.scalars(r.body());
      } catch (IllegalArgumentException e) {
        body = Map.of("reason", "the answer is not the puller's health JSON: " + e.getMessage());
      }
      boolean up = r.statusCode() == 200
          && "up".equals(String.valueOf(body.get("status")).toLowerCase(Locale.ROOT));
      status = up ? ComponentStatus.UP : ComponentStatus.DOWN;
      facts.put("httpStatus", (long) r.statusCode());
      body.forEach((k, v) -> {
        if (!k.equals("status") && v != null) {
          facts.putIfAbsent(k, v);
        }
      });
    } catch (java.io.IOException e) {
      status = ComponentStatus.DOWN;
      facts.put("reason", "no answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    latest = new ComponentStatus("puller", status, facts);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
