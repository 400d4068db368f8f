package dev.cairn.store.elasticsearch;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import dev.cairn.puller.ThreeHostRun;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import java.net.URLEncoder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The puller's acceptance run ({@link ThreeHostRun}: three simulated hosts on loopback, each an
 * application writing through {@code <SpanFile>} and a shipper, W3C propagation across them) with
 * Elasticsearch as the puller's store: a real node ({@link EsNode}), the puller a real process
 * with {@code store.type: elasticsearch}, killed with SIGKILL four times while the applications
 * run (1 to 2 s after each start, or once it stored spans). Then, each check reported on its own:
 * <ol>
 *   <li>the killed pullers saved cursors past the first block of every host;
 *   <li>every trace is stored in Elasticsearch complete, exactly its spans (none lost, none twice),
 *       every parent present, the three services; the dependency links count every call;
 *   <li>with host B's primary journal lost and B's shipper serving its replica, a fresh puller on
 *       an embedded store stores every trace complete too;
 *   <li>{@code cairn ui} on Elasticsearch and on that embedded store answer the Jaeger API byte for
 *       byte the same: services, operations, every trace, searches, dependencies.
 * </ol>
 */
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class ThreeHostEsIT {
  private static final int KILLS = 4;

  private final String prefix = EsTesting.newPrefix();

  @TempDir Path tmp;

  @AfterEach
  void deleteIndices() throws Exception {
    EsTesting.deleteAll(prefix);
  }

  @Test
  void threeHosts_esPullerKilledFourTimes_everyTraceCompleteOnce_jaegerApiAsOnEmbeddedStore() throws Exception {
    String esStore = """
        store:
          type: elasticsearch
          elasticsearch:
            urls: "%s"
            indexPrefix: %s
            replicas: 0
        state: state
        """.formatted(EsNode.shared().url(), prefix);
    try (ThreeHostRun run = ThreeHostRun.start(tmp, "ThreeHostEsIT")) {
      ThreeHostRun.PullerSetup onEs = run.puller(tmp.resolve("central-es"), esStore);
      run.driveWithPullerKilled(onEs, KILLS, 1_000, 2_000);

      run.losePrimaryJournal("B");
      run.startShipper("B");
      run.assertServesFromReplica("B");
      ThreeHostRun.PullerSetup onEmbedded = run.puller(tmp.resolve("central-embedded"), """
          store:
            path: store
          state: state
          """);
      run.pullToEnd("puller-embedded", onEmbedded);
      Path embeddedDir = onEmbedded.dir().resolve("store");

      // Each check runs and reports on its own: one failing does not hide the others.
      assertAll(
          run::assertKilledPullersSavedCursors,
          () -> {
            try (SpanStore es = EsTesting.store(prefix).build()) {
              run.assertStored(es.reader(), "on Elasticsearch after " + KILLS + " kills of the puller");
            }
            run.log("Elasticsearch store checked");
          },
          () -> {
            try (EmbeddedSpanStore embedded = EmbeddedSpanStore.open(embeddedDir)) {
              run.assertStored(embedded.reader(), "embedded, from a fresh puller with B serving from its replica");
            }
            run.log("embedded store checked");
          },
          () -> {
            try (JaegerApiPair apis = JaegerApiPair.start(prefix, embeddedDir)) {
              assertJaegerApi(run, apis);
            }
          });
      run.passed();
    }
  }

  /** Both stores answer alike, and what Elasticsearch answers holds what the applications made. */
  private static void assertJaegerApi(ThreeHostRun run, JaegerApiPair apis) throws Exception {
    List<String> paths = jaegerPaths(run);
    apis.assertSameAnswers(paths);
    run.log(paths.size() + " Jaeger API answers the same on both stores");
    String all = apis.onEs(paths.get(5)).body();
    for (TraceId t : run.expected().keySet()) {
      assertTrue(all.contains("\"traceID\":\"" + t.hex() + "\""), "search finds " + t.hex());
    }
    String deps = apis.onEs(paths.get(4)).body();
    assertTrue(deps.contains("\"parent\":\"svc-a\",\"child\":\"svc-b\",\"callCount\":"
        + ThreeHostRun.REQUESTS), deps);
    assertTrue(apis.onEs(paths.get(6)).body().contains("\"total\":" + ThreeHostRun.REQUESTS / 3 + ","),
        "a third of the requests made a span 'step 1' on svc-c");
    assertTrue(apis.onEs(paths.get(7)).body().contains("\"total\":1,"), "one trace has request.i=7");
  }

  /**
   * Services, operations, dependencies, searches (by service, by operation, by tag, by duration),
   * every trace the applications made, and an unknown trace.
   */
  private static List<String> jaegerPaths(ThreeHostRun run) {
    long nowMs = System.currentTimeMillis() + 60_000;
    long fromMs = run.startMillis() - 60_000;
    String range = "&start=" + fromMs * 1000 + "&end=" + nowMs * 1000;
    List<String> paths = new ArrayList<>(List.of(
        "/api/services",
        "/api/services/svc-a/operations",
        "/api/services/svc-b/operations",
        "/api/services/svc-c/operations",
        "/api/dependencies?endTs=" + nowMs + "&lookback=" + (nowMs - fromMs),
        "/api/traces?service=svc-a&limit=1000" + range,
        "/api/traces?service=svc-c&operation=" + encode("step 1") + "&limit=1000" + range,
        "/api/traces?service=svc-b&tags=" + encode("{\"request.i\":\"7\"}") + range,
        "/api/operations?service=svc-b&spanKind=client",
        "/api/traces?service=svc-a&minDuration=2ms&limit=50" + range));
    for (TraceId t : run.expected().keySet()) {
      paths.add("/api/traces/" + t.hex());
    }
    paths.add("/api/traces/" + new TraceId(7, 7).hex());
    return paths;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, UTF_8);
  }
}
