package dev.cairn.shipper;

import dev.cairn.core.format.BlockHeader;
import dev.cairn.core.format.FormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Reads the distinct trace IDs of a block's records, fast: it decompresses the payload and walks
 * the records by their type and length prefix, reading only the 16-byte trace ID at the start of
 * each span (type 1) and log (type 2) record body. No string is decoded and no record object is
 * built; records of other types are skipped by their length, as docs/format.md says a reader must.
 *
 * <p>It verifies nothing: it is meant for blocks that already passed {@code BlockReader}'s header
 * and payload CRC checks (the journal holds only those). A payload that does not decompress or a
 * record that overruns the payload still fails cleanly with a {@link FormatException}, never with
 * an out-of-bounds read.
 *
 * <p>One thread at a time; the decompression buffer and the dedup table are reused, so steady
 * state allocates nothing. The IDs of the last block read stay valid until the next call.
 *
 * <pre>{@code
 * BlockTraceIds ids = new BlockTraceIds();
 * int n = ids.read(block);
 * for (int i = 0; i < n; i++) { use(ids.high(i), ids.low(i)); }
 * }</pre>
 *
 * <p>It belongs with the format in trace-core ({@code dev.cairn.core.format}), where the puller could
 * reuse it; it lives here until trace-core takes it.
 */
final class BlockTraceIds {
  private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
  private static final int SPAN = 1;
  private static final int LOG = 2;
  private static final int TRACE_ID_BYTES = 16;

  private byte[] raw = new byte[64 * 1024];
  private ByteBuffer rawBuffer = ByteBuffer.wrap(raw);

  // Distinct IDs of the current block, in order of first appearance.
  private long[] highs = new long[256];
  private long[] lows = new long[256];
  private int count;

  // Open-addressing set over the IDs above: slot -> index + 1 (0 = empty), valid while
  // stamps[slot] == generation, so starting a new block costs no clearing.
  private int[] slots = new int[1024];
  private int[] stamps = new int[1024];
  private int generation;

  /**
   * Reads the distinct trace IDs of {@code block} (header and payload, from its position to its
   * limit; the position is not moved).
   *
   * @return how many distinct trace IDs the block's records hold
   * @throws FormatException when the block is not a version-1 block or its payload does not parse
   */
  int read(ByteBuffer buffer) throws FormatException {
    count = 0;
    ByteBuffer block = buffer.order() == ByteOrder.BIG_ENDIAN ? buffer
        : buffer.duplicate().order(ByteOrder.BIG_ENDIAN);
    int at = block.position();
    int length = block.remaining();
    if (length < BlockHeader.LENGTH || block.getInt(at) != BlockHeader.MAGIC) {
      throw new FormatException("not a block (" + length + " bytes)");
    }
    int version = block.get(at + 4) & 0xFF;
    if (version != BlockHeader.VERSION) {
      throw new FormatException("block format version " + version + " is not " + BlockHeader.VERSION);
    }
    int codec = block.get(at + 5) & 0x0F;
    int headerLength = ((block.get(at + 6) & 0xFF) << 8) | (block.get(at + 7) & 0xFF);
    int payloadLength = block.getInt(at + 8);
    int uncompressed = block.getInt(at + 12);
    int records = block.getInt(at + 16);
    if (headerLength != BlockHeader.LENGTH || payloadLength < 0 || headerLength + payloadLength > length
        || uncompressed < 0 || uncompressed > BlockHeader.MAX_PAYLOAD || records < 0) {
      throw new FormatException("block header lengths do not fit the block (" + length + " bytes)");
    }
    ByteBuffer data;
    int dataAt;
    if (codec == BlockHeader.CODEC_LZ4) {
      if (raw.length < uncompressed) {
        raw = new byte[Math.max(uncompressed, raw.length * 2)];
        rawBuffer = ByteBuffer.wrap(raw);
      }
      int n;
      try {
        n = LZ4.decompress(block, at + headerLength, payloadLength, rawBuffer, 0, uncompressed);
      } catch (LZ4Exception e) {
        throw new FormatException("LZ4 payload does not decompress", e);
      }
      if (n != uncompressed) {
        throw new FormatException("payload decompressed to " + n + " bytes, header says " + uncompressed);
      }
      data = rawBuffer;
      dataAt = 0;
    } else if (codec == BlockHeader.CODEC_STORED) {
      if (uncompressed != payloadLength) {
        throw new FormatException("stored payload of " + payloadLength + " bytes, header says " + uncompressed);
      }
      data = block;
      dataAt = at + headerLength;
    } else {
      throw new FormatException("unknown codec " + codec);
    }
    startBlock(records);
    walk(data, dataAt, dataAt + uncompressed);
    return count;
  }

  /** High 64 bits of the {@code i}-th distinct trace ID of the last block read. */
  long high(int i) {
    return highs[i];
  }

  /** Low 64 bits of the {@code i}-th distinct trace ID of the last block read. */
  long low(int i) {
    return lows[i];
  }

  /** Number of distinct trace IDs of the last block read. */
  int count() {
    return count;
  }

  private void walk(ByteBuffer data, int pos, int end) throws FormatException {
    while (pos < end) {
      int type = data.get(pos++) & 0xFF;
      // Record length: an unsigned LEB128 varint; a record is at most 1 MiB, so at most 3 bytes
      // carry value, and 5 bytes without a stop bit is corruption.
      int len = 0;
      for (int shift = 0; ; shift += 7) {
        if (pos >= end || shift > 28) {
          throw new FormatException("record length runs off the payload at " + pos);
        }
        int b = data.get(pos++);
        len |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          break;
        }
      }
      if (len < 0 || len > end - pos) {
        throw new FormatException("record of " + len + " bytes overruns the payload at " + pos);
      }
      if (type == SPAN || type == LOG) {
        if (len < TRACE_ID_BYTES) {
          throw new FormatException("record of " + len + " bytes is too short for a trace ID at " + pos);
        }
        addDistinct(data.getLong(pos), data.getLong(pos + 8));
      }
      pos += len;
    }
  }

  private void startBlock(int records) {
    // At most half full: linear probing stays short.
    int want = 16;
    while (want < 2 * records && want < 1 << 21) {
      want <<= 1;
    }
    if (slots.length < want) {
      slots = new int[want];
      stamps = new int[want];
      generation = 0;
    }
    if (++generation == 0) {
      // Wrapped after 4 billion blocks: stale stamps could alias, so clear once.
      Arrays.fill(stamps, 0);
      generation = 1;
    }
  }

  private void addDistinct(long high, long low) {
    if (count * 2 >= slots.length) {
      grow();
    }
    int mask = slots.length - 1;
    int slot = (int) SegmentedTraceIndex.key(high, low) & mask;
    while (stamps[slot] == generation) {
      int i = slots[slot] - 1;
      if (highs[i] == high && lows[i] == low) {
        return;
      }
      slot = (slot + 1) & mask;
    }
    if (count == highs.length) {
      highs = Arrays.copyOf(highs, count * 2);
      lows = Arrays.copyOf(lows, count * 2);
    }
    highs[count] = high;
    lows[count] = low;
    count++;
    stamps[slot] = generation;
    slots[slot] = count;
  }

  // More distinct IDs than the header's record count suggested (only for a lying header): double
  // the table and re-insert what this block has so far.
  private void grow() {
    int size = slots.length * 2;
    slots = new int[size];
    stamps = new int[size];
    generation = 1;
    int mask = size - 1;
    for (int i = 0; i < count; i++) {
      int slot = (int) SegmentedTraceIndex.key(highs[i], lows[i]) & mask;
      while (stamps[slot] == generation) {
        slot = (slot + 1) & mask;
      }
      stamps[slot] = generation;
      slots[slot] = i + 1;
    }
  }
}
