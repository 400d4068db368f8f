package dev.cairn.shipper;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Measures the trace index at the scale of a busy host's day (not a test: run by hand, about a
 * minute on two cores). See docs/shipper-index.md for the figures and the command.
 *
 * <ol>
 *   <li>add() on real 64 KiB blocks (~490 HTTP spans, ~86 distinct traces each): cost per block,
 *       and the spans per second of ingest that leaves.
 *   <li>A day's index synthesised directly as segment files (indexing 3.5 million real blocks
 *       would take far longer than a minute): {@code -Dpairs} (trace, block) entries, 86 per block,
 *       a third of them traces continuing from the last 100 blocks, sealed every
 *       {@code -DsegmentEntries} entries exactly as the index seals them. Then: open time
 *       (every CRC checked), heap, bytes on disk per block, and find() latency for known and
 *       unknown traces with the files in the page cache, and again after evicting them from it
 *       ({@code dd iflag=nocache}) when {@code -Dcold=true}.
 * </ol>
 *
 * Properties: {@code -Dpairs=300000000 -DsegmentEntries=4194304 -Ddir=/tmp/cairn-index-measure
 * -Dcold=true}.
 */
public final class TraceIndexMeasure {
  private static final int TRACES_PER_BLOCK = 86;
  private static final int SPANS_PER_BLOCK = 490;

  private TraceIndexMeasure() {}

  public static void main(String[] args) throws Exception {
    long pairs = Long.getLong("pairs", 300_000_000L);
    int segmentEntries = Integer.getInteger("segmentEntries", SegmentedTraceIndex.DEFAULT_SEGMENT_ENTRIES);
    Path dir = Path.of(System.getProperty("dir", "/tmp/cairn-index-measure"));
    boolean cold = Boolean.parseBoolean(System.getProperty("cold", "true"));
    deleteTree(dir);
    Files.createDirectories(dir);
    try {
      measureAdd(dir.resolve("add"));
      long[][] known = measureDay(dir.resolve("day"), pairs, segmentEntries);
      if (cold) {
        measureCold(dir.resolve("day"), known[0], known[1]);
      }
    } finally {
      deleteTree(dir);
    }
  }

  // --- add() on real blocks -------------------------------------------------------------------

  private static void measureAdd(Path dir) throws Exception {
    List<ByteBuffer> blocks = realBlocks(400);
    long bytes = 0;
    long records = 0;
    for (ByteBuffer b : blocks) {
      bytes += b.remaining();
      records += b.getInt(16);
    }
    System.out.printf("real blocks: %d of %.1f KiB on average, %d records each (%d spans + logs), %d traces each%n",
        blocks.size(), bytes / 1024.0 / blocks.size(), records / blocks.size(), SPANS_PER_BLOCK, TRACES_PER_BLOCK);

    BlockTraceIds ids = new BlockTraceIds();
    long sink = 0;
    for (int round = 0; round < 20; round++) {
      for (ByteBuffer b : blocks) {
        sink += ids.read(b);
      }
    }
    long t0 = System.nanoTime();
    int reads = 0;
    for (int round = 0; round < 25; round++) {
      for (ByteBuffer b : blocks) {
        sink += ids.read(b);
        reads++;
      }
    }
    double readMicros = (System.nanoTime() - t0) / 1e3 / reads;

    try (SegmentedTraceIndex index = SegmentedTraceIndex.builder(dir).open()) {
      long seq = 0;
      for (int round = 0; round < 10; round++) {
        for (ByteBuffer b : blocks) {
          index.add(++seq, b.duplicate());
        }
      }
      t0 = System.nanoTime();
      long from = seq;
      // About 4 million entries: the in-memory segment fills and is sealed once in the background.
      for (int round = 0; round < 130; round++) {
        for (ByteBuffer b : blocks) {
          index.add(++seq, b.duplicate());
        }
      }
      long n = seq - from;
      double addMicros = (System.nanoTime() - t0) / 1e3 / n;
      System.out.printf("BlockTraceIds.read: %.1f µs per block%n", readMicros);
      System.out.printf("add(): %.1f µs per block (%d blocks) = %.0f blocks/s = %.1f M spans/s on one core "
          + "(sink %d)%n", addMicros, n, 1e6 / addMicros, SPANS_PER_BLOCK * 1e6 / addMicros / 1e6, sink);
      index.awaitSeals();
      System.out.printf("  index after it: %s%n", index.stats());
    }
  }

  /** Blocks like a busy service's: 64 KiB of HTTP spans, ~86 traces of ~6 spans each, some logs. */
  private static List<ByteBuffer> realBlocks(int count) {
    TestSpans spans = new TestSpans(1);
    Random random = new Random(2);
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    List<ByteBuffer> blocks = new ArrayList<>();
    long[][] traces = new long[TRACES_PER_BLOCK][2];
    for (int b = 0; b < count; b++) {
      for (long[] t : traces) {
        t[0] = (1_763_700_000L + b / 40) << 32 | (random.nextInt() & 0xFFFFFFFFL);
        t[1] = random.nextLong();
      }
      for (int i = 0; i < SPANS_PER_BLOCK; i++) {
        long[] t = traces[random.nextInt(TRACES_PER_BLOCK)];
        SpanRecord s = spans.httpServerSpan().toBuilder().traceId(t[0], t[1]).build();
        enc.addSpan(s);
        if (i % 10 == 0) {
          enc.addLog(spans.log(s));
        }
      }
      blocks.add(IndexWorkload.copy(enc.finish()));
    }
    return blocks;
  }

  // --- a day of index ---------------------------------------------------------------------------

  /** Returns 300 known trace IDs (high, low) for the cold measurement. */
  private static long[][] measureDay(Path dir, long pairs, int segmentEntries) throws Exception {
    Files.createDirectories(dir);
    long blocks = pairs / TRACES_PER_BLOCK;
    SplittableRandom random = new SplittableRandom(3);
    long sealNanos = 0;
    // Traces of the last 100 blocks, some of which continue in the next block.
    long[] recentHigh = new long[100 * TRACES_PER_BLOCK];
    long[] recentLow = new long[recentHigh.length];
    int recentAt = 0;
    int samples = 20_000;
    long[] knownHigh = new long[samples];
    long[] knownLow = new long[samples];
    long sampleEvery = Math.max(1, pairs / samples);
    int sampled = 0;
    long entries = 0;

    long t0 = System.nanoTime();
    MutableSegment m = new MutableSegment(1, segmentEntries);
    for (long seq = 1; seq <= blocks; seq++) {
      if (m.size() + TRACES_PER_BLOCK > segmentEntries) {
        m.freeze();
        long t = System.nanoTime();
        SealedSegment.write(dir, m);
        sealNanos += System.nanoTime() - t;
        m = new MutableSegment(seq, segmentEntries);
      }
      for (int i = 0; i < TRACES_PER_BLOCK; i++) {
        long high;
        long low;
        if (seq > 100 && random.nextInt(3) == 0) {
          int r = random.nextInt(recentHigh.length);
          high = recentHigh[r];
          low = recentLow[r];
        } else {
          high = (1_763_700_000L + seq / 40) << 32 | (random.nextInt() & 0xFFFFFFFFL);
          low = random.nextLong();
          recentHigh[recentAt] = high;
          recentLow[recentAt] = low;
          recentAt = (recentAt + 1) % recentHigh.length;
        }
        // A repeat within the block stands for another span of the same trace: one entry.
        m.add(SegmentedTraceIndex.key(high, low), seq);
        if (++entries % sampleEvery == 0 && sampled < samples) {
          knownHigh[sampled] = high;
          knownLow[sampled] = low;
          sampled++;
        }
      }
      m.extendTo(seq);
    }
    m.freeze();
    SealedSegment.write(dir, m);
    double buildSeconds = (System.nanoTime() - t0) / 1e9;

    long diskBytes;
    int files;
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> list = s.toList();
      files = list.size();
      diskBytes = 0;
      for (Path p : list) {
        diskBytes += Files.size(p);
      }
    }
    System.out.printf("day index: %,d blocks, %,d entries in %d segment files of up to %,d entries, "
        + "made in %.1f s (%.1f s of it sorting and writing them)%n", blocks, entries, files, segmentEntries,
        buildSeconds, sealNanos / 1e9);
    System.out.printf("  on disk: %,d bytes = %.1f bytes per block, %.2f per entry%n",
        diskBytes, (double) diskBytes / blocks, (double) diskBytes / entries);

    System.gc();
    long heapBefore = usedHeap();
    t0 = System.nanoTime();
    try (SegmentedTraceIndex index = SegmentedTraceIndex.builder(dir).segmentEntries(segmentEntries).open()) {
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      System.gc();
      long heapAfter = usedHeap();
      System.out.printf("  open (every segment's CRC checked): %.2f s; durableSeq %,d%n", openSeconds, index.durableSeq());
      System.out.printf("  heap held by the open index: %.1f MB (stats: %s)%n", (heapAfter - heapBefore) / 1e6, index.stats());

      Random q = new Random(4);
      long[] unknownHigh = new long[samples];
      long[] unknownLow = new long[samples];
      for (int i = 0; i < samples; i++) {
        unknownHigh[i] = q.nextLong();
        unknownLow[i] = q.nextLong();
      }
      // Warm-up of the code, then the measured passes.
      lookups(index, knownHigh, knownLow, 2000, true);
      lookups(index, unknownHigh, unknownLow, 2000, false);
      report("find, known trace (page cache warm)", lookups(index, knownHigh, knownLow, sampled, true));
      report("find, unknown trace (page cache warm)", lookups(index, unknownHigh, unknownLow, samples, false));

    }
    return new long[][] {Arrays.copyOfRange(knownHigh, 10_000, 10_300), Arrays.copyOfRange(knownLow, 10_000, 10_300)};
  }

  /**
   * Lookups with the segment files out of the page cache, as after a long quiet spell under memory
   * pressure. Opening the index reads every file (CRC check), so: evict the files, open them again
   * without reading their bodies, and look up through every segment as find() does (the
   * directories are on the heap then; the bucket read is the one that goes to disk).
   */
  private static void measureCold(Path dir, long[] high, long[] low) throws Exception {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    evictFromPageCache(dir);
    System.out.printf("  page cache after eviction: %s%n", resident(dir));
    List<SealedSegment> segments = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.sorted().toList()) {
        segments.add(SealedSegment.open(p, false));
      }
    }
    System.out.printf("  page cache after opening the segments again: %s%n", resident(dir));
    long[] nanos = new long[high.length];
    for (int i = 0; i < high.length; i++) {
      long t = System.nanoTime();
      long key = SegmentedTraceIndex.key(high[i], low[i]);
      LongList out = new LongList(8);
      for (SealedSegment seg : segments) {
        seg.find(key, 0, out);
      }
      nanos[i] = System.nanoTime() - t;
      if (out.size() == 0) {
        throw new AssertionError("known trace not found: " + i);
      }
    }
    report("find, known trace, segment files evicted from the page cache", nanos);
    System.out.printf("  page cache after the cold lookups: %s%n", resident(dir));
    for (SealedSegment seg : segments) {
      seg.retire();
    }
  }

  // Resident bytes of the index files, per util-linux fincore.
  private static String resident(Path dir) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("fincore", "--bytes", "--noheadings", "--output", "RES"));
    try (Stream<Path> s = Files.list(dir)) {
      s.forEach(p -> cmd.add(p.toString()));
    }
    Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(proc.getInputStream().readAllBytes());
    proc.waitFor();
    long total = 0;
    for (String line : out.split("\\s+")) {
      if (!line.isBlank()) {
        try {
          total += Long.parseLong(line.trim());
        } catch (NumberFormatException e) {
          return "fincore: " + out.trim();
        }
      }
    }
    return String.format("%.1f MB resident", total / 1e6);
  }

  private static long[] lookups(SegmentedTraceIndex index, long[] high, long[] low, int n, boolean mustFind) {
    long[] nanos = new long[n];
    for (int i = 0; i < n; i++) {
      long t = System.nanoTime();
      long[] found = index.find(high[i], low[i]);
      nanos[i] = System.nanoTime() - t;
      if (mustFind && found.length == 0) {
        throw new AssertionError("known trace not found: " + i);
      }
    }
    return nanos;
  }

  private static void report(String what, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.printf("  %s: n=%d p50 %.1f µs, p99 %.1f µs, p99.9 %.1f µs, max %.1f µs%n", what, s.length,
        s[s.length / 2] / 1e3, s[(int) (s.length * 0.99)] / 1e3, s[(int) (s.length * 0.999)] / 1e3,
        s[s.length - 1] / 1e3);
  }

  private static long usedHeap() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }

  // posix_fadvise(DONTNEED) on our own files only, through GNU dd: nothing else's cache is touched.
  private static void evictFromPageCache(Path dir) throws IOException, InterruptedException {
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Process proc = new ProcessBuilder("dd", "if=" + p, "iflag=nocache", "count=0", "status=none")
            .redirectErrorStream(true).start();
        proc.getInputStream().readAllBytes();
        proc.waitFor();
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
