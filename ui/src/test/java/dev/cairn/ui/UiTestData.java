package dev.cairn.ui;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.TraceNote;
import dev.cairn.store.WriteBatch;
import java.util.List;

/**
 * Generated traces for the query server's tests: every attribute type, events, a FOLLOWS_FROM
 * link to another trace, business log lines, an error span, a span name that is an HTML attack, a
 * partial trace and a 64-bit trace ID.
 */
final class UiTestData {
  /** 2025-11-21T04:40:00Z in µs, a whole minute. */
  static final long T0 = 1_763_700_000_000_000L;
  static final long MS = 1_000L;

  /** The shop trace: frontend → checkout → payments (error), with a consumer linked to LINKED. */
  static final TraceId SHOP = new TraceId(0x6b01e4cb452911b1L, 0x3ac98379bc1e6694L);
  /** A trace the shop's consumer span links to (FOLLOWS_FROM), itself stored too. */
  static final TraceId LINKED = new TraceId(0x1111111111111111L, 0x2222222222222222L);
  /** A partial trace: its root never arrived. */
  static final TraceId PARTIAL = new TraceId(0x0af7651916cd43ddL, 0x8448eb211c80319cL);
  /** A 64-bit trace ID (high half zero): Jaeger prints 16 hex characters. */
  static final TraceId SHORT = new TraceId(0, 0x00000000075bcd15L);

  static final String ATTACK = "</script><img src=x onerror=alert(1)>";

  static final long ROOT = 0x0000000000000a01L;
  static final long CLIENT = 0x0000000000000a02L;
  static final long CHECKOUT = 0x0000000000000a03L;
  static final long PAYMENTS = 0x0000000000000a04L;
  static final long CONSUMER = 0x0000000000000a05L;
  static final long LINKED_ROOT = 0x0000000000000b01L;
  static final long ORPHAN = 0x0000000000000c02L;
  static final long MISSING_PARENT = 0x0000000000000c01L;
  static final long SHORT_ROOT = 0x0000000000000d01L;

  private UiTestData() {}

  static SpanRecord.Builder span(TraceId t, long id, long parent, String service, String name, SpanKind kind,
      long startMs, long durationMs) {
    return SpanRecord.builder().traceId(t.high(), t.low()).spanId(id).parentSpanId(parent).service(service)
        .name(name).kind(kind).startMicros(T0 + startMs * MS).durationMicros(durationMs * MS);
  }

  static List<SpanRecord> shop() {
    SpanRecord root = span(SHOP, ROOT, 0, "frontend", "GET /cart", SpanKind.SERVER, 0, 120)
        .scope("cairn.http", "1.2.0")
        .addAttribute("http.route", "/cart")
        .addAttribute("http.status_code", 200L)
        .addAttribute("sampled.ratio", 0.25)
        .addAttribute("cache.hit", true)
        .addAttribute("items", List.of("a", "b"))
        .addAttribute(new Attribute("order.id", "2135897412389123", true))
        .status(StatusCode.OK, "")
        .build();
    SpanRecord client = span(SHOP, CLIENT, ROOT, "frontend", ATTACK, SpanKind.CLIENT, 5, 100).build();
    SpanRecord checkout = span(SHOP, CHECKOUT, CLIENT, "checkout", "POST /checkout", SpanKind.SERVER, 10, 90)
        .addEvent(new SpanEvent(T0 + 20 * MS, "retry", List.of(Attribute.of("attempt", 2L),
            Attribute.of("reason", "timeout"))))
        .build();
    SpanRecord payments = span(SHOP, PAYMENTS, CHECKOUT, "payments", "charge", SpanKind.INTERNAL, 30, 40)
        .status(StatusCode.ERROR, "card declined")
        .addEvent(new SpanEvent(T0 + 69 * MS, "exception", List.of(
            Attribute.of("exception.type", "java.lang.IllegalStateException"))))
        .build();
    SpanRecord consumer = span(SHOP, CONSUMER, CHECKOUT, "checkout", "handle order", SpanKind.CONSUMER, 80, 15)
        .addLink(new SpanLink(LINKED.high(), LINKED.low(), LINKED_ROOT, List.of(Attribute.of("kind", "batch"))))
        .build();
    return List.of(root, client, checkout, payments, consumer);
  }

  static List<LogRecord> shopLogs() {
    return List.of(
        new LogRecord(SHOP.high(), SHOP.low(), CHECKOUT, T0 + 12 * MS, "INFO", "dev.shop.Checkout", "http-1",
            "checkout started <b>bold</b>", ""),
        new LogRecord(SHOP.high(), SHOP.low(), PAYMENTS, T0 + 60 * MS, "ERROR", "dev.shop.Payments", "http-1",
            "card declined", "java.lang.IllegalStateException: declined\n\tat dev.shop.Payments.charge"));
  }

  static SpanRecord linkedRoot() {
    return span(LINKED, LINKED_ROOT, 0, "orders", "publish", SpanKind.PRODUCER, -1000, 5).build();
  }

  static SpanRecord orphan() {
    return span(PARTIAL, ORPHAN, MISSING_PARENT, "checkout", "POST /checkout", SpanKind.SERVER, 2000, 30).build();
  }

  static SpanRecord shortRoot() {
    return span(SHORT, SHORT_ROOT, 0, "frontend", "GET /health", SpanKind.SERVER, 5000, 2).build();
  }

  /** Writes every test trace, with the assembly notes the puller would have written. */
  static void write(SpanWriter writer) throws Exception {
    List<SpanRecord> shop = shop();
    writer.write(new WriteBatch(List.of(
        StoredSpan.of(shop.get(0)),
        new StoredSpan(shop.get(1), "frontend"),
        new StoredSpan(shop.get(2), "frontend"),
        new StoredSpan(shop.get(3), "checkout"),
        new StoredSpan(shop.get(4), "checkout")),
        shopLogs(), List.of(new TraceNote(SHOP, true, List.of()))));
    writer.write(new WriteBatch(List.of(StoredSpan.of(linkedRoot())), List.of(),
        List.of(new TraceNote(LINKED, true, List.of()))));
    writer.write(new WriteBatch(List.of(StoredSpan.of(orphan())), List.of(),
        List.of(new TraceNote(PARTIAL, false, List.of("parent 0000000000000c01 of span 0000000000000c02 never arrived")))));
    writer.write(new WriteBatch(List.of(StoredSpan.of(shortRoot())), List.of(),
        List.of(new TraceNote(SHORT, true, List.of()))));
  }
}
