package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.core.testing.TestSpans;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Not a test: PULL throughput of {@link ShipperClient} from a real shipper over loopback. Span files
 * of 180 spans a block (~9 KB) are journaled, then pulled from cursor 0 to the end again and again.
 * {@code mvn -B -o -pl central-puller test -Dtest=PullClientThroughputMeasurement -Dsurefire.failIfNoSpecifiedTests=false}
 */
class PullClientThroughputMeasurement {
  @TempDir Path tmp;

  @Test
  void measure() throws Exception {
    int maxBytes = Integer.getInteger("maxBytes", 8 << 20);
    int files = Integer.getInteger("files", 8);
    double seconds = Double.parseDouble(System.getProperty("seconds", "8"));
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    Path config = tmp.resolve("shipper.yaml");
    String secret = "0123456789abcdef0123456789abcdef";
    Files.writeString(config, """
        name: measure
        spans: spans/
        journal: {primary: journal/primary, replica: journal/replica}
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(secret), UTF_8);
    TestSpans gen = new TestSpans(1);
    for (int f = 0; f < files; f++) {
      List<SpanRecord> records = new ArrayList<>();
      for (int i = 0; i < 16 * 180; i++) {
        records.add(gen.httpServerSpan());
      }
      Path staged = tmp.resolve(f + ".cairn");
      TestFiles.write(staged, records, 180);
      Files.move(staged, spans.resolve(f + ".cairn"));
    }
    try (Shipper shipper = Shipper.start(ShipperConfig.load(config, List.of(), Map.of(), Map.of()));
        ShipperClient c = ShipperClient.builder("127.0.0.1", shipper.pullAddress().getPort(), secret.getBytes(UTF_8))
            .maxBytes(Math.max(maxBytes, 64 << 10)).connect().get(10, TimeUnit.SECONDS)) {
      long want = files * 16L;
      while (Long.parseLong(c.status().get().get("journal.lastSeq")) < want) {
        Thread.sleep(50);
      }
      long blockBytes = 0;
      for (long cursor = 0; ; ) {
        ShipperClient.Batch b = c.pull(cursor, maxBytes, 0).get();
        if (b.entries().isEmpty()) {
          break;
        }
        for (ShipperClient.Entry e : b.entries()) {
          blockBytes += e.block().length;
        }
        cursor = b.nextCursor();
      }
      System.out.printf("journal: %d blocks, %.1f MB, average block %d bytes%n", want, blockBytes / 1e6, blockBytes / want);
      for (String phase : List.of("warm-up", "measure")) {
        double secs = phase.equals("warm-up") ? 2 : seconds;
        long bytes = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (secs * 1e9);
        long cursor = 0;
        while (System.nanoTime() < end) {
          ShipperClient.Batch b = c.pull(cursor, maxBytes, 0).get();
          if (b.entries().isEmpty()) {
            cursor = 0;
            continue;
          }
          for (ShipperClient.Entry e : b.entries()) {
            bytes += e.block().length;
          }
          cursor = b.nextCursor();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s: maxBytes %d: %.0f MB/s of blocks (%.1f MB in %.1f s)%n", phase, maxBytes, bytes / 1e6 / s, bytes / 1e6, s);
      }
    }
  }
}
