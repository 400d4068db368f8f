package dev.cairn.launcher;

import dev.cairn.Cairn;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The demo shop's four services, each run in a process of its own by {@link DemoService}:
 *
 * <pre>
 * customers ─ GET /buy?order=N ─▶ gateway ─ POST /orders ─▶ orders ─ INSERT orders (database)
 *                                                             ├─ POST /reserve ─▶ inventory ─ SELECT/UPDATE stock
 *                                                             ├─ POST /charge ──▶ payments
 *                                                             ├─ UPDATE orders (database)
 *                                                             └─ publish orders.confirmed ─▶ email sender
 * </pre>
 *
 * <p>What happens to an order is decided by its number, so that every run shows the same mix:
 * payments declines one order in 20 ({@link #paymentFails}) and is slow for one in 40
 * ({@link #paymentSlow}); inventory waits for a lock on one in 50 ({@link #stockSlow}) and is out
 * of stock for one in 30 ({@link #outOfStock}, a 409: the customer's problem, not an error).
 * The database is simulated (a sleep inside a CLIENT span with the database semantic conventions).
 */
@SuppressWarnings("try") // try (Scope scope = span.makeCurrent()), scope unused: the OTel idiom
final class DemoShop {
  static final String VERSION = versionOf(DemoShop.class);
  static final String GATEWAY = "gateway";
  static final String ORDERS = "orders";
  static final String INVENTORY = "inventory";
  static final String PAYMENTS = "payments";
  /** Every service, leaves first: the order they start in. */
  static final List<String> SERVICES = List.of(INVENTORY, PAYMENTS, ORDERS, GATEWAY);
  /** Which services each one calls. */
  static final Map<String, List<String>> CALLS = Map.of(
      GATEWAY, List.of(ORDERS), ORDERS, List.of(INVENTORY, PAYMENTS),
      INVENTORY, List.of(), PAYMENTS, List.of());

  static final String ORDER_ID = "order.id";
  static final String TIER_BAGGAGE = "customer.tier";
  static final String BUY_ROUTE = "/buy";
  static final String ORDERS_ROUTE = "/orders";
  static final String RESERVE_ROUTE = "/reserve";
  static final String CHARGE_ROUTE = "/charge";
  static final long SLOW_MILLIS = 250;
  static final long LOCK_WAIT_MILLIS = 300;
  private static final int THREADS = 16;

  private DemoShop() {}

  /** Payments declines one order in 20: orders 7, 27, 47, ... */
  static boolean paymentFails(long order) {
    return order % 20 == 7;
  }

  /** The card processor takes {@value #SLOW_MILLIS} ms for one order in 40: 19, 59, 99, ... */
  static boolean paymentSlow(long order) {
    return order % 40 == 19;
  }

  /** Inventory waits {@value #LOCK_WAIT_MILLIS} ms for a row lock on one order in 50. */
  static boolean stockSlow(long order) {
    return order % 50 == 33;
  }

  /** Inventory has no stock for one order in 30: 11, 41, 71, ... (never one payments declines). */
  static boolean outOfStock(long order) {
    return order % 30 == 11;
  }

  /** Gold customers: one in three, carried downstream as W3C baggage. */
  static String tier(long order) {
    return order % 3 == 0 ? "gold" : "standard";
  }

  /**
   * The server of {@code service}, routes installed, not started.
   *
   * @param downstream the base URI of each service it calls ({@link #CALLS})
   */
  static Running serve(String service, OpenTelemetry otel, Map<String, URI> downstream)
      throws IOException {
    DemoHttp.Server server = new DemoHttp.Server(service, otel, THREADS);
    DemoHttp.Client client = new DemoHttp.Client(service, otel);
    Tracer tracer = otel.getTracer("dev.cairn.demo." + service, VERSION);
    DemoEmail email = null;
    switch (service) {
      case GATEWAY -> server.route("GET", BUY_ROUTE, new Gateway(client,
          need(downstream, ORDERS))::buy);
      case ORDERS -> {
        email = new DemoEmail(otel, LogManager.getLogger("shop.orders.EmailSender"));
        server.route("POST", ORDERS_ROUTE, new Orders(tracer, client, email,
            need(downstream, INVENTORY), need(downstream, PAYMENTS))::place);
      }
      case INVENTORY -> server.route("POST", RESERVE_ROUTE, new Inventory(tracer)::reserve);
      case PAYMENTS -> server.route("POST", CHARGE_ROUTE, new Payments()::charge);
      default -> throw new IllegalArgumentException("unknown service " + service + "; one of "
          + SERVICES);
    }
    return new Running(server, client, email);
  }

  private static URI need(Map<String, URI> downstream, String service) {
    URI uri = downstream.get(service);
    if (uri == null) {
      throw new IllegalArgumentException("no address for " + service);
    }
    return uri;
  }

  /** A service's server and what it owns; {@link #stop} is bounded. */
  record Running(DemoHttp.Server server, DemoHttp.Client client, DemoEmail email) {
    void start() {
      if (email != null) {
        email.start();
      }
      server.start();
    }

    void stop(int graceSeconds) throws InterruptedException {
      server.stop(graceSeconds);
      if (email != null) {
        email.stop(2_000);
      }
      client.close();
    }
  }

  // ---------------------------------------------------------------- gateway

  private record Gateway(DemoHttp.Client client, URI orders) {
    private static final Logger LOG = LogManager.getLogger("shop.gateway.OrderController");

    DemoHttp.Reply buy(DemoHttp.Request request) throws Exception {
      String order = request.param("order");
      if (order == null || !order.matches("\\d{1,18}")) {
        LOG.warn("rejected a buy request without a valid order number: {}", order);
        return new DemoHttp.Reply(400, "order=<number> required\n");
      }
      long n = Long.parseLong(order);
      int items = (int) (n % 5) + 1;
      Cairn.bindBusinessKey(ORDER_ID, order);
      LOG.info("order {}: buy request for {}", order, items(items));
      work(1, 2);
      // Who the customer is travels with the request to every service, as W3C baggage.
      Baggage baggage = Baggage.current().toBuilder().put(TIER_BAGGAGE, tier(n)).build();
      DemoHttp.Response r;
      try (Scope scope = baggage.makeCurrent()) {
        r = client.post(orders.resolve(ORDERS_ROUTE), ORDERS_ROUTE,
            Map.of("order", order, "items", Integer.toString(items)));
      }
      return switch (r.status()) {
        case 200 -> {
          LOG.info("order {} placed", order);
          yield new DemoHttp.Reply(200, "order " + order + " placed\n");
        }
        case 409 -> {
          LOG.info("order {} not placed: {}", order, r.body().strip());
          yield new DemoHttp.Reply(409, r.body());
        }
        default -> {
          LOG.warn("order {} failed: orders answered {}", order, r.status());
          yield new DemoHttp.Reply(502, "order " + order + " failed: " + r.body());
        }
      };
    }
  }

  // ---------------------------------------------------------------- orders

  private record Orders(Tracer tracer, DemoHttp.Client client, DemoEmail email, URI inventory,
      URI payments) {
    private static final Logger LOG = LogManager.getLogger("shop.orders.OrderService");

    DemoHttp.Reply place(DemoHttp.Request request) throws Exception {
      String order = request.param("order");
      long n = Long.parseLong(order);
      String items = request.params().getOrDefault("items", "1");
      Cairn.bindBusinessKey(ORDER_ID, order);
      String tier = Baggage.current().getEntryValue(TIER_BAGGAGE);
      if (tier != null) {
        Span.current().setAttribute(TIER_BAGGAGE, tier);
      }
      LOG.info("placing order {} ({} items, {} customer)", order, items, tier);
      database(tracer, "INSERT", "orders",
          "INSERT INTO orders (id, items, status) VALUES (?, ?, 'new')", 1, 3);

      DemoHttp.Response stock = client.post(inventory.resolve(RESERVE_ROUTE), RESERVE_ROUTE,
          Map.of("order", order, "items", items));
      if (stock.status() == 409) {
        LOG.info("order {} cancelled: {}", order, stock.body().strip());
        database(tracer, "UPDATE", "orders",
            "UPDATE orders SET status = 'cancelled' WHERE id = ?", 1, 2);
        return new DemoHttp.Reply(409, stock.body());
      }
      if (stock.status() != 200) {
        LOG.warn("order {}: inventory answered {}", order, stock.status());
        return new DemoHttp.Reply(502, "inventory failed: " + stock.body());
      }

      String amount = String.format(Locale.ROOT, "%d.%02d", 10 + n % 90, (n * 37) % 100);
      DemoHttp.Response charge = client.post(payments.resolve(CHARGE_ROUTE), CHARGE_ROUTE,
          Map.of("order", order, "amount", amount, "currency", "EUR"));
      if (charge.status() != 200) {
        LOG.warn("payment failed for order {}: payments answered {}: {}", order,
            charge.status(), charge.body().strip());
        database(tracer, "UPDATE", "orders",
            "UPDATE orders SET status = 'payment_failed' WHERE id = ?", 1, 2);
        return new DemoHttp.Reply(502, "payment failed: " + charge.body());
      }
      database(tracer, "UPDATE", "orders", "UPDATE orders SET status = 'paid' WHERE id = ?", 1, 2);
      email.publish(order);
      LOG.info("order {} confirmed, {} EUR", order, amount);
      return new DemoHttp.Reply(200, "confirmed\n");
    }
  }

  // ---------------------------------------------------------------- inventory

  private record Inventory(Tracer tracer) {
    private static final Logger LOG = LogManager.getLogger("shop.inventory.StockService");

    DemoHttp.Reply reserve(DemoHttp.Request request) throws Exception {
      String order = request.param("order");
      long n = Long.parseLong(order);
      int items = Integer.parseInt(request.params().getOrDefault("items", "1"));
      Span.current().setAttribute("inventory.items", (long) items);
      Span.current().setAttribute("inventory.warehouse", "eu-central-1");
      if (stockSlow(n)) {
        LOG.warn("stock rows for order {} locked by another reservation: waiting", order);
      }
      database(tracer, "SELECT", "stock",
          "SELECT sku, available FROM stock WHERE sku IN (?) FOR UPDATE",
          stockSlow(n) ? LOCK_WAIT_MILLIS : 1, stockSlow(n) ? LOCK_WAIT_MILLIS : 2);
      if (outOfStock(n)) {
        LOG.info("order {}: out of stock for {}", order, items(items));
        return new DemoHttp.Reply(409, "out of stock\n");
      }
      database(tracer, "UPDATE", "stock",
          "UPDATE stock SET available = available - ? WHERE sku = ?", 1, 2);
      LOG.info("reserved {} for order {}", items(items), order);
      return new DemoHttp.Reply(200, "reserved\n");
    }
  }

  // ---------------------------------------------------------------- payments

  private record Payments() {
    private static final Logger LOG = LogManager.getLogger("shop.payments.CardProcessor");

    DemoHttp.Reply charge(DemoHttp.Request request) throws Exception {
      String order = request.param("order");
      long n = Long.parseLong(order);
      Span span = Span.current();
      span.setAttribute("payment.amount", Double.parseDouble(request.param("amount")));
      span.setAttribute("payment.currency", request.param("currency"));
      LOG.info("charging order {}: {} {}", order, request.param("amount"),
          request.param("currency"));
      if (paymentSlow(n)) {
        LOG.warn("card processor slow for order {}: waiting", order);
        Thread.sleep(SLOW_MILLIS);
      } else {
        work(2, 5);
      }
      if (paymentFails(n)) {
        Exception e = new TimeoutException("card processor did not confirm order " + order);
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, "card processor timeout");
        span.setAttribute("error.type", e.getClass().getName());
        LOG.error("charge failed for order {}", order, e);
        return new DemoHttp.Reply(502, "card processor timeout\n");
      }
      String authorization = Long.toString(n * 7919 % 1_000_000, 36).toUpperCase(Locale.ROOT);
      span.setAttribute("payment.authorization", authorization);
      LOG.info("order {} charged, authorization {}", order, authorization);
      return new DemoHttp.Reply(200, "authorized " + authorization + "\n");
    }
  }

  // ---------------------------------------------------------------- shared

  /**
   * A simulated database call: a CLIENT span named like the database conventions want
   * ({@code <operation> <table>}), taking between {@code min} and {@code max} ms.
   */
  private static void database(Tracer tracer, String operation, String table, String statement,
      long min, long max) throws InterruptedException {
    Span span = tracer.spanBuilder(operation + " " + table)
        .setSpanKind(SpanKind.CLIENT)
        .setAttribute("db.system", "postgresql")
        .setAttribute("db.namespace", "shop")
        .setAttribute("db.operation.name", operation)
        .setAttribute("db.collection.name", table)
        .setAttribute("db.statement", statement)
        .setAttribute("server.address", "shop-db")
        .setAttribute("server.port", 5432L)
        .startSpan();
    try (Scope scope = span.makeCurrent()) {
      work(min, max);
    } finally {
      span.end();
    }
  }

  private static String items(int n) {
    return n == 1 ? "1 item" : n + " items";
  }

  /** Simulated work: sleeps between {@code min} and {@code max} ms. */
  private static void work(long min, long max) throws InterruptedException {
    long ms = min >= max ? min : ThreadLocalRandom.current().nextLong(min, max + 1);
    if (ms > 0) {
      Thread.sleep(ms);
    }
  }

  private static String versionOf(Class<?> c) {
    String v = c.getPackage() == null ? null : c.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
