package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.shipper.JournalReplay;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A journal written by a real shipper from span files: {@code traces} traces of {@code 1 + fanout}
 * spans over three services (children written before their root, as applications finish them),
 * one log line per root, spread over several blocks and two files.
 */
final class RecoveryJournal {
  static final int SPANS_PER_BLOCK = 50;
  static final String[] SERVICES = {"web", "cart", "db"};

  final Path primary;
  final Path replica;
  final int traces;
  final int spansPerTrace;
  final long blocks;

  private RecoveryJournal(Path primary, Path replica, int traces, int spansPerTrace, long blocks) {
    this.primary = primary;
    this.replica = replica;
    this.traces = traces;
    this.spansPerTrace = spansPerTrace;
    this.blocks = blocks;
  }

  static SpanRecord span(long trace, long id, long parent, String service) {
    return SpanRecord.builder().traceId(0x1234, trace).spanId(id).parentSpanId(parent)
        .service(service).name("op" + (id % 7)).startMicros(1_763_700_000_000_000L + trace * 1000 + id)
        .durationMicros(100 + id).build();
  }

  /** Span IDs: trace * 100 + i; the root is i = 0; span i > 0 is the child of span (i - 1) / 2. */
  static List<Object> records(int traces, int fanout) {
    List<Object> out = new ArrayList<>();
    for (long t = 1; t <= traces; t++) {
      for (int i = fanout; i >= 0; i--) {
        long id = t * 100 + i;
        long parent = i == 0 ? 0 : t * 100 + (i - 1) / 2;
        out.add(span(t, id, parent, SERVICES[i % SERVICES.length]));
      }
      out.add(new LogRecord(0x1234, t, t * 100, 1_763_700_000_000_000L + t, "INFO", "app", "main",
          "trace " + t, ""));
    }
    return out;
  }

  static RecoveryJournal write(Path tmp, int traces, int fanout) throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    List<Object> all = records(traces, fanout);
    int half = (all.size() / 2);
    long blocks = 0;
    blocks += TestFiles.write(tmp.resolve("a.cairn"), all.subList(0, half), SPANS_PER_BLOCK).blockOffsets().size();
    blocks += TestFiles.write(tmp.resolve("b.cairn"), all.subList(half, all.size()), SPANS_PER_BLOCK).blockOffsets().size();
    Path config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        name: recovery-test
        spans: spans/
        journal:
          primary: journal/primary
          replica: journal/replica
        auth:
          secret: "0123456789abcdef0123456789abcdef"
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 20
        """, UTF_8);
    Path primary = tmp.resolve("journal/primary");
    Path replica = tmp.resolve("journal/replica");
    try (Shipper shipper = Shipper.start(ShipperConfig.load(config, List.of(), Map.of(), Map.of()))) {
      Files.move(tmp.resolve("a.cairn"), spans.resolve("a.cairn"));
      Files.move(tmp.resolve("b.cairn"), spans.resolve("b.cairn"));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (lastSeq(replica) < blocks) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the shipper journaled " + lastSeq(replica) + " of " + blocks + " blocks");
        }
        Thread.sleep(20);
      }
    }
    return new RecoveryJournal(primary, replica, traces, fanout + 1, blocks);
  }

  private static long lastSeq(Path dir) {
    try (JournalReplay r = JournalReplay.open(dir)) {
      return r.lastSeq();
    } catch (IOException e) {
      return 0; // not created yet
    }
  }

  /** {@link Recovery.Source} over a read-only journal copy, as the launcher's command adapts it. */
  static Recovery.Source source(JournalReplay replay) {
    return new Recovery.Source() {
      @Override public long firstSeq() {
        return replay.firstSeq();
      }

      @Override public long lastSeq() {
        return replay.lastSeq();
      }

      @Override public long seek(long seq) {
        return replay.seek(seq);
      }

      @Override public Recovery.Entry next() {
        JournalReplay.Entry e = replay.next();
        return e == null ? null : new Recovery.Entry(e.seq(), e.block());
      }

      @Override public long skipped() {
        return replay.skippedExcerpts();
      }
    };
  }
}
