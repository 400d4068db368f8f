package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanView;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaneTest {

  @Test
  void full_refusesWithoutWaiting_andTakesMoreOnceDrained() {
    Lane lane = new Lane(4, 4);
    for (int i = 1; i <= 4; i++) {
      assertTrue(lane.offer(TestSpans.simple(1, i)));
    }
    assertFalse(lane.offer(TestSpans.simple(1, 5)));
    assertEquals(4, lane.size());

    List<SpanView> out = new ArrayList<>();
    assertEquals(2, lane.drain(r -> out.add((SpanView) r), 2));
    assertTrue(lane.offer(TestSpans.simple(1, 6)));
    assertTrue(lane.offer(TestSpans.simple(1, 7)));
    assertFalse(lane.offer(TestSpans.simple(1, 8)));
    assertEquals(4, lane.drain(r -> out.add((SpanView) r), 100));
    assertEquals(0, lane.drain(r -> out.add((SpanView) r), 100));
    assertEquals(List.of(1L, 2L, 3L, 4L, 6L, 7L), out.stream().map(SpanView::spanId).toList());
    assertEquals(0, lane.size());
    for (Object slot : lane.buffer) {
      assertNull(slot, "drained slots keep no reference to a span");
    }
  }

  @Test
  void logSlots_travelInOrderWithSpans_areReusedOnceHandled_andBoundTheLogsInFlight() {
    Lane lane = new Lane(8, 2);
    assertTrue(lane.offer(TestSpans.simple(1, 1)));
    Slot first = lane.claimLog();
    first.kind = Slot.LOG;
    lane.publishLog(first);
    Slot second = lane.claimLog();
    second.kind = Slot.LOG;
    lane.publishLog(second);
    assertNull(lane.claimLog(), "both log slots in flight");
    assertTrue(lane.offer(TestSpans.simple(1, 2)), "spans still fit");

    List<Object> out = new ArrayList<>();
    lane.drain(r -> {
      out.add(r);
      if (r instanceof Slot s) {
        s.clear(); // what the writer does once it has encoded the line
      }
    }, 100);
    assertEquals(4, out.size());
    assertEquals(1L, ((SpanView) out.get(0)).spanId());
    assertTrue(out.get(1) == first && out.get(2) == second);
    assertEquals(2L, ((SpanView) out.get(3)).spanId());
    assertTrue(lane.claimLog() == first, "the oldest handled slot is reused");
  }

  @Test
  void oneProducerOneConsumer_everySpanOnceInOrder() throws Exception {
    Lane lane = new Lane(64, 64);
    int n = 200_000;
    SpanView[] spans = new SpanView[n];
    for (int i = 0; i < n; i++) {
      spans[i] = TestSpans.simple(1, i + 1);
    }
    long[] refused = new long[1];
    Thread producer = new Thread(() -> {
      for (SpanView s : spans) {
        while (!lane.offer(s)) {
          refused[0]++;
          Thread.onSpinWait();
        }
      }
    });
    producer.start();
    List<SpanView> out = new ArrayList<>(n);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (out.size() < n && System.nanoTime() < deadline) {
      if (lane.drain(r -> out.add((SpanView) r), 16) == 0) {
        Thread.onSpinWait();
      }
    }
    producer.join(5_000);
    assertEquals(n, out.size());
    for (int i = 0; i < n; i++) {
      assertEquals(i + 1, out.get(i).spanId(), "position " + i);
    }
  }
}
