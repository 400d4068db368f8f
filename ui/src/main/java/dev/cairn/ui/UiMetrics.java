package dev.cairn.ui;

import dev.cairn.core.internal.PrometheusText;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The query server's counters, written as {@code cairn_ui_*} on {@code /metrics}. */
final class UiMetrics {
  static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  /** Requests by route name and status: bounded, routes are a fixed set, not raw paths. */
  private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
  private final LongAdder[] latency = new LongAdder[LATENCY_BUCKETS.length];
  private final LongAdder latencyCount = new LongAdder();
  private final LongAdder latencyNanos = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder storeErrors = new LongAdder();
  final LongAdder inFlight = new LongAdder();
  private final long startedMillis = System.currentTimeMillis();

  UiMetrics() {
    for (int i = 0; i < latency.length; i++) {
      latency[i] = new LongAdder();
    }
  }

  void request(String route, int status, long nanos) {
    requests.computeIfAbsent(route + '\0' + status, k -> new LongAdder()).increment();
    double seconds = nanos / 1e9;
    for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) {
        latency[i].increment();
        break;
      }
    }
    latencyCount.increment();
    latencyNanos.add(nanos);
  }

  String render() {
    PrometheusText t = new PrometheusText();
    PrometheusText.Family f = t.family("cairn_ui_requests_total", "counter",
        "HTTP requests answered, by route and status code.");
    new java.util.TreeMap<>(requests).forEach((k, v) -> {
      int z = k.indexOf('\0');
      f.sample(v.sum(), "route", k.substring(0, z), "code", k.substring(z + 1));
    });
    PrometheusText.Family h = t.family("cairn_ui_request_seconds", "histogram",
        "Time from a request's arrival to its response being handed to the network.");
    long cumulative = 0;
    for (int i = 0; i < LATENCY_BUCKETS.length; i++) {
      cumulative += latency[i].sum();
      h.sample("_bucket", cumulative, "le", Double.toString(LATENCY_BUCKETS[i]));
    }
    long count = latencyCount.sum();
    h.sample("_bucket", count, "le", "+Inf");
    h.sample("_sum", latencyNanos.sum() / 1e9);
    h.sample("_count", count);
    t.counter("cairn_ui_rejected_total", "Requests answered 503 because every query thread was busy"
        + " and the queue full.", rejected.sum());
    t.counter("cairn_ui_store_errors_total", "Queries the store failed (answered 500).", storeErrors.sum());
    t.gauge("cairn_ui_in_flight_requests", "Requests being answered now.", inFlight.sum());
    t.gauge("cairn_ui_start_time_seconds", "When the server started, seconds since the epoch.",
        startedMillis / 1000);
    return t.toString();
  }
}
