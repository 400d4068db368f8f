package dev.cairn.ui.browser;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated traces of a small shop, written to a real store the way the puller writes them
 * (spans with their parent's service, log lines, an assembly note per trace), so the store computes
 * its minute aggregates and dependency links itself. Fixed seed; times end a few minutes before
 * {@code nowMicros} so the pages' default time ranges find everything.
 *
 * <p>Holds: checkout traces over the last 40 minutes (frontend → checkout → inventory, payments,
 * a Kafka hand-off to fulfillment with FOLLOWS_FROM links), some failing in payments, each with an
 * {@code order.id} business key and captured log lines; a partial trace whose root never arrived;
 * a reindex trace of exactly {@link #BIG_SPANS} spans; and a trace whose names and values are
 * markup, to prove the pages print them as text.
 */
final class ShopData {
  static final int BIG_SPANS = 20_000;
  static final int CHECKOUTS = 60;
  static final List<String> SERVICES =
      List.of("checkout", "frontend", "fulfillment", "indexer", "inventory", "payments", "postgres");

  private static final long MS = 1_000;
  private static final long MINUTE = 60_000_000;

  final long nowMicros;
  /** A checkout trace that failed in payments: its ID and its order.id business key. */
  TraceId errorTrace;
  String errorOrderId;
  /** A checkout trace that succeeded. */
  TraceId okTrace;
  TraceId partialTrace;
  String partialWarning;
  TraceId bigTrace;
  TraceId markupTrace;
  static final String MARKUP = "<img src=x onerror=\"window.__cairnInjected=1\">";

  private final Random random = new Random(0xCA1121L);
  private long nextSpanId = 1;
  private final List<StoredSpan> spans = new ArrayList<>();
  private final List<LogRecord> logs = new ArrayList<>();
  private final List<TraceNote> notes = new ArrayList<>();

  ShopData(long nowMicros) {
    this.nowMicros = nowMicros;
  }

  /** Generates everything and writes it through {@code writer} in a few batches. */
  ShopData writeTo(SpanWriter writer) throws Exception {
    long base = (nowMicros / MINUTE) * MINUTE - 40 * MINUTE;
    for (int i = 0; i < CHECKOUTS; i++) {
      boolean fail = i % 7 == 3;
      long start = base + i * (38 * MINUTE / CHECKOUTS) + random.nextInt(20_000_000);
      TraceId id = checkout(start, fail, "10" + (4_000_000 + i * 37));
      if (fail && errorTrace == null) {
        errorTrace = id;
        errorOrderId = "10" + (4_000_000 + i * 37);
      }
      if (!fail && okTrace == null && i > 0) {
        okTrace = id;
      }
    }
    flush(writer);
    partialTrace = partial(base + 20 * MINUTE);
    markupTrace = markup(base + 30 * MINUTE);
    flush(writer);
    bigTrace = big(base + 35 * MINUTE);
    flush(writer);
    return this;
  }

  private void flush(SpanWriter writer) throws Exception {
    writer.write(new WriteBatch(spans, logs, notes));
    spans.clear();
    logs.clear();
    notes.clear();
  }

  private TraceId newTraceId() {
    return new TraceId(random.nextLong() | 1, random.nextLong() | 1);
  }

  /** A span builder with IDs and times set; the caller adds the rest. */
  private SpanRecord.Builder span(TraceId t, long parent, String service, String name, SpanKind kind,
      long start, long duration) {
    return SpanRecord.builder().traceId(t.high(), t.low()).spanId(nextSpanId++ * 0x9E3779B97F4A7C15L)
        .parentSpanId(parent).service(service).name(name).kind(kind).startMicros(start)
        .durationMicros(duration).scope("dev.cairn.demo", "1.0");
  }

  private SpanRecord add(SpanRecord.Builder b, String parentService) {
    SpanRecord s = b.build();
    spans.add(new StoredSpan(s, parentService));
    return s;
  }

  private void log(SpanRecord s, long at, String level, String logger, String message, String thrown) {
    logs.add(new LogRecord(s.traceIdHigh(), s.traceIdLow(), s.spanId(), at, level, logger,
        "http-nio-8080-exec-" + (1 + random.nextInt(8)), message, thrown));
  }

  private TraceId checkout(long t0, boolean fail, String orderId) {
    TraceId t = newTraceId();
    long total = 60 * MS + random.nextInt(140) * MS + (fail ? 250 * MS : 0);
    SpanRecord root = add(span(t, 0, "frontend", "GET /checkout", SpanKind.SERVER, t0, total)
        .addAttribute("http.request.method", "GET").addAttribute("http.route", "/checkout")
        .addAttribute("http.response.status_code", fail ? 502L : 200L)
        .addAttribute("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)")
        .status(fail ? StatusCode.ERROR : StatusCode.UNSET, fail ? "upstream checkout failed" : ""), "");
    long c0 = t0 + 3 * MS;
    long cDur = total - 6 * MS;
    SpanRecord client = add(span(t, root.spanId(), "frontend", "POST /orders", SpanKind.CLIENT, c0, cDur)
        .addAttribute("server.address", "checkout").addAttribute("http.request.method", "POST")
        .status(fail ? StatusCode.ERROR : StatusCode.UNSET, ""), "frontend");
    SpanRecord server = add(span(t, client.spanId(), "checkout", "POST /orders", SpanKind.SERVER, c0 + MS, cDur - 2 * MS)
        .addAttribute(new Attribute("order.id", orderId, true))
        .addAttribute("http.route", "/orders").addAttribute("customer.tier", random.nextBoolean() ? "gold" : "standard")
        .addAttribute("cart.items", (long) (1 + random.nextInt(6)))
        .status(fail ? StatusCode.ERROR : StatusCode.OK, fail ? "payment declined by provider" : ""), "frontend");
    log(server, c0 + 2 * MS, "INFO", "dev.cairn.shop.checkout.OrderController", "creating order " + orderId, "");
    long cursor = c0 + 4 * MS;
    long invDur = 8 * MS + random.nextInt(20) * MS;
    SpanRecord inv = add(span(t, server.spanId(), "checkout", "GET /stock", SpanKind.CLIENT, cursor, invDur), "checkout");
    SpanRecord invServer = add(span(t, inv.spanId(), "inventory", "GET /stock", SpanKind.SERVER, cursor + MS, invDur - 2 * MS)
        .addAttribute("http.route", "/stock"), "checkout");
    add(span(t, invServer.spanId(), "postgres", "SELECT stock", SpanKind.CLIENT, cursor + 2 * MS, invDur - 5 * MS)
        .addAttribute("db.system", "postgresql").addAttribute("db.statement", "SELECT qty FROM stock WHERE sku = ?"), "inventory");
    cursor += invDur + MS;
    long payDur = (fail ? 240 : 20 + random.nextInt(60)) * MS;
    SpanRecord pay = add(span(t, server.spanId(), "checkout", "POST /charge", SpanKind.CLIENT, cursor, payDur)
        .status(fail ? StatusCode.ERROR : StatusCode.UNSET, ""), "checkout");
    SpanRecord.Builder payB = span(t, pay.spanId(), "payments", "POST /charge", SpanKind.SERVER, cursor + MS, payDur - 2 * MS)
        .addAttribute(new Attribute("order.id", orderId, true)).addAttribute("payment.provider", "acme-pay")
        .addAttribute("payment.amount", 12.5 + random.nextInt(300))
        .addAttribute("retry", fail);
    if (fail) {
      payB.status(StatusCode.ERROR, "provider answered 502")
          .addEvent(new SpanEvent(cursor + 200 * MS, "exception", List.of(
              Attribute.of("exception.type", "dev.cairn.shop.payments.ProviderException"),
              Attribute.of("exception.message", "acme-pay answered 502 Bad Gateway"))));
    } else {
      payB.addEvent(new SpanEvent(cursor + 5 * MS, "payment.authorized", List.of(Attribute.of("auth.code", "A" + random.nextInt(9999)))));
    }
    SpanRecord payServer = add(payB, "checkout");
    log(payServer, cursor + 3 * MS, "INFO", "dev.cairn.shop.payments.ChargeService", "charging order " + orderId + " with acme-pay", "");
    if (fail) {
      log(payServer, cursor + 200 * MS, "ERROR", "dev.cairn.shop.payments.ChargeService", "charge failed for order " + orderId,
          "dev.cairn.shop.payments.ProviderException: acme-pay answered 502 Bad Gateway\n\tat dev.cairn.shop.payments.AcmeClient.charge(AcmeClient.java:88)\n\tat dev.cairn.shop.payments.ChargeService.charge(ChargeService.java:41)");
    }
    cursor += payDur + MS;
    if (!fail) {
      SpanRecord produce = add(span(t, server.spanId(), "checkout", "orders publish", SpanKind.PRODUCER, cursor, 2 * MS)
          .addAttribute("messaging.system", "kafka").addAttribute("messaging.destination.name", "orders"), "checkout");
      // The consumer runs after the request returned: a FOLLOWS_FROM link to the message's producer.
      long consumeAt = Math.max(cursor + 4 * MS, t0 + total - 4 * MS);
      add(span(t, produce.spanId(), "fulfillment", "orders process", SpanKind.CONSUMER, consumeAt, 3 * MS + random.nextInt(8) * MS)
          .addAttribute("messaging.system", "kafka").addAttribute(new Attribute("order.id", orderId, true))
          .addLink(new SpanLink(t.high(), t.low(), produce.spanId(), List.of())), "checkout");
    }
    notes.add(new TraceNote(t, true, List.of()));
    return t;
  }

  /** A trace whose root span never arrived: two subtrees under a missing parent. */
  private TraceId partial(long t0) {
    TraceId t = newTraceId();
    long missingRoot = 0x00f067aa0ba902b7L;
    SpanRecord checkout = add(span(t, missingRoot, "checkout", "POST /orders", SpanKind.SERVER, t0, 90 * MS)
        .addAttribute(new Attribute("order.id", "partial-1", true)), "");
    add(span(t, checkout.spanId(), "checkout", "POST /charge", SpanKind.CLIENT, t0 + 10 * MS, 60 * MS), "checkout");
    partialWarning = "parent 00f067aa0ba902b7 of span " + checkout.spanIdHex() + " never arrived";
    notes.add(new TraceNote(t, false, List.of(partialWarning, "quiet period ended before the root span arrived")));
    return t;
  }

  /** Names and values that are markup: the pages must print them, never interpret them. */
  private TraceId markup(long t0) {
    TraceId t = newTraceId();
    SpanRecord root = add(span(t, 0, "frontend", MARKUP, SpanKind.SERVER, t0, 30 * MS)
        .addAttribute("note", "<script>window.__cairnInjected=2</script>")
        .addAttribute(new Attribute("order.id", "markup-1", true)), "");
    log(root, t0 + MS, "WARN", "dev.cairn.shop.Web", "<b>bold?</b> " + MARKUP, "");
    notes.add(new TraceNote(t, true, List.of()));
    return t;
  }

  /**
   * A nightly reindex of exactly {@link #BIG_SPANS} spans: the root, 199 batches, each with
   * database calls; every tenth batch retries through a nested chain.
   */
  private TraceId big(long t0) {
    TraceId t = newTraceId();
    int left = BIG_SPANS;
    SpanRecord root = add(span(t, 0, "indexer", "reindex products", SpanKind.INTERNAL, t0, 110_000 * MS)
        .addAttribute("job.name", "nightly-reindex"), "");
    left--;
    int batches = 199;
    long batchLen = 110_000 * MS / batches;
    for (int b = 0; b < batches; b++) {
      long bs = t0 + b * batchLen;
      SpanRecord batch = add(span(t, root.spanId(), "indexer", "batch " + b, SpanKind.INTERNAL, bs, batchLen - MS)
          .addAttribute("batch.index", (long) b), "indexer");
      left--;
      int calls = b == batches - 1 ? left : Math.min(left, 100);
      long parent = batch.spanId();
      String parentService = "indexer";
      for (int c = 0; c < calls; c++) {
        long cs = bs + (long) c * (batchLen - 2 * MS) / Math.max(1, calls);
        boolean nested = b % 10 == 0 && c > 0 && c % 20 == 0;
        SpanRecord call = add(span(t, nested ? parent : batch.spanId(), "postgres", nested ? "UPDATE products" : "SELECT products",
            SpanKind.CLIENT, cs, Math.max(MS / 2, (batchLen - 2 * MS) / Math.max(1, calls) - 50))
            .addAttribute("db.system", "postgresql").addAttribute("call.index", (long) c),
            nested ? parentService : "indexer");
        left--;
        if (nested) {
          parent = call.spanId();
          parentService = "postgres";
        }
      }
    }
    if (left != 0) {
      throw new IllegalStateException("big trace has " + (BIG_SPANS - left) + " spans, not " + BIG_SPANS);
    }
    notes.add(new TraceNote(t, true, List.of()));
    return t;
  }
}
