package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import dev.cairn.shipper.Shipper;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanReader;
import dev.cairn.store.TraceSummary;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The puller end to end in one JVM: two real shippers (host A and host B) whose span files hold
 * the same traces split across them (the root on A, its two children on B), a puller with an
 * embedded store. Every trace must end complete with its three spans and the dependency A → B.
 */
class PullerIT extends PullerFixture {
  @Test
  void tracesSplitAcrossTwoHosts_endCompleteWithDependencies_andARestartDuplicatesNothing() throws Exception {
    Shipper a = shipper("A", 0);
    Shipper b = shipper("B", 0);
    Path yaml = pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(), "B@127.0.0.1:" + b.pullAddress().getPort()));
    int traces = 2_000;
    List<TraceId> first = writeTraces(traces);

    long t0 = System.nanoTime();
    Puller p = puller(yaml);
    await("every trace complete in the store", 60_000, () -> allComplete(p.store().reader(), first));
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("PullerIT: %d spans of %d traces from 2 shippers stored complete in %.2f s (%.0f spans/s, "
        + "quiet period 300 ms included)%n", traces * 3, traces, seconds, traces * 3 / seconds);

    SpanReader r = p.store().reader();
    List<TraceSummary> stored = all(r);
    assertEquals(traces, stored.size());
    assertEquals(traces * 3, stored.stream().mapToInt(TraceSummary::spanCount).sum());
    List<DependencyLink> deps = r.dependencies(BASE_MICROS + 86_400_000_000L, 2 * 86_400_000_000L);
    assertEquals(List.of(new DependencyLink("svc-a", "svc-b", 2L * traces, 0)), deps);

    // /metrics and /health answer.
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + p.httpAddress().getPort();
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, health.statusCode(), health.body());
    String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertTrue(metrics.contains("cairn_puller_pulled_spans_total{host=\"B\"} " + 2 * traces), metrics);
    assertTrue(metrics.contains("cairn_puller_host_up{host=\"A\"} 1"), metrics);
    assertTrue(metrics.contains("cairn_puller_store_write_seconds_count"), metrics);
    long blocksA = metric(p, "cairn_puller_pulled_blocks_total{host=\"A\"}");

    // Restart in the same JVM: it resumes from the saved cursors and duplicates nothing.
    p.close();
    open.remove(p);
    List<TraceId> second = writeTraces(100);
    Puller again = puller(yaml);
    await("the new traces complete", 30_000, () -> allComplete(again.store().reader(), second));
    List<TraceSummary> after = all(again.store().reader());
    assertEquals(traces + 100, after.size());
    assertEquals((traces + 100) * 3, after.stream().mapToInt(TraceSummary::spanCount).sum());
    assertTrue(allComplete(again.store().reader(), first));
    // Only the new file's blocks were pulled from A after the restart (100 roots, 50 per block).
    assertEquals(2, metric(again, "cairn_puller_pulled_blocks_total{host=\"A\"}"), "blocks of A before: " + blocksA);
  }

  @Test
  void aParentBehindItsHostsCursor_comesByFetch_andAParentNowhere_isStoredPartialNamingIt() throws Exception {
    Shipper a = shipper("A", 0);
    Shipper b = shipper("B", 0);
    List<TraceId> ids = writeTraces(40);                 // A: one block of 40 roots; B: their children
    await("A journaled its block", 30_000, () -> shipperMetric(a, "cairn_shipper_journaled_blocks_total") == 1);
    // As if A's block had been pulled before and lost centrally: the puller resumes A after it,
    // so the roots can only come by FETCH from A's journal.
    Files.createDirectories(tmp.resolve("central/state"));
    Files.writeString(tmp.resolve("central/state/cursors"), "A 2\n", UTF_8);
    Map<TraceId, Long> orphans = writeOrphans(3);        // on B; their parents are nowhere
    Puller p = puller(pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(),
        "B@127.0.0.1:" + b.pullAddress().getPort())));

    await("every trace complete through FETCH", 30_000, () -> allComplete(p.store().reader(), ids));
    assertEquals(0, metric(p, "cairn_puller_pulled_spans_total{host=\"A\"}"), "A's roots never came by PULL");
    assertTrue(metric(p, "cairn_puller_gap_fetches_total") >= 40);
    assertTrue(metric(p, "cairn_puller_fetched_blocks_total") >= 1);
    assertEquals(0, metric(p, "cairn_puller_fetch_errors_total"));

    SpanReader r = p.store().reader();
    await("the orphans stored", 30_000, () -> orphans.keySet().stream().allMatch(id -> {
      try {
        return r.trace(id).isPresent() && !r.trace(id).get().summary().warnings().isEmpty();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }));
    for (Map.Entry<TraceId, Long> o : orphans.entrySet()) {
      var t = r.trace(o.getKey()).orElseThrow();
      assertEquals(1, t.spans().size());
      assertTrue(!t.summary().complete(), "partial: " + t.summary());
      String expected = "parent " + dev.cairn.core.model.Ids.spanIdHex(o.getValue()) + " of span "
          + dev.cairn.core.model.Ids.spanIdHex(t.spans().get(0).spanId()) + " never arrived";
      assertEquals(List.of(expected), t.summary().warnings());
    }
    // the store may show a write a few ms before write() returns and the puller counts it
    await("the partial traces counted", 10_000,
        () -> metric(p, "cairn_puller_traces_stored_total{verdict=\"partial\"}") == 3);
  }

  @Test
  void aHostBehind_showsItsLagInBytesAndSeconds_thenZeroOnceCaughtUp() throws Exception {
    Shipper a = shipper("A", 0);
    writeTraces(8_000);                                  // A: 160 blocks of roots
    await("A journaled its blocks", 30_000, () -> shipperMetric(a, "cairn_shipper_journaled_blocks_total") == 160);
    // Pulling slowed to 64 KB/s, 64 KB per PULL: A stays behind for a few seconds.
    Puller p = puller(pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort())),
        List.of("pull.bytesPerSecond=64KB", "pull.maxBytes=64KB"));
    await("A's lag known while it is behind", 20_000,
        () -> metric(p, "cairn_puller_host_lag_bytes{host=\"A\"}") > 0 && metric(p, "cairn_puller_host_lag_blocks{host=\"A\"}") > 0);
    long bytes = metric(p, "cairn_puller_host_lag_bytes{host=\"A\"}");
    long journaled = shipperMetric(a, "cairn_shipper_read_bytes_total") + 160 * 36; // blocks + entry headers
    assertTrue(bytes < journaled, "lag " + bytes + " bytes, less than all " + journaled);
    // The blocks' newest spans ended at BASE_MICROS (November 2025): that is how old the oldest unpulled one is.
    long expectedSeconds = (System.currentTimeMillis() * 1000 - BASE_MICROS) / 1_000_000;
    long seconds = metric(p, "cairn_puller_host_lag_seconds{host=\"A\"}");
    assertTrue(Math.abs(seconds - expectedSeconds) < 120, seconds + " s, expected about " + expectedSeconds);
    await("caught up: no lag", 60_000, () -> metric(p, "cairn_puller_host_lag_blocks{host=\"A\"}") == 0
        && metric(p, "cairn_puller_host_lag_bytes{host=\"A\"}") == 0
        && metric(p, "cairn_puller_host_lag_seconds{host=\"A\"}") == 0);
  }

  @Test
  void aHostDownAtStart_doesNotStallTheOthers_andIsPulledOnceUp() throws Exception {
    Shipper a = shipper("A", 0);
    int portB = freePort();
    Path yaml = pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(), "B@127.0.0.1:" + portB));
    List<TraceId> ids = writeTraces(200);
    Puller p = puller(yaml);
    // A's roots are stored although B cannot be reached.
    await("A's spans stored", 30_000, () -> all(p.store().reader()).size() == 200);
    assertEquals(0, metric(p, "cairn_puller_host_up{host=\"B\"}"));
    assertTrue(metric(p, "cairn_puller_host_errors_total{host=\"B\"}") > 0);

    shipper("B", portB);
    await("every trace complete once B is up", 60_000, () -> allComplete(p.store().reader(), ids));
    assertEquals(600, all(p.store().reader()).stream().mapToInt(TraceSummary::spanCount).sum());
    assertEquals(1, metric(p, "cairn_puller_host_up{host=\"B\"}"));
  }

  @Test
  void aChangedHostsFile_addsTheHostWithoutARestart() throws Exception {
    Shipper a = shipper("A", 0);
    Shipper b = shipper("B", 0);
    Path yaml = pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort()));
    List<TraceId> ids = writeTraces(100);
    Puller p = puller(yaml);
    await("A's spans stored", 30_000, () -> all(p.store().reader()).size() == 100);
    assertEquals(List.of("A"), p.hostNames());

    Thread.sleep(1_100); // a new modification time, whatever the file system's resolution
    pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(), "B@127.0.0.1:" + b.pullAddress().getPort()));
    await("B added", 10_000, () -> p.hostNames().contains("B"));
    await("every trace complete", 60_000, () -> allComplete(p.store().reader(), ids));
    assertEquals(300, all(p.store().reader()).stream().mapToInt(TraceSummary::spanCount).sum());
  }

  @Test
  void aStoreHandedIn_isWrittenTo_andLeftOpenByClose() throws Exception {
    Shipper a = shipper("A", 0);
    Shipper b = shipper("B", 0);
    Path yaml = pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(), "B@127.0.0.1:" + b.pullAddress().getPort()));
    List<TraceId> ids = writeTraces(50);
    try (SpanStore shared = EmbeddedSpanStore.open(tmp.resolve("shared-store"))) {
      Puller p = Puller.start(PullerConfig.load(yaml, List.of(), Map.of(), Map.of()), shared);
      try {
        await("every trace complete in the shared store", 30_000, () -> allComplete(shared.reader(), ids));
      } finally {
        p.close();
      }
      // Still open: the caller owns it.
      assertEquals(150, all(shared.reader()).stream().mapToInt(TraceSummary::spanCount).sum());
      assertTrue(shared.check().healthy(), shared.check().message());
      assertTrue(Files.notExists(tmp.resolve("central/store")), "the configured store path stays unused");
    }
  }
}
