package dev.cairn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cairn loadgen} as a real process at a small rate: its application, shipper and puller JVMs
 * run, every span produced reaches the store, and the JSON summary says so, with freshness
 * measured on traces that ended complete.
 */
class LoadgenIT {
  @TempDir Path tmp;

  @Test
  void aShortRun_storesEverySpanItProduced_andReportsFreshness() throws Exception {
    try (CairnProcess p = CairnProcess.start(tmp.resolve("out"), "loadgen", "--dir", tmp.resolve("runs").toString(),
        "--seconds", "3", "--warmup-seconds", "1", "--rate", "2000", "--samples", "10", "--report-seconds", "1",
        "--drain-seconds", "60",
        "--set", "assembly.quietMillis=300")) {
      assertTrue(p.process.waitFor(150, TimeUnit.SECONDS), "loadgen did not end; stderr: " + p.stderr());
      assertEquals(0, p.process.exitValue(), p.stderr());
      List<String> lines = p.stdout().lines().toList();
      Map<String, Object> summary = MiniJson.object(lines.get(lines.size() - 1));
      long produced = ((Number) summary.get("producedSpans")).longValue();
      assertTrue(produced >= 4_000, "3 s at 2,000 spans/s: " + summary);
      assertEquals(0L, ((Number) summary.get("droppedSpans")).longValue(), summary.toString());
      // everything the application made, in the warm-up second too, is written and stored
      long producedInAll = ((Number) summary.get("producedSpansInAll")).longValue();
      assertTrue(producedInAll >= produced + 1_000, "a second of warm-up at 2,000 spans/s: " + summary);
      assertEquals(producedInAll, ((Number) summary.get("writtenSpansInAll")).longValue(), summary.toString());
      assertEquals(producedInAll, ((Number) summary.get("storedSpansInAll")).longValue(), summary.toString());
      @SuppressWarnings("unchecked")
      Map<String, Object> cpu = (Map<String, Object>) summary.get("cpuMicrosPerSpan");
      for (String part : List.of("application", "shipper", "pullerAndStore")) {
        assertTrue(((Number) cpu.get(part)).doubleValue() > 0, part + ": " + cpu);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> freshness = (Map<String, Object>) summary.get("freshnessMillis");
      assertTrue(((Number) freshness.get("samples")).longValue() > 0, freshness.toString());
      assertEquals(0L, ((Number) freshness.get("neverComplete")).longValue(), freshness.toString());
      long p50 = ((Number) freshness.get("p50")).longValue();
      long p99 = ((Number) freshness.get("p99")).longValue();
      assertTrue(p50 > 0 && p50 <= p99, freshness.toString());
    }
  }
}
