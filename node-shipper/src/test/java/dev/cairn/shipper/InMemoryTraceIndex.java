package dev.cairn.shipper;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/** A {@link TraceIndex} in a map, for the pull server's tests: decodes every block it is given. */
final class InMemoryTraceIndex implements TraceIndex {
  private final Map<String, TreeSet<Long>> seqsByTrace = new HashMap<>();
  private final BlockDecoder decoder = new BlockDecoder();
  private long durableSeq;

  @Override
  public synchronized void add(long seq, ByteBuffer block) {
    byte[] bytes = new byte[block.remaining()];
    block.duplicate().get(bytes);
    try {
      decoder.decode(Block.wrap(0, bytes), new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          put(span.traceIdHigh(), span.traceIdLow(), seq);
        }

        @Override
        public void log(LogRecord log) {
          put(log.traceIdHigh(), log.traceIdLow(), seq);
        }
      });
    } catch (FormatException e) {
      throw new IllegalArgumentException("test index given a bad block", e);
    }
    durableSeq = seq;
  }

  private void put(long high, long low, long seq) {
    seqsByTrace.computeIfAbsent(high + ":" + low, k -> new TreeSet<>()).add(seq);
  }

  @Override
  public synchronized long[] find(long traceIdHigh, long traceIdLow) {
    TreeSet<Long> s = seqsByTrace.get(traceIdHigh + ":" + traceIdLow);
    return s == null ? new long[0] : s.stream().mapToLong(Long::longValue).toArray();
  }

  @Override
  public synchronized void retainFrom(long firstSeq) {
    seqsByTrace.values().forEach(s -> s.headSet(firstSeq).clear());
  }

  @Override
  public synchronized long durableSeq() {
    return durableSeq;
  }

  @Override
  public void close() {}
}
