package dev.cairn.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.sampling.SamplingConfig.GroupBy;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final long WINDOW_NANOS = 3_000_000_000L;

  private final AtomicLong nanos = new AtomicLong(-5_000_000_000L); // nanoTime may be negative

  private RateLimiter limiter(SamplingConfig.Builder config) {
    return RateLimiter.create(config.build(), nanos::get);
  }

  private static int admitted(RateLimiter limiter, String scope, int attempts) {
    int admitted = 0;
    for (int i = 0; i < attempts; i++) {
      admitted += limiter.tryAcquire(scope, "span") ? 1 : 0;
    }
    return admitted;
  }

  @Test
  void rateLimit_allowsAtMostNPerWindowPerGroup() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(5));
    assertEquals(5, admitted(limiter, "a", 100));
    nanos.addAndGet(WINDOW_NANOS - 1); // still the same window
    assertEquals(0, admitted(limiter, "a", 100));
  }

  @Test
  void rateLimit_resetsInTheNextWindow() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(5));
    assertEquals(5, admitted(limiter, "a", 100));
    nanos.addAndGet(WINDOW_NANOS); // exactly the boundary opens the next window
    assertEquals(5, admitted(limiter, "a", 100));
    nanos.addAndGet(10 * WINDOW_NANOS); // windows skipped entirely
    assertEquals(5, admitted(limiter, "a", 100));
  }

  @Test
  void rateLimit_windowLengthIsConfigurable() {
    RateLimiter limiter =
        limiter(SamplingConfig.builder().rateLimitPerWindow(1).rateLimitWindowMillis(100));
    assertEquals(1, admitted(limiter, "a", 10));
    nanos.addAndGet(100_000_000L);
    assertEquals(1, admitted(limiter, "a", 10));
  }

  @Test
  void rateLimit_groupsAreIndependent() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(3));
    assertEquals(3, admitted(limiter, "a", 10));
    assertEquals(3, admitted(limiter, "b", 10));
    assertEquals(0, admitted(limiter, "a", 10));
  }

  @Test
  void rateLimit_groupOverrideReplacesDefaultAndZeroMeansUnlimited() {
    RateLimiter limiter = limiter(SamplingConfig.builder()
        .rateLimitPerWindow(2).rateLimitGroup("busy", 7).rateLimitGroup("free", 0));
    assertEquals(2, admitted(limiter, "other", 100));
    assertEquals(7, admitted(limiter, "busy", 100));
    assertEquals(100, admitted(limiter, "free", 100));
  }

  @Test
  void rateLimit_unlimitedDefaultStillLimitsOverriddenGroupsAndTracksNoOthers() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitGroup("busy", 4));
    assertEquals(4, admitted(limiter, "busy", 100));
    assertEquals(100, admitted(limiter, "other", 100));
    assertEquals(1, limiter.trackedGroups());
  }

  @Test
  void rateLimit_groupBySpanUsesSpanName() {
    RateLimiter limiter =
        limiter(SamplingConfig.builder().rateLimitPerWindow(1).rateLimitGroupBy(GroupBy.SPAN));
    assertTrue(limiter.tryAcquire("scope", "GET /a"));
    assertFalse(limiter.tryAcquire("another-scope", "GET /a"));
    assertTrue(limiter.tryAcquire("scope", "GET /b"));
  }

  @Test
  void rateLimit_groupByNoneSharesOneBudget() {
    RateLimiter limiter =
        limiter(SamplingConfig.builder().rateLimitPerWindow(2).rateLimitGroupBy(GroupBy.NONE));
    assertTrue(limiter.tryAcquire("a", "x"));
    assertTrue(limiter.tryAcquire("b", "y"));
    assertFalse(limiter.tryAcquire("c", "z"));
    assertEquals(0, limiter.trackedGroups());
  }

  @Test
  void rateLimit_boundsTrackedGroupsAndExtraGroupsShareOneOverflowBudget() {
    RateLimiter limiter =
        limiter(SamplingConfig.builder().rateLimitPerWindow(1).rateLimitGroup("named", 1));
    for (int i = 0; i < RateLimiter.MAX_GROUPS; i++) {
      assertTrue(limiter.tryAcquire("g" + i, "span"), "group " + i);
    }
    assertEquals(RateLimiter.MAX_GROUPS + 1, limiter.trackedGroups());

    assertTrue(limiter.tryAcquire("extra-1", "span"), "overflow group has the default budget");
    assertFalse(limiter.tryAcquire("extra-2", "span"), "and shares it among all extra groups");
    assertFalse(limiter.tryAcquire("extra-1", "span"));
    assertEquals(RateLimiter.MAX_GROUPS + 1, limiter.trackedGroups());
    assertTrue(limiter.tryAcquire("named", "span"), "a configured group keeps its own budget");

    nanos.addAndGet(WINDOW_NANOS);
    assertTrue(limiter.tryAcquire("extra-3", "span"));
    assertTrue(limiter.tryAcquire("g0", "span"));
  }

  @Test
  void rateLimit_lateClockReadCannotReopenAnOlderWindow() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(2));
    nanos.addAndGet(WINDOW_NANOS);
    assertEquals(2, admitted(limiter, "a", 10));
    // A thread that read the clock before the boundary arrives after the new window began.
    nanos.addAndGet(-1);
    assertFalse(limiter.tryAcquire("a", "span"));
    nanos.addAndGet(1);
    assertFalse(limiter.tryAcquire("a", "span"), "the new window's count was not reset");
  }

  @Test
  void rateLimit_twoThreadsAdmitExactlyNPerWindow() throws Exception {
    // Each thread alone could fill the window, so both contend for the whole of it.
    int limit = 50_000;
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(limit));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int window = 0; window < 5; window++) {
        CyclicBarrier start = new CyclicBarrier(2);
        Future<Integer> a = pool.submit(() -> {
          start.await();
          return admitted(limiter, "shared", limit);
        });
        Future<Integer> b = pool.submit(() -> {
          start.await();
          return admitted(limiter, "shared", limit);
        });
        int total = a.get(30, TimeUnit.SECONDS) + b.get(30, TimeUnit.SECONDS);
        assertEquals(limit, total, "window " + window);
        nanos.addAndGet(WINDOW_NANOS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void reconfigure_keepsCountsUnderNewLimitsWhenWindowAndGroupingUnchanged() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(3));
    assertEquals(3, admitted(limiter, "a", 10));
    RateLimiter lower = limiter.reconfigure(SamplingConfig.builder().rateLimitPerWindow(2).build());
    assertEquals(0, admitted(lower, "a", 10));
    RateLimiter higher =
        lower.reconfigure(SamplingConfig.builder().rateLimitGroup("a", 5).rateLimitPerWindow(2).build());
    assertEquals(2, admitted(higher, "a", 10));
    nanos.addAndGet(WINDOW_NANOS);
    assertEquals(5, admitted(higher, "a", 10));
  }

  @Test
  void reconfigure_startsFreshWhenGroupingChanges() {
    RateLimiter limiter = limiter(SamplingConfig.builder().rateLimitPerWindow(1));
    assertEquals(1, admitted(limiter, "span", 10)); // scope "span" spent its budget
    RateLimiter bySpan = limiter.reconfigure(
        SamplingConfig.builder().rateLimitPerWindow(1).rateLimitGroupBy(GroupBy.SPAN).build());
    assertEquals(1, admitted(bySpan, "x", 10)); // span name "span": a different group now
  }
}
