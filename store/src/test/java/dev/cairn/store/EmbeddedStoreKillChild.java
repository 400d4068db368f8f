package dev.cairn.store;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one 10-span trace per batch into a store forever, printing "acked i" after each write
 * returns; {@link EmbeddedSpanStoreKillIT} kills it with SIGKILL. Args: directory, first index.
 */
final class EmbeddedStoreKillChild {
  static final long T0 = 1_763_700_000_000_000L;
  static final int SPANS = 10;

  static TraceId traceId(int i) {
    return new TraceId(0xCA1L, i + 1L);
  }

  static WriteBatch batch(int i) {
    TraceId t = traceId(i);
    long start = T0 + i * 1_000L;
    List<StoredSpan> spans = new ArrayList<>();
    SpanRecord root = SpanRecord.builder().traceId(t.high(), t.low()).spanId(1).service("web")
        .name("GET /").startMicros(start).durationMicros(900).build();
    spans.add(StoredSpan.of(root));
    for (int j = 2; j <= SPANS; j++) {
      spans.add(new StoredSpan(SpanRecord.builder().traceId(t.high(), t.low()).spanId(j)
          .parentSpanId(1).service("cart").name("load").startMicros(start + j)
          .durationMicros(100).addAttribute("i", (long) i).build(), "web"));
    }
    return new WriteBatch(spans, List.of(), List.of(new TraceNote(t, true, List.of())));
  }

  public static void main(String[] args) throws Exception {
    EmbeddedSpanStore store = EmbeddedSpanStore.open(Path.of(args[0]));
    System.out.println("open");
    System.out.flush();
    for (int i = Integer.parseInt(args[1]); ; i++) {
      store.writer().write(batch(i));
      System.out.println("acked " + i);
      System.out.flush();
    }
  }

  private EmbeddedStoreKillChild() {}
}
