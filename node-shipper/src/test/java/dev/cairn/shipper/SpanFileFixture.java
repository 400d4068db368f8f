package dev.cairn.shipper;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.ProcessInfo;
import dev.cairn.core.testing.TestSpans;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * A span file written by hand, block by block, as an application would grow it; also writes the
 * damage the tailer must survive (torn blocks, corrupt bytes, blocks of a newer version).
 */
final class SpanFileFixture implements AutoCloseable {
  /** Each file is created a millisecond after the one before, as an appender's would be. */
  private static final java.util.concurrent.atomic.AtomicLong CREATED =
      new java.util.concurrent.atomic.AtomicLong(1_763_700_000_000_000L);
  final Path path;
  final UUID id;
  final int headerLength;
  /** Offsets of the valid blocks appended, in order. */
  final List<Long> blocks = new ArrayList<>();
  private final FileChannel channel;
  private final TestSpans spans;
  private final BlockEncoder encoder = new BlockEncoder(64 * 1024);
  private long size;

  private SpanFileFixture(Path path, UUID id, byte[] header, long seed) throws IOException {
    this.path = path;
    this.id = id;
    this.headerLength = header.length;
    this.spans = new TestSpans(seed);
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.READ);
    write(header);
  }

  static SpanFileFixture create(Path path) throws IOException {
    return create(path, process(4242, 1_000_000L));
  }

  static SpanFileFixture create(Path path, ProcessInfo process) throws IOException {
    return create(path, UUID.randomUUID(), process);
  }

  static SpanFileFixture create(Path path, UUID id, ProcessInfo process) throws IOException {
    byte[] header = new FileHeader(id, CREATED.addAndGet(1_000), process).encode();
    return new SpanFileFixture(path, id, header, id.getLeastSignificantBits());
  }

  static ProcessInfo process(long pid, long startMicros) {
    return new ProcessInfo("checkout", "test-host", "", pid, startMicros, Map.of());
  }

  /** The spans of the block {@link #block} made last. */
  final List<dev.cairn.core.model.SpanRecord> lastSpans = new ArrayList<>();

  /** A valid block of {@code spans} spans, not written. */
  byte[] block(int spanCount) {
    lastSpans.clear();
    for (int i = 0; i < spanCount; i++) {
      dev.cairn.core.model.SpanRecord span = spans.httpServerSpan();
      lastSpans.add(span);
      encoder.addSpan(span);
    }
    ByteBuffer b = encoder.finish();
    return Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit());
  }

  /** Appends a valid block; returns its offset. */
  long append(int spanCount) throws IOException {
    return appendBlock(block(spanCount));
  }

  long appendBlock(byte[] block) throws IOException {
    long at = size;
    write(block);
    blocks.add(at);
    return at;
  }

  /** Appends bytes that are not counted as a valid block (damage, or part of a block). */
  long appendRaw(byte[] bytes) throws IOException {
    long at = size;
    write(bytes);
    return at;
  }

  /** Overwrites bytes in place (corruption), without changing the size. */
  void overwrite(long at, byte[] bytes) throws IOException {
    channel.write(ByteBuffer.wrap(bytes), at);
  }

  void truncate(long newSize) throws IOException {
    channel.truncate(newSize);
    size = newSize;
    blocks.removeIf(o -> o >= newSize);
  }

  long size() {
    return size;
  }

  /** The same block with format version {@code version} and a header CRC that checks. */
  static byte[] withVersion(byte[] block, int version) {
    byte[] b = block.clone();
    b[4] = (byte) version;
    CRC32C crc = new CRC32C();
    crc.update(b, 0, 40);
    ByteBuffer.wrap(b).putInt(40, (int) crc.getValue());
    return b;
  }

  private void write(byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      size += channel.write(b, size);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
