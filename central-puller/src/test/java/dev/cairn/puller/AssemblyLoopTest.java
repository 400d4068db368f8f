package dev.cairn.puller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.WriteResult;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AssemblyLoopTest {
  @TempDir Path state;

  /**
   * A slow store (Elasticsearch creating its indices) acknowledges the first write after more
   * than a second: the cursor it moves is saved at once, not at the next one-second save, so a
   * puller killed just after that write does not pull the host again from its start.
   */
  @Test
  void slowStore_cursorSavedAsSoonAsTheWriteIsAcknowledged() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicLong acknowledgedAt = new AtomicLong();
    SpanWriter slow = batch -> {
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted");
      }
      acknowledgedAt.set(System.nanoTime());
      return new WriteResult(batch.spans().size(), 0, batch.logs().size());
    };
    CursorStore cursors = new CursorStore(state);
    HostState host = new HostState(new PullerConfig.Host("A", "127.0.0.1", 1), 1);
    AssemblyLoop loop = new AssemblyLoop(
        TraceAssembler.builder(slow).quietMillis(0).writeBehind(true), cursors, Map.of(),
        new PullerMetrics(), () -> List.of(host), 1 << 20);
    long started = System.nanoTime();
    Thread t = new Thread(loop, "assembly");
    t.start();
    try {
      assertTrue(loop.offer(new AssemblyLoop.Decoded("A", 1, List.of(span(1, 1, 0)))));
      assertTrue(loop.offer(new AssemblyLoop.Decoded("A", 2, List.of(span(2, 2, 0)))));
      // The periodic save (1 s after the start) finds block 1 unacknowledged; release after it,
      // 0.7 s before the next one.
      Thread.sleep(Math.max(0, 1_300 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
      assertEquals(1L, cursors.load().getOrDefault("A", 1L), "nothing acknowledged yet");
      release.countDown();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (cursors.load().getOrDefault("A", 0L) != 3L && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      long savedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - acknowledgedAt.get());
      assertEquals(3L, cursors.load().get("A"), "both blocks acknowledged: the cursor is past them");
      assertTrue(savedAfterMillis < 400, "saved " + savedAfterMillis + " ms after the acknowledgement");
    } finally {
      release.countDown();
      loop.stop();
      t.join(20_000);
    }
  }

  private static SpanRecord span(long trace, long id, long parent) {
    return SpanRecord.builder().traceId(0, trace).spanId(id).parentSpanId(parent)
        .service("svc").name("op" + id).startMicros(1_700_000_000_000_000L + id)
        .durationMicros(100).build();
  }
}
