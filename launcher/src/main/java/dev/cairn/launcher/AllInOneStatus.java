package dev.cairn.launcher;

import dev.cairn.core.internal.ConfigValues;
import dev.cairn.store.SpanStore;
import dev.cairn.ui.ComponentStatus;
import dev.cairn.ui.StatusSource;
import java.io.IOException;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the all-in-one's query server shows on {@code /api/cairn/status}: the shipper and the
 * puller as their own {@code /health} endpoints report them, and the store's check. A background
 * thread refreshes the picture every {@value #REFRESH_MILLIS} ms, so a status request answers
 * from memory and never waits on a health check.
 */
final class AllInOneStatus implements StatusSource, AutoCloseable {
  static final long REFRESH_MILLIS = 2000;
  /** Generous: on a loaded machine a slow answer is not a down part. */
  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final Pattern REASON = Pattern.compile("\"reason\":\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** What is known of one part besides its health. */
  record Part(String name, InetSocketAddress http, Map<String, Object> facts) {}

  private final List<Part> parts;
  private final SpanStore store;
  private final Map<String, Object> storeFacts;
  private final HttpClient http;
  private final ScheduledExecutorService refresher;
  private volatile List<ComponentStatus> current;

  AllInOneStatus(List<Part> parts, SpanStore store, Map<String, Object> storeFacts) {
    this.parts = List.copyOf(parts);
    this.store = store;
    this.storeFacts = Map.copyOf(storeFacts);
    this.refresher = Executors.newSingleThreadScheduledExecutor(
        DemoHttp.threads("cairn-status"));
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    this.current = parts.stream()
        .map(p -> new ComponentStatus(p.name(), ComponentStatus.UNKNOWN, p.facts()))
        .toList();
    refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public List<ComponentStatus> components() {
    return current;
  }

  /** Asks every part now; the scheduled refresh calls this. */
  void refresh() {
    List<ComponentStatus> next = new ArrayList<>();
    for (Part p : parts) {
      next.add(probe(p));
    }
    Map<String, Object> facts = new LinkedHashMap<>(storeFacts);
    String status;
    try {
      SpanStore.Health h = store.check();
      status = h.healthy() ? ComponentStatus.UP : ComponentStatus.DOWN;
      if (!h.healthy()) {
        facts.put("reason", h.message());
      }
    } catch (RuntimeException e) {
      status = ComponentStatus.DOWN;
      facts.put("reason", e.toString());
    }
    next.add(new ComponentStatus("store", status, facts));
    current = List.copyOf(next);
  }

  private ComponentStatus probe(Part p) {
    Map<String, Object> facts = new LinkedHashMap<>(p.facts());
    String url = "http://" + ConfigValues.formatAddress(p.http()) + "/health";
    facts.put("health", url);
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT)
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) {
        return new ComponentStatus(p.name(), ComponentStatus.UP, facts);
      }
      Matcher m = REASON.matcher(r.body());
      facts.put("reason", m.find() ? m.group(1) : "HTTP " + r.statusCode());
    } catch (IOException e) {
      facts.put("reason", "/health did not answer: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new ComponentStatus(p.name(), ComponentStatus.UNKNOWN, facts);
    }
    return new ComponentStatus(p.name(), ComponentStatus.DOWN, facts);
  }

  @Override
  public void close() {
    refresher.shutdownNow();
  }
}
