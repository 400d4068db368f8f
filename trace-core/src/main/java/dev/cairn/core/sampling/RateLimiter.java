package dev.cairn.core.sampling;

import dev.cairn.core.sampling.SamplingConfig.GroupBy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Admits at most N roots per fixed window per group. Windows are counted from an origin taken
 * from the clock when the limiter was first made, so window {@code k} is {@code [origin + k *
 * window, origin + (k + 1) * window)}.
 *
 * <p>Each group's state is one {@link AtomicLong} holding the window index in its high 40 bits
 * and the count admitted in that window in its low 24 bits, so admitting is one CAS and resetting
 * at a window boundary is the same CAS: no timer thread, no lock, no allocation once the group
 * exists. At most {@link #MAX_GROUPS} groups beyond those with a configured limit get their own
 * state; further names share one overflow group with the default limit, which bounds memory when
 * span names carry IDs and also caps what such a flood can add together.
 */
final class RateLimiter {

  static final int MAX_GROUPS = 1024;

  private static final int COUNT_BITS = 24;
  private static final long COUNT_MASK = (1L << COUNT_BITS) - 1;
  private static final long WINDOW_MASK = (1L << (64 - COUNT_BITS)) - 1;

  private final GroupBy groupBy;
  private final long windowNanos;
  private final int defaultLimit;
  private final Map<String, Integer> overrides;
  private final LongSupplier nanoClock;
  private final long originNanos;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Bucket overflow;
  private int dynamicGroups; // guarded by this

  private RateLimiter(SamplingConfig config, LongSupplier nanoClock, long originNanos,
      AtomicLong overflowState) {
    this.groupBy = config.rateLimitGroupBy();
    this.windowNanos = config.rateLimitWindowMillis() * 1_000_000L;
    this.defaultLimit = config.rateLimitPerWindow();
    this.overrides = config.rateLimitGroups();
    this.nanoClock = nanoClock;
    this.originNanos = originNanos;
    this.overflow = new Bucket(defaultLimit, overflowState);
    overrides.forEach((group, limit) -> buckets.put(group, new Bucket(limit, new AtomicLong())));
  }

  /** A limiter with fresh state. */
  static RateLimiter create(SamplingConfig config, LongSupplier nanoClock) {
    return new RateLimiter(config, nanoClock, nanoClock.getAsLong(), new AtomicLong());
  }

  /**
   * A limiter for a new configuration. When the window length and the grouping are unchanged the
   * groups keep their counts, so raising or lowering a limit takes effect within the current
   * window instead of granting a fresh budget; otherwise old counts would mean something else and
   * the state starts afresh.
   */
  RateLimiter reconfigure(SamplingConfig config) {
    if (config.rateLimitGroupBy() != groupBy
        || config.rateLimitWindowMillis() * 1_000_000L != windowNanos) {
      return create(config, nanoClock);
    }
    RateLimiter next = new RateLimiter(config, nanoClock, originNanos, overflow.state);
    synchronized (this) {
      for (Map.Entry<String, Bucket> e : buckets.entrySet()) {
        String group = e.getKey();
        AtomicLong state = e.getValue().state;
        Integer override = next.overrides.get(group);
        if (override != null) {
          next.buckets.put(group, new Bucket(override, state));
        } else if (next.defaultLimit > 0 && next.dynamicGroups < MAX_GROUPS) {
          next.buckets.put(group, new Bucket(next.defaultLimit, state));
          next.dynamicGroups++;
        }
      }
    }
    return next;
  }

  /** Whether a new root in this scope and with this span name may be sampled; counts it if so. */
  boolean tryAcquire(String scopeName, String spanName) {
    Bucket bucket;
    switch (groupBy) {
      case SCOPE:
        bucket = bucketFor(scopeName);
        break;
      case SPAN:
        bucket = bucketFor(spanName);
        break;
      default:
        bucket = overflow;
        break;
    }
    return bucket == null || bucket.tryAcquire(currentWindow());
  }

  /** The bucket of a group, or null when the group is unlimited and needs no state. */
  private Bucket bucketFor(String group) {
    Bucket bucket = buckets.get(group);
    if (bucket != null) {
      return bucket;
    }
    return defaultLimit == 0 ? null : newBucket(group);
  }

  private Bucket newBucket(String group) {
    // Once full, every unknown name lands here on each call: stay lock-free for them.
    if (dynamicGroupsFull()) {
      return overflow;
    }
    synchronized (this) {
      Bucket bucket = buckets.get(group);
      if (bucket != null) {
        return bucket;
      }
      if (dynamicGroups >= MAX_GROUPS) {
        return overflow;
      }
      bucket = new Bucket(defaultLimit, new AtomicLong());
      buckets.put(group, bucket);
      dynamicGroups++;
      return bucket;
    }
  }

  private boolean dynamicGroupsFull() {
    return buckets.size() - overrides.size() >= MAX_GROUPS;
  }

  private long currentWindow() {
    long elapsed = nanoClock.getAsLong() - originNanos;
    return elapsed <= 0 ? 0 : (elapsed / windowNanos) & WINDOW_MASK;
  }

  /** Number of groups with their own state, for tests. */
  int trackedGroups() {
    return buckets.size();
  }

  private static final class Bucket {
    final int limit;
    final AtomicLong state;

    Bucket(int limit, AtomicLong state) {
      this.limit = limit;
      this.state = state;
    }

    boolean tryAcquire(long window) {
      if (limit == 0) {
        return true;
      }
      for (;;) {
        long current = state.get();
        long currentWindow = current >>> COUNT_BITS;
        // A thread that read the clock just before a boundary must not drag the group back into
        // the old window and so reset the new window's count: the later window wins.
        long w = Math.max(window, currentWindow);
        long count = w == currentWindow ? current & COUNT_MASK : 0;
        if (count >= limit) {
          return false;
        }
        if (state.compareAndSet(current, (w << COUNT_BITS) | (count + 1))) {
          return true;
        }
      }
    }
  }
}
