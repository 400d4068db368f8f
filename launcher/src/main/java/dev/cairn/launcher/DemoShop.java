package dev.cairn.launcher;

import dev.cairn.Cairn;
import dev.cairn.CairnOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.Logger;

/**
 * A small shop of three services, each with its own {@code Cairn.openTelemetry(service)} and its
 * own JDK HTTP server on 127.0.0.1:
 *
 * <pre>
 * customers ─ GET /buy?order=N ─▶ frontend ─ POST /checkout ─▶ checkout ─ POST /charge ─▶ payments
 *                                                   ├ reserve inventory (INTERNAL span)
 *                                                   └ publish orders.confirmed ─▶ email sender
 *                                                     (batches of orders, links to each one)
 * </pre>
 *
 * <p>What happens is decided by the order number, so that a run always shows the same things:
 * payments fails one order in 20 ({@link #paymentFails}) and is slow for one in 40
 * ({@link #paymentSlow}).
 */
@SuppressWarnings("try") // try (Scope scope = span.makeCurrent()), scope unused: the OTel idiom
final class DemoShop {
  static final String VERSION = versionOf(DemoShop.class);
  static final String FRONTEND = "frontend";
  static final String CHECKOUT = "checkout";
  static final String PAYMENTS = "payments";
  static final String ORDER_ID = "order.id";
  static final String BUY_ROUTE = "/buy";
  static final String CHECKOUT_ROUTE = "/checkout";
  static final String CHARGE_ROUTE = "/charge";
  static final String INVENTORY_SPAN = "reserve inventory";
  static final long SLOW_MILLIS = 250;
  private static final int THREADS = 16;

  private final CairnOpenTelemetry frontendOtel;
  private final CairnOpenTelemetry checkoutOtel;
  private final CairnOpenTelemetry paymentsOtel;
  private final DemoHttp.Server frontend;
  private final DemoHttp.Server checkout;
  private final DemoHttp.Server payments;
  private final DemoHttp.Client frontendClient;
  private final DemoHttp.Client checkoutClient;
  private final DemoEmail email;
  private final Tracer checkoutTracer;
  private final Logger frontendLog;
  private final Logger checkoutLog;
  private final Logger inventoryLog;
  private final Logger paymentsLog;

  /** Payments declines one order in 20: orders 7, 27, 47, ... */
  static boolean paymentFails(long order) {
    return order % 20 == 7;
  }

  /** The card processor takes {@value #SLOW_MILLIS} ms for one order in 40: 19, 59, 99, ... */
  static boolean paymentSlow(long order) {
    return order % 40 == 19;
  }

  private DemoShop(DemoLogging logging) throws IOException {
    frontendLog = logging.logger("demo.frontend.Frontend");
    checkoutLog = logging.logger("demo.checkout.Checkout");
    inventoryLog = logging.logger("demo.checkout.Inventory");
    paymentsLog = logging.logger("demo.payments.Payments");
    frontendOtel = Cairn.openTelemetry(FRONTEND);
    checkoutOtel = Cairn.openTelemetry(CHECKOUT);
    paymentsOtel = Cairn.openTelemetry(PAYMENTS);
    checkoutTracer = checkoutOtel.getTracer("dev.cairn.demo.checkout", VERSION);
    email = new DemoEmail(checkoutOtel, logging.logger("demo.checkout.EmailSender"));
    payments = new DemoHttp.Server(PAYMENTS, paymentsOtel, THREADS)
        .route("POST", CHARGE_ROUTE, this::charge);
    checkout = new DemoHttp.Server(CHECKOUT, checkoutOtel, THREADS)
        .route("POST", CHECKOUT_ROUTE, this::checkout);
    frontend = new DemoHttp.Server(FRONTEND, frontendOtel, THREADS)
        .route("GET", BUY_ROUTE, this::buy);
    frontendClient = new DemoHttp.Client(FRONTEND, frontendOtel);
    checkoutClient = new DemoHttp.Client(CHECKOUT, checkoutOtel);
  }

  /** Starts the three services, back to front. */
  static DemoShop start(DemoLogging logging) throws IOException {
    DemoShop shop = new DemoShop(logging);
    shop.email.start();
    shop.payments.start();
    shop.checkout.start();
    shop.frontend.start();
    // Outside any span: business.log shows "-" for the IDs.
    shop.frontendLog.info("shop open: frontend {}, checkout {}, payments {}",
        shop.frontend.uri("/"), shop.checkout.uri("/"), shop.payments.uri("/"));
    return shop;
  }

  URI buyUri(long order) {
    return frontend.uri(BUY_ROUTE + "?order=" + order);
  }

  String describe() {
    return "frontend :" + frontend.port() + " -> checkout :" + checkout.port() + " -> payments :"
        + payments.port() + " on " + DemoHttp.HOST;
  }

  long emailsSent() {
    return email.sent();
  }

  long emailBatches() {
    return email.batches();
  }

  /**
   * Stops the servers front to back (each gets {@code graceSeconds} for requests still running),
   * then the email sender after it sent what is queued. Bounded.
   */
  void stop(int graceSeconds) throws InterruptedException {
    frontend.stop(graceSeconds);
    checkout.stop(graceSeconds);
    payments.stop(graceSeconds);
    email.stop(5_000);
    frontendClient.close();
    checkoutClient.close();
    frontendOtel.close();
    checkoutOtel.close();
    paymentsOtel.close();
    frontendLog.info("shop closed");
  }

  // ---------------------------------------------------------------- frontend

  private DemoHttp.Reply buy(DemoHttp.Request request) throws Exception {
    String order = request.param("order");
    if (order == null || !order.matches("\\d{1,18}")) {
      frontendLog.warn("rejected a buy request without a valid order number: {}", order);
      return new DemoHttp.Reply(400, "order=<number> required\n");
    }
    long n = Long.parseLong(order);
    int items = (int) (n % 5) + 1;
    frontendLog.info("order {}: buy request for {}", order, items(items));
    work(1, 2);
    DemoHttp.Response r = frontendClient.post(checkout.uri(CHECKOUT_ROUTE), CHECKOUT_ROUTE,
        Map.of("order", order, "items", Integer.toString(items)));
    if (r.status() == 200) {
      frontendLog.info("order {} placed", order);
      return new DemoHttp.Reply(200, "order " + order + " placed\n");
    }
    frontendLog.warn("order {} not placed: checkout answered {}", order, r.status());
    return new DemoHttp.Reply(502, "order " + order + " failed: " + r.body());
  }

  // ---------------------------------------------------------------- checkout

  private DemoHttp.Reply checkout(DemoHttp.Request request) throws Exception {
    String order = request.param("order");
    int items = Integer.parseInt(request.params().getOrDefault("items", "1"));
    // Makes the trace findable by order number: a span attribute flagged as a business key.
    Cairn.bindBusinessKey(ORDER_ID, order);
    checkoutLog.info("checking out order {} ({})", order, items(items));
    reserveInventory(order, items);
    String amount = String.format(Locale.ROOT, "%d.%02d", 10 + Long.parseLong(order) % 90,
        (Long.parseLong(order) * 37) % 100);
    DemoHttp.Response r = checkoutClient.post(payments.uri(CHARGE_ROUTE), CHARGE_ROUTE,
        Map.of("order", order, "amount", amount, "currency", "EUR"));
    if (r.status() != 200) {
      checkoutLog.warn("payment failed for order {}: payments answered {}: {}", order, r.status(),
          r.body().strip());
      return new DemoHttp.Reply(502, "payment failed: " + r.body());
    }
    email.publish(order);
    checkoutLog.info("order {} confirmed, {} EUR", order, amount);
    return new DemoHttp.Reply(200, "confirmed\n");
  }

  private void reserveInventory(String order, int items) throws InterruptedException {
    Span span = checkoutTracer.spanBuilder(INVENTORY_SPAN)
        .setSpanKind(SpanKind.INTERNAL)
        .setAttribute("inventory.items", (long) items)
        .setAttribute("inventory.warehouse", "eu-central-1")
        .startSpan();
    try (Scope scope = span.makeCurrent()) {
      work(1, 2);
      inventoryLog.info("reserved {} for order {}", items(items), order);
    } finally {
      span.end();
    }
  }

  // ---------------------------------------------------------------- payments

  private DemoHttp.Reply charge(DemoHttp.Request request) throws Exception {
    String order = request.param("order");
    long n = Long.parseLong(order);
    Span span = Span.current();
    span.setAttribute("payment.amount", Double.parseDouble(request.param("amount")));
    span.setAttribute("payment.currency", request.param("currency"));
    paymentsLog.info("charging order {}: {} {}", order, request.param("amount"),
        request.param("currency"));
    if (paymentSlow(n)) {
      paymentsLog.warn("card processor slow for order {}: waiting", order);
      Thread.sleep(SLOW_MILLIS);
    } else {
      work(2, 5);
    }
    if (paymentFails(n)) {
      Exception e = new TimeoutException("card processor did not confirm order " + order);
      span.recordException(e);
      span.setStatus(StatusCode.ERROR, "card processor timeout");
      span.setAttribute("error.type", e.getClass().getName());
      paymentsLog.error("charge failed for order {}", order, e);
      return new DemoHttp.Reply(502, "card processor timeout\n");
    }
    String authorization = Long.toString(n * 7919 % 1_000_000, 36).toUpperCase(Locale.ROOT);
    span.setAttribute("payment.authorization", authorization);
    paymentsLog.info("order {} charged, authorization {}", order, authorization);
    return new DemoHttp.Reply(200, "authorized " + authorization + "\n");
  }

  private static String items(int n) {
    return n == 1 ? "1 item" : n + " items";
  }

  /** Simulated work: sleeps between {@code min} and {@code max} ms. */
  private static void work(int min, int max) throws InterruptedException {
    int ms = ThreadLocalRandom.current().nextInt(min, max + 1);
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }

  private static String versionOf(Class<?> c) {
    String v = c.getPackage() == null ? null : c.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
