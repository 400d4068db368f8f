package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.wire.WireMessage.Batch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long a block takes from the application's write to a puller that is waiting for it: the
 * ingest thread's nap, the read, the appends to primary and replica, indexing, the long-poll
 * wake-up and the batch over loopback. The whole {@link Shipper}, started from a configuration
 * file. A measurement, not part of the suite (its name matches no test pattern); run it with
 * {@code mvn -B -o -pl trace-core,node-shipper test -Dtest=ShipperLatencyMeasurement -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class ShipperLatencyMeasurement {
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @Test
  void writeToPullLatency(@TempDir Path tmp) throws Exception {
    int rounds = Integer.getInteger("rounds", 500);
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    Path config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        spans: spans/
        journal: {primary: j/primary, replica: j/replica}
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        """.formatted(SECRET), UTF_8);
    try (Shipper shipper = Shipper.start(ShipperConfig.load(config, List.of(), Map.of(), Map.of()));
        SpanFileFixture file = SpanFileFixture.create(spans.resolve("spans-20260101T000000Z-4242-000001.cairn"));
        PullClient client = PullClient.connect(shipper.pullAddress().getPort()).login(SECRET.getBytes(UTF_8))) {
      file.append(20);
      long cursor = client.pull(1, 1 << 20, 10_000).nextCursor(); // found by the scan, then warm
      long[] micros = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long t0 = System.nanoTime();
        file.append(20);
        Batch b = client.pull(cursor, 1 << 20, 10_000);
        micros[i] = (System.nanoTime() - t0) / 1_000;
        assertEquals(1, b.entries().size());
        cursor = b.nextCursor();
      }
      Arrays.sort(micros);
      System.out.printf("write-to-pull latency over %d blocks of 20 spans: p50 %.2f ms, p90 %.2f ms, "
          + "p99 %.2f ms, max %.2f ms%n", rounds, micros[rounds / 2] / 1e3, micros[rounds * 9 / 10] / 1e3,
          micros[rounds * 99 / 100] / 1e3, micros[rounds - 1] / 1e3);
    }
  }
}
