package dev.cairn.shipper;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * Real blocks of generated spans and log lines for the index's tests: block i is journaled as seq
 * i + 1. Some traces run over several blocks (a span continues one of the recent traces), and the
 * expected blocks of every trace are known.
 */
final class IndexWorkload {
  record Trace(long high, long low) {}

  final List<ByteBuffer> blocks = new ArrayList<>();
  final Map<Trace, TreeSet<Long>> seqsByTrace = new LinkedHashMap<>();
  final Map<Long, List<Trace>> tracesBySeq = new HashMap<>();

  /**
   * @param blocks how many blocks
   * @param spansPerBlock spans per block (plus a log line for about one span in five)
   */
  static IndexWorkload generate(long seed, int blocks, int spansPerBlock) {
    IndexWorkload w = new IndexWorkload();
    TestSpans spans = new TestSpans(seed);
    Random random = new Random(seed ^ 0x5DEECE66DL);
    List<Trace> recent = new ArrayList<>();
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    for (int b = 0; b < blocks; b++) {
      long seq = b + 1L;
      for (int i = 0; i < spansPerBlock; i++) {
        Trace t;
        if (!recent.isEmpty() && random.nextInt(10) < 3) {
          t = recent.get(random.nextInt(recent.size()));
        } else {
          // Time-prefixed like Cairn's own IDs: neighbours share their high half's top bits.
          t = new Trace((1_763_700_000L + b) << 32 | (random.nextInt() & 0xFFFFFFFFL), random.nextLong());
          recent.add(t);
          if (recent.size() > 50) {
            recent.remove(0);
          }
        }
        SpanRecord s = spans.httpServerSpan().toBuilder().traceId(t.high(), t.low()).build();
        check(enc.addSpan(s));
        if (random.nextInt(5) == 0) {
          LogRecord l = spans.log(s);
          check(enc.addLog(l));
        }
        w.seqsByTrace.computeIfAbsent(t, k -> new TreeSet<>()).add(seq);
        w.tracesBySeq.computeIfAbsent(seq, k -> new ArrayList<>()).add(t);
      }
      w.blocks.add(copy(enc.finish()));
    }
    return w;
  }

  static ByteBuffer copy(ByteBuffer b) {
    byte[] bytes = new byte[b.remaining()];
    b.duplicate().get(bytes);
    return ByteBuffer.wrap(bytes);
  }

  private static void check(boolean encoded) {
    if (!encoded) {
      throw new IllegalStateException("record not encoded");
    }
  }

  ByteBuffer block(long seq) {
    return blocks.get((int) (seq - 1)).duplicate();
  }

  long lastSeq() {
    return blocks.size();
  }

  /** Feeds blocks {@code from..to} to the index, as the shipper does. */
  void feed(TraceIndex index, long from, long to) {
    for (long seq = from; seq <= to; seq++) {
      index.add(seq, block(seq));
    }
  }

  /** The blocks of every trace, restricted to {@code fromSeq..toSeq}, as the index should report them. */
  static long[] expected(TreeSet<Long> seqs, long fromSeq, long toSeq) {
    return seqs.subSet(fromSeq, true, toSeq, true).stream().mapToLong(Long::longValue).toArray();
  }

  static String describe(Trace t, long[] seqs) {
    return String.format("trace %016x%016x blocks %s", t.high(), t.low(), Arrays.toString(seqs));
  }
}
