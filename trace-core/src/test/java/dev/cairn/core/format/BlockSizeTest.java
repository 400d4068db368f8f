package dev.cairn.core.format;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.testing.TestSpans;
import org.junit.jupiter.api.Test;

/**
 * Guards the on-disk size of spans. A size, not a speed: the encoding of a seeded input is
 * deterministic, so this cannot flake. The figure for spans made by Cairn's tracer is in
 * {@code dev.cairn.SpanBytesTest}.
 */
class BlockSizeTest {
  static double bytesPerSpan(int level, int spans) {
    TestSpans gen = new TestSpans(3);
    BlockEncoder enc = new BlockEncoder(64 * 1024, level);
    long total = 0;
    for (int i = 0; i < spans; i++) {
      enc.addSpan(gen.httpServerSpan());
      if (enc.isFull()) {
        total += enc.finish().remaining();
      }
    }
    if (!enc.isEmpty()) {
      total += enc.finish().remaining();
    }
    return (double) total / spans;
  }

  @Test
  void fullyRandomIds_highCompressionBeatsFast() {
    double fast = bytesPerSpan(0, 20_000);
    double high = bytesPerSpan(BlockEncoder.DEFAULT_LEVEL, 20_000);
    System.out.printf("HTTP server span with fully random 128-bit trace IDs: fast %.1f, level %d %.1f bytes/span%n",
        fast, BlockEncoder.DEFAULT_LEVEL, high);
    assertTrue(high < fast, high + " vs " + fast);
    assertTrue(high <= 46, "bytes per span grew to " + high);
  }
}
