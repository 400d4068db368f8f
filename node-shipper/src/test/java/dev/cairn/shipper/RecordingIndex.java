package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** A {@link TraceIndex} that only records which sequence numbers it was given, with their sizes. */
final class RecordingIndex implements TraceIndex {
  final List<Long> seqs = new ArrayList<>();
  final List<Integer> sizes = new ArrayList<>();

  @Override
  public void add(long seq, ByteBuffer block) {
    seqs.add(seq);
    sizes.add(block.remaining());
  }

  @Override
  public long[] find(long traceIdHigh, long traceIdLow) {
    return new long[0];
  }

  @Override
  public void retainFrom(long firstSeq) {}

  @Override
  public long durableSeq() {
    return seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
  }

  @Override
  public void close() {}
}
