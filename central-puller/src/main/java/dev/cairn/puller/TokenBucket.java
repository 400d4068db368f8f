package dev.cairn.puller;

/**
 * Bytes per second shared by every pull job. A job takes what it received after the fact (it
 * cannot know a batch's size before), so the balance may go negative; the next taker then sleeps
 * until it is positive again. The burst is one second's worth. Rate 0: unlimited.
 */
final class TokenBucket {
  private final long rate;
  private double tokens;
  private long lastNanos = System.nanoTime();

  TokenBucket(long bytesPerSecond) {
    this.rate = bytesPerSecond;
    this.tokens = bytesPerSecond;
  }

  /** Sleeps while the balance is negative, then takes {@code bytes}. */
  void take(long bytes) throws InterruptedException {
    if (rate <= 0) {
      return;
    }
    long waitNanos;
    synchronized (this) {
      refill();
      waitNanos = tokens < 0 ? (long) (-tokens * 1e9 / rate) : 0;
      tokens -= bytes;
    }
    if (waitNanos > 0) {
      Thread.sleep(waitNanos / 1_000_000, (int) (waitNanos % 1_000_000));
    }
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(rate, tokens + (now - lastNanos) * rate / 1e9);
    lastNanos = now;
  }
}
