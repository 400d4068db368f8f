package dev.cairn.launcher;

import java.io.PrintWriter;
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
 * The shop's customers: {@code rate} orders a second for {@code seconds}, each a
 * {@code GET /buy?order=N} to the frontend at its planned time. The customers are not traced, so
 * every order starts a trace at the frontend. At most {@value #MAX_IN_FLIGHT} orders wait for an
 * answer at once; an order due while that many wait is not sent, and counted.
 */
final class DemoLoad {
  static final int MAX_IN_FLIGHT = 256;
  /** The first order number; order N is the (N - FIRST_ORDER + 1)th request. */
  static final long FIRST_ORDER = 1001;
  /** How long the end of the run waits for orders still in flight. */
  private static final long DRAIN_SECONDS = 15;

  /**
   * What the customers saw.
   *
   * @param due orders due in the run: seconds × rate
   * @param placed answered 200
   * @param failed answered 502 (payments declined, the expected failure)
   * @param errors any other answer, an I/O error or a timeout
   * @param notSent not sent because {@value #MAX_IN_FLIGHT} orders were waiting
   * @param unanswered still without an answer when the run stopped waiting
   * @param nanos how long sending took
   */
  record Result(long due, long placed, long failed, long errors, long notSent, long unanswered,
      long nanos) {}

  private DemoLoad() {}

  static Result run(DemoShop shop, int seconds, int rate, PrintWriter out)
      throws InterruptedException {
    ExecutorService pool = Executors.newCachedThreadPool(DemoHttp.threads("customer"));
    try {
      HttpClient client = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .executor(pool)
          .build();
      Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
      AtomicLong placed = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicLong errors = new AtomicLong();
      long notSent = 0;
      long due = (long) seconds * rate;
      long start = System.nanoTime();
      long nextReport = start + TimeUnit.SECONDS.toNanos(1);
      for (long i = 0; i < due; i++) {
        long at = start + i * 1_000_000_000L / rate;
        for (long now; (now = System.nanoTime()) < at; ) {
          if (now >= nextReport) {
            progress(out, (now - start) / 1_000_000_000L, i, placed, failed, errors);
            nextReport += TimeUnit.SECONDS.toNanos(1);
          }
          LockSupport.parkNanos(Math.min(at, nextReport) - now);
        }
        if (!inFlight.tryAcquire()) {
          notSent++;
          continue;
        }
        HttpRequest request = HttpRequest.newBuilder(shop.buyUri(DemoLoad.FIRST_ORDER + i))
            .timeout(DemoHttp.REQUEST_TIMEOUT)
            .header("User-Agent", "cairn-demo-customer/" + DemoShop.VERSION)
            .GET()
            .build();
        try {
          client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .whenComplete((response, error) -> {
                if (error != null) {
                  errors.incrementAndGet();
                } else if (response.statusCode() == 200) {
                  placed.incrementAndGet();
                } else if (response.statusCode() == 502) {
                  failed.incrementAndGet();
                } else {
                  errors.incrementAndGet();
                }
                inFlight.release();
              });
        } catch (RuntimeException e) {
          errors.incrementAndGet();
          inFlight.release();
        }
      }
      long sending = System.nanoTime() - start;
      int unanswered = 0;
      if (!inFlight.tryAcquire(MAX_IN_FLIGHT, DRAIN_SECONDS, TimeUnit.SECONDS)) {
        unanswered = MAX_IN_FLIGHT - inFlight.availablePermits();
      }
      progress(out, (System.nanoTime() - start) / 1_000_000_000L, due, placed, failed, errors);
      return new Result(due, placed.get(), failed.get(), errors.get(), notSent, unanswered,
          sending);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void progress(PrintWriter out, long second, long sent, AtomicLong placed,
      AtomicLong failed, AtomicLong errors) {
    out.printf("  %3d s  %6d orders  %6d placed  %4d failed%s%n", second, sent, placed.get(),
        failed.get(), errors.get() == 0 ? "" : "  " + errors.get() + " errors");
    out.flush();
  }
}
