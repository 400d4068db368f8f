package dev.cairn.bench.format;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.BlockHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.model.SpanView;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import zipkin2.Span;
import zipkin2.codec.SpanBytesDecoder;
import zipkin2.codec.SpanBytesEncoder;

/**
 * Span formats side by side, on the same {@value #SPANS} typical HTTP server spans (8 attributes;
 * {@link SpanCorpus}): Cairn's blocks (LZ4 level 4, the default, and LZ4 fast) against Zipkin
 * JSON v2 (zipkin2's encoder), OTLP protobuf (the OpenTelemetry exporter's own marshaler),
 * Jaeger's JSON model, and gzip of Cairn's uncompressed records. LZ4 fast on the same record
 * buffers is the physical anchor: no encoder that compresses these bytes can beat it by much.
 *
 * <p>Scores are spans per second ({@code ops/s}); every invocation encodes the whole corpus.
 * Cairn writes blocks of 64 KiB of records, as the appender does; the others encode batches of
 * {@value #BATCH} spans, the OpenTelemetry SDK's default export batch. Bytes per span, for every
 * format, are printed when the trial starts (and MB/s is spans/s times those).
 *
 * <pre>
 * java -jar jmh/target/benchmarks.jar FormatBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(value = 3, jvmArgsAppend = "-Xmx1g")
@State(Scope.Thread)
public class FormatBenchmark {
  static final int SPANS = 20_480;
  static final int BATCH = 512;
  private static final int BLOCK_BYTES = 64 * 1024;

  SpanCorpus corpus;
  List<Span> zipkin;
  List<Block> cairnBlocks;
  /** The uncompressed records of each Cairn block: what LZ4 and gzip compress. */
  List<byte[]> records;
  List<byte[]> zipkinJson;
  final BlockEncoder level4 = new BlockEncoder(BLOCK_BYTES);
  final BlockEncoder fast = new BlockEncoder(BLOCK_BYTES, 0);
  final BlockDecoder decoder = new BlockDecoder();
  final JaegerJson jaeger = new JaegerJson();
  final ByteArrayOutputStream sink = new ByteArrayOutputStream(1 << 20);
  final LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
  final LZ4SafeDecompressor lz4Decompressor = LZ4Factory.fastestInstance().safeDecompressor();
  final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
  byte[] compressed = new byte[0];
  List<byte[]> lz4Records;
  byte[] scratch = new byte[0];

  @Setup(Level.Trial)
  public void setUp() throws IOException, FormatException {
    corpus = SpanCorpus.generate(SPANS, 7);
    zipkin = ZipkinSpans.of(corpus.cairn);
    cairnBlocks = new ArrayList<>();
    records = new ArrayList<>();
    lz4Records = new ArrayList<>();
    long cairnBytes = encodeAll(level4, cairnBlocks);
    long fastBytes = encodeAll(fast, new ArrayList<>());
    long rawBytes = 0;
    long gzipBytes = 0;
    for (Block b : cairnBlocks) {
      byte[] r = uncompressed(b.header(), bytes(b));
      records.add(r);
      rawBytes += r.length;
      gzipBytes += gzip(r).length;
      lz4Records.add(lz4.compress(r));
    }
    zipkinJson = new ArrayList<>();
    long zipkinBytes = 0;
    long zipkinGzip = 0;
    long otlpBytes = 0;
    long otlpGzip = 0;
    long jaegerBytes = 0;
    long jaegerGzip = 0;
    for (int from = 0; from < SPANS; from += BATCH) {
      int to = Math.min(SPANS, from + BATCH);
      byte[] z = SpanBytesEncoder.JSON_V2.encodeList(zipkin.subList(from, to));
      zipkinJson.add(z);
      zipkinBytes += z.length;
      zipkinGzip += gzip(z).length;
      byte[] o = otlp(corpus.otel.subList(from, to));
      otlpBytes += o.length;
      otlpGzip += gzip(o).length;
      byte[] j = jaeger.encode(corpus.cairn, from, to);
      jaegerBytes += j.length;
      jaegerGzip += gzip(j).length;
    }
    double n = SPANS;
    System.out.printf("%nBytes per span, %,d typical HTTP server spans (8 attributes):%n", SPANS);
    System.out.printf("  Cairn block, LZ4 level 4 (default)   %6.1f%n", cairnBytes / n);
    System.out.printf("  Cairn block, LZ4 fast                %6.1f%n", fastBytes / n);
    System.out.printf("  Cairn records, uncompressed          %6.1f%n", rawBytes / n);
    System.out.printf("  Cairn records, gzip (level 6)        %6.1f%n", gzipBytes / n);
    System.out.printf("  Zipkin JSON v2                       %6.1f  (gzip %.1f)%n", zipkinBytes / n, zipkinGzip / n);
    System.out.printf("  OTLP protobuf                        %6.1f  (gzip %.1f)%n", otlpBytes / n, otlpGzip / n);
    System.out.printf("  Jaeger JSON                          %6.1f  (gzip %.1f)%n", jaegerBytes / n, jaegerGzip / n);
  }

  private long encodeAll(BlockEncoder enc, List<Block> out) throws FormatException {
    long bytes = 0;
    for (SpanView s : corpus.cairn) {
      enc.addSpan(s);
      if (enc.isFull()) {
        bytes += keep(enc.finish(), out);
      }
    }
    if (!enc.isEmpty()) {
      bytes += keep(enc.finish(), out);
    }
    return bytes;
  }

  private static long keep(ByteBuffer block, List<Block> out) throws FormatException {
    byte[] copy = Arrays.copyOfRange(block.array(), block.arrayOffset() + block.position(),
        block.arrayOffset() + block.limit());
    out.add(Block.wrap(0, copy));
    return copy.length;
  }

  private static byte[] bytes(Block b) {
    ByteBuffer buf = b.bytes();
    byte[] out = new byte[buf.remaining()];
    buf.get(out);
    return out;
  }

  private static byte[] uncompressed(BlockHeader h, byte[] block) {
    byte[] raw = new byte[h.uncompressedLength()];
    int at = h.headerLength();
    if (h.codec() == BlockHeader.CODEC_LZ4) {
      LZ4Factory.fastestInstance().safeDecompressor().decompress(block, at, h.payloadLength(), raw, 0);
    } else {
      System.arraycopy(block, at, raw, 0, raw.length);
    }
    return raw;
  }

  private static byte[] gzip(byte[] in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 4);
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(in);
    }
    return out.toByteArray();
  }

  private byte[] otlp(List<SpanData> batch) throws IOException {
    sink.reset();
    TraceRequestMarshaler.create(batch).writeBinaryTo(sink);
    return sink.toByteArray();
  }

  // ---------------------------------------------------------------- Cairn

  /** Encode and compress, as the appender's writer thread does. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void cairnEncodeLz4Level4(Blackhole bh) {
    encode(level4, bh);
  }

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void cairnEncodeLz4Fast(Blackhole bh) {
    encode(fast, bh);
  }

  private void encode(BlockEncoder enc, Blackhole bh) {
    for (SpanView s : corpus.cairn) {
      enc.addSpan(s);
      if (enc.isFull()) {
        bh.consume(enc.finish());
      }
    }
    if (!enc.isEmpty()) {
      bh.consume(enc.finish());
    }
  }

  /** Decompress and decode into span records, as the shipper's index and the puller do. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void cairnDecode(Blackhole bh) throws FormatException {
    for (Block b : cairnBlocks) {
      decoder.decode(b, bh::consume);
    }
  }

  // ---------------------------------------------------------------- alternatives

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void zipkinJsonV2Encode(Blackhole bh) {
    for (int from = 0; from < SPANS; from += BATCH) {
      bh.consume(SpanBytesEncoder.JSON_V2.encodeList(zipkin.subList(from, Math.min(SPANS, from + BATCH))));
    }
  }

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void zipkinJsonV2Decode(Blackhole bh) {
    for (byte[] json : zipkinJson) {
      bh.consume(SpanBytesDecoder.JSON_V2.decodeList(json));
    }
  }

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void otlpProtobufEncode(Blackhole bh) throws IOException {
    for (int from = 0; from < SPANS; from += BATCH) {
      sink.reset();
      TraceRequestMarshaler.create(corpus.otel.subList(from, Math.min(SPANS, from + BATCH))).writeBinaryTo(sink);
      bh.consume(sink.size());
    }
  }

  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void jaegerJsonEncode(Blackhole bh) {
    for (int from = 0; from < SPANS; from += BATCH) {
      bh.consume(jaeger.encode(corpus.cairn, from, Math.min(SPANS, from + BATCH)));
    }
  }

  /** Cairn's records compressed with gzip instead of LZ4: what LZ4's speed is traded against. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void gzipCairnRecords(Blackhole bh) {
    for (byte[] r : records) {
      if (compressed.length < r.length + 1024) {
        compressed = new byte[r.length + 1024];
      }
      deflater.reset();
      deflater.setInput(r);
      deflater.finish();
      bh.consume(deflater.deflate(compressed));
    }
  }

  // ---------------------------------------------------------------- physical anchor

  /** LZ4 fast alone on the same record buffers: the floor under Cairn's encoding. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void lz4FastCompressRecords(Blackhole bh) {
    for (byte[] r : records) {
      int max = lz4.maxCompressedLength(r.length);
      if (compressed.length < max) {
        compressed = new byte[max];
      }
      bh.consume(lz4.compress(r, 0, r.length, compressed, 0, max));
    }
  }

  /** LZ4 decompression alone: the floor under Cairn's decoding. */
  @Benchmark
  @OperationsPerInvocation(SPANS)
  public void lz4DecompressRecords(Blackhole bh) {
    for (int i = 0; i < records.size(); i++) {
      byte[] c = lz4Records.get(i);
      int n = records.get(i).length;
      if (scratch.length < n) {
        scratch = new byte[n];
      }
      bh.consume(lz4Decompressor.decompress(c, 0, c.length, scratch, 0, n));
    }
  }
}
