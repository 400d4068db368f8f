package dev.cairn.appender;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Generated spans that exercise every field the format carries. */
final class TestSpans {
  private TestSpans() {}

  /** A span with attributes of every type, a business key, an event and a link. */
  static SpanRecord full(Random r, int i) {
    long start = 1_700_000_000_000_000L + i * 1_000L + r.nextInt(1000);
    SpanKind[] kinds = SpanKind.values();
    return SpanRecord.builder()
        .traceId(r.nextLong() | 1, r.nextLong())
        .spanId(i + 1L)
        .parentSpanId(i % 3 == 0 ? 0 : i)
        .flags(SpanView.FLAG_SAMPLED | (i % 2 == 0 ? SpanView.FLAG_REMOTE_PARENT : 0))
        .service(i % 2 == 0 ? "checkout" : "payments")
        .scope("io.cairn.test", "1.0")
        .name("GET /cart/" + (i % 7))
        .kind(kinds[i % kinds.length])
        .startMicros(start)
        .durationMicros(r.nextInt(5_000_000))
        .status(i % 5 == 0 ? StatusCode.ERROR : StatusCode.OK, i % 5 == 0 ? "boom " + i : "")
        .addAttribute("http.route", "/cart/{id}")
        .addAttribute("http.status_code", 200L + i % 3)
        .addAttribute("ratio", r.nextDouble())
        .addAttribute("cache.hit", i % 2 == 0)
        .addAttribute("tags", List.of("a" + i, "b"))
        .addAttribute("sizes", List.of(1L, 2L, (long) i))
        .addAttribute(new Attribute("order.id", "order-" + i, true))
        .addEvent(new SpanEvent(start + 10, "retry", List.of(Attribute.of("attempt", 2L))))
        .addLink(new SpanLink(r.nextLong(), r.nextLong() | 1, r.nextLong() | 1,
            List.of(Attribute.of("messaging.id", "m-" + i))))
        .build();
  }

  /** A small span whose payload does not compress, to fill files at a known pace. */
  static SpanRecord incompressible(Random r, int i, int payloadChars) {
    StringBuilder noise = new StringBuilder(payloadChars);
    for (int c = 0; c < payloadChars; c++) {
      noise.append((char) ('!' + r.nextInt(90)));
    }
    return SpanRecord.builder()
        .traceId(r.nextLong() | 1, r.nextLong())
        .spanId(i + 1L)
        .service("checkout")
        .name("work")
        .startMicros(1_700_000_000_000_000L + i)
        .durationMicros(10)
        .addAttribute("noise", noise.toString())
        .build();
  }

  static List<SpanRecord> full(long seed, int n) {
    Random r = new Random(seed);
    List<SpanRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(full(r, i));
    }
    return out;
  }

  /** A minimal span with a given span ID, for tests that only track identity. */
  static SpanRecord simple(long traceLow, long spanId) {
    return SpanRecord.builder().traceId(42, traceLow).spanId(spanId).service("checkout")
        .name("op").startMicros(1_700_000_000_000_000L + spanId).durationMicros(5).build();
  }
}
