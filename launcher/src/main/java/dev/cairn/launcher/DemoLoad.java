package dev.cairn.launcher;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The shop's customers: {@code rate} orders a second, each a {@code GET /buy?order=N} to the
 * gateway at its planned time, until closed. The customers are not traced, so every order starts
 * a trace at the gateway. At most {@value #MAX_IN_FLIGHT} orders wait for an answer at once; an
 * order due while that many wait is not sent, and counted.
 */
final class DemoLoad implements AutoCloseable {
  static final int MAX_IN_FLIGHT = 256;
  /** The first order number. */
  static final long FIRST_ORDER = 1001;
  /** How long closing waits for orders still in flight. */
  private static final long DRAIN_SECONDS = 5;

  /**
   * What the customers saw so far.
   *
   * @param sent orders sent
   * @param placed answered 200
   * @param declined answered 502 (payments declined: the expected failure)
   * @param outOfStock answered 409
   * @param errors any other answer, an I/O error or a timeout
   * @param notSent not sent because {@value #MAX_IN_FLIGHT} orders were waiting
   */
  record Counts(long sent, long placed, long declined, long outOfStock, long errors,
      long notSent) {}

  private final URI gateway;
  private final int rate;
  private final ExecutorService pool = Executors.newCachedThreadPool(DemoHttp.threads("customer"));
  private final HttpClient client;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong placed = new AtomicLong();
  private final AtomicLong declined = new AtomicLong();
  private final AtomicLong outOfStock = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong notSent = new AtomicLong();
  private final Thread sender;
  private volatile boolean stopping;

  private DemoLoad(URI gateway, int rate) {
    this.gateway = gateway;
    this.rate = rate;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .executor(pool)
        .build();
    this.sender = new Thread(this::send, "customers");
    sender.setDaemon(true);
  }

  /** Starts placing {@code rate} orders a second at the gateway's base URI. */
  static DemoLoad start(URI gateway, int rate) {
    DemoLoad load = new DemoLoad(gateway, rate);
    load.sender.start();
    return load;
  }

  private void send() {
    long start = System.nanoTime();
    for (long i = 0; !stopping; i++) {
      long at = start + i * 1_000_000_000L / rate;
      for (long now; !stopping && (now = System.nanoTime()) < at; ) {
        LockSupport.parkNanos(at - now);
      }
      if (stopping) {
        return;
      }
      if (!inFlight.tryAcquire()) {
        notSent.incrementAndGet();
        continue;
      }
      HttpRequest request = HttpRequest.newBuilder(
              gateway.resolve(DemoShop.BUY_ROUTE + "?order=" + (FIRST_ORDER + i)))
          .timeout(DemoHttp.REQUEST_TIMEOUT)
          .header("User-Agent", "cairn-demo-customer/" + DemoShop.VERSION)
          .GET()
          .build();
      sent.incrementAndGet();
      try {
        client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
            .whenComplete((response, error) -> {
              AtomicLong counter = error != null ? errors : switch (response.statusCode()) {
                case 200 -> placed;
                case 502 -> declined;
                case 409 -> outOfStock;
                default -> errors;
              };
              counter.incrementAndGet();
              inFlight.release();
            });
      } catch (RuntimeException e) {
        errors.incrementAndGet();
        inFlight.release();
      }
    }
  }

  Counts counts() {
    return new Counts(sent.get(), placed.get(), declined.get(), outOfStock.get(), errors.get(),
        notSent.get());
  }

  /** Stops sending and waits a bounded time for the orders still in flight. */
  @Override
  public void close() throws InterruptedException {
    stopping = true;
    sender.interrupt();
    sender.join(TimeUnit.SECONDS.toMillis(DRAIN_SECONDS));
    inFlight.tryAcquire(MAX_IN_FLIGHT, DRAIN_SECONDS, TimeUnit.SECONDS);
    pool.shutdownNow();
  }
}
