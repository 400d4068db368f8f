package dev.cairn.launcher;

import java.io.Closeable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** What the daemon commands share: running a started daemon until SIGTERM/SIGINT or a stop request. */
final class Daemons {
  private static final Logger LOG = LogManager.getLogger(Daemons.class);

  private Daemons() {}

  /**
   * Blocks until {@code stopRequested} opens or the JVM is asked to stop (SIGTERM, SIGINT: they
   * arrive in a shutdown hook, which closes the daemon in order while the JVM waits for it), then
   * closes the daemon exactly once.
   *
   * @param what the daemon's name for logs ("shipper")
   * @param closeTimeoutSeconds how long a signal waits for the close when it races a stop request
   */
  static void runUntilStopped(String what, Closeable daemon, CountDownLatch stopRequested,
      long closeTimeoutSeconds) throws InterruptedException {
    CountDownLatch closed = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      LOG.info("Signal received: stopping the {}", what);
      closeQuietly(what, daemon);
      closed.countDown();
    }, "cairn-" + what + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      stopRequested.await();
    } finally {
      // Stopped without a signal (tests): close here, and take the hook back.
      if (closed.getCount() > 0) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
          closeQuietly(what, daemon);
        } catch (IllegalStateException e) {
          // The JVM is shutting down after all: the hook closes the daemon.
          closed.await(closeTimeoutSeconds, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static void closeQuietly(String what, Closeable daemon) {
    try {
      daemon.close();
    } catch (Exception e) {
      LOG.error("Stopping the {} failed: {}", what, e.toString(), e);
    }
  }
}
