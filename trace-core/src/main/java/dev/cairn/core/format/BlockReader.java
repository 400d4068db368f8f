package dev.cairn.core.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Reads verified blocks from a span file, incrementally: {@link #next()} returns the next block
 * whose header and payload CRCs check, or null when no complete block is available yet (the file
 * may still grow). Bytes that are not a valid block are skipped, reported to the problem listener
 * and counted; the reader resynchronises on the next valid block header. When the caller knows the
 * file will not grow any more, {@link #finish()} reports what is left after the last block as a
 * torn tail.
 *
 * <p>This is the one block reader: inspect, verify, the shipper's tailer and recovery all use it.
 *
 * <pre>{@code
 * try (FileChannel ch = FileChannel.open(path)) {
 *   BlockReader reader = new BlockReader(ch, headerLength, problem -> log.warn(problem.message()));
 *   for (Block b; (b = reader.next()) != null; ) { decoder.decode(b, visitor); }
 *   reader.finish();
 * }
 * }</pre>
 */
public final class BlockReader {
  private static final int MIN_BUFFER = 256 * 1024;

  private final FileChannel channel;
  private final Consumer<ReadProblem> problems;
  private final ReadStats stats = new ReadStats();
  private byte[] buf = new byte[MIN_BUFFER];
  private long base;
  private int start;
  private int end;
  private long garbageStart = -1;

  /**
   * @param channel the file, read with positional reads (its own position is not used)
   * @param offset where to start: just after the file header, or a checkpoint at a block boundary
   * @param problems told about every skipped region, on the calling thread
   */
  public BlockReader(FileChannel channel, long offset, Consumer<ReadProblem> problems) {
    this.channel = channel;
    this.base = offset;
    this.problems = problems;
  }

  /** The file offset just after the last block returned: where to resume after a restart. */
  public long position() {
    return garbageStart >= 0 ? garbageStart : base + start;
  }

  public ReadStats stats() {
    return stats;
  }

  /**
   * The next valid block, or null when the bytes read so far hold no further complete block.
   * The block's bytes are valid until the next call.
   */
  public Block next() throws IOException {
    while (true) {
      int avail = end - start;
      BlockHeader.Probe probe = avail == 0 ? BlockHeader.Probe.NEED_MORE : BlockHeader.probe(buf, start, avail);
      switch (probe) {
        case NEED_MORE -> {
          if (!fill(BlockHeader.MAX_HEADER)) {
            return null;
          }
        }
        case INVALID -> skipGarbage();
        case NEWER_VERSION, VALID -> {
          int length = BlockHeader.blockLength(buf, start);
          if (avail < length) {
            if (!fill(length)) {
              return null;
            }
            continue;
          }
          long offset = base + start;
          if (probe == BlockHeader.Probe.NEWER_VERSION) {
            endGarbage(offset);
            report(ReadProblem.Kind.UNSUPPORTED_VERSION, offset, length, "block at offset " + offset
                + " has format version " + (buf[start + 4] & 0xFF) + ", newer than this reader supports ("
                + BlockHeader.VERSION + "): skipped; upgrade Cairn to read it");
            start += length;
            continue;
          }
          BlockHeader h = BlockHeader.read(buf, start);
          if (BlockHeader.crc(buf, start + h.headerLength(), h.payloadLength()) != h.payloadCrc()) {
            skipGarbage();
            continue;
          }
          endGarbage(offset);
          Block block = new Block(offset, h, buf, start);
          start += length;
          stats.blocks++;
          stats.records += h.recordCount();
          stats.bytes += length;
          return block;
        }
      }
    }
  }

  /**
   * Declares the file complete: whatever lies after the last valid block is reported as a torn
   * tail. Reading again after this starts from the bytes after the tail.
   */
  public void finish() throws IOException {
    long tailStart = garbageStart >= 0 ? garbageStart : base + start;
    long tailEnd = Math.max(channel.size(), base + end);
    if (tailEnd > tailStart) {
      long length = tailEnd - tailStart;
      if (isTorn(tailStart, length)) {
        report(ReadProblem.Kind.TORN_TAIL, tailStart, length, "incomplete block at offset "
            + tailStart + " (" + length + " bytes to the end of the file): the writer stopped "
            + "in the middle of it");
      } else {
        report(ReadProblem.Kind.CORRUPT, tailStart, length, length + " bytes at offset "
            + tailStart + " up to the end of the file are not a valid block (bad header or "
            + "payload CRC): skipped");
      }
    }
    garbageStart = -1;
    base = tailEnd;
    start = 0;
    end = 0;
  }

  /**
   * Whether the bytes at the end of a file are a block the writer did not finish: a valid header
   * announcing more bytes than there are, a header cut short, or zeros (space the file system
   * allocated but the writer never filled). Anything else there is corruption.
   */
  private boolean isTorn(long at, long length) throws IOException {
    byte[] head = new byte[(int) Math.min(length, BlockHeader.MAX_HEADER)];
    int n = channel.read(ByteBuffer.wrap(head), at);
    if (n < head.length) {
      return true;
    }
    BlockHeader.Probe p = BlockHeader.probe(head, 0, head.length);
    if (p == BlockHeader.Probe.NEED_MORE) {
      return true;
    }
    if (p == BlockHeader.Probe.VALID || p == BlockHeader.Probe.NEWER_VERSION) {
      return BlockHeader.blockLength(head, 0) > length;
    }
    for (byte b : head) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  private void skipGarbage() {
    if (garbageStart < 0) {
      garbageStart = base + start;
    }
    int i = start + 1;
    while (i < end && buf[i] != (byte) (BlockHeader.MAGIC >>> 24)) {
      i++;
    }
    start = i;
  }

  private void endGarbage(long at) {
    if (garbageStart >= 0) {
      report(ReadProblem.Kind.CORRUPT, garbageStart, at - garbageStart, (at - garbageStart)
          + " bytes at offset " + garbageStart + " are not a valid block (bad magic, header or "
          + "payload CRC): skipped");
      garbageStart = -1;
    }
  }

  private void report(ReadProblem.Kind kind, long offset, long length, String message) {
    switch (kind) {
      case CORRUPT -> stats.corrupt++;
      case UNSUPPORTED_VERSION -> stats.unsupported++;
      case TORN_TAIL -> stats.torn++;
    }
    stats.skippedBytes += length;
    problems.accept(new ReadProblem(kind, offset, length, message));
  }

  /** Reads more bytes so that up to {@code want} are buffered from {@code start}, if the file has them. */
  private boolean fill(int want) throws IOException {
    if (start > 0) {
      System.arraycopy(buf, start, buf, 0, end - start);
      base += start;
      end -= start;
      start = 0;
    }
    if (buf.length < want) {
      buf = Arrays.copyOf(buf, Math.max(want, buf.length * 2));
    }
    if (end == buf.length) {
      return false;
    }
    int n = channel.read(ByteBuffer.wrap(buf, end, buf.length - end), base + end);
    if (n <= 0) {
      return false;
    }
    end += n;
    return true;
  }
}
