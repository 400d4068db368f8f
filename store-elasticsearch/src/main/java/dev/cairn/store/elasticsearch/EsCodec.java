package dev.cairn.store.elasticsearch;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.BlockHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.store.StoreException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

/**
 * Records as Elasticsearch keeps them in the stored binary field {@code data}: a block of the Cairn
 * block format (docs/format.md), so {@code trace(id)} gives back exactly the records written. A
 * trace part holds its spans as one block; a log line is a one-record block.
 *
 * <p>The first byte says how the block is kept:
 *
 * <ul>
 *   <li>0: one record, uncompressed, without the block's 44-byte header;
 *   <li>1: the whole block as the encoder made it (LZ4-compressed when that was smaller);
 *   <li>2: a varint record count, then the records uncompressed, without the header.
 * </ul>
 *
 * Forms 0 and 2 leave compression to Elasticsearch's {@code best_compression}, which compresses
 * across the neighbouring documents of an index sorted by trace; the header's lengths, time range
 * and CRCs say nothing Elasticsearch does not know, and {@link #decode} rebuilds them.
 */
final class EsCodec {
  /** Uncompressed record bytes after which a trace part is cut, as in the embedded store. */
  static final int PART_TARGET_BYTES = 1 << 20;
  private static final int ONE = 0;
  private static final int BLOCK = 1;
  private static final int RECORDS = 2;
  private static final ThreadLocal<BlockEncoder> ENCODERS =
      ThreadLocal.withInitial(() -> new BlockEncoder(PART_TARGET_BYTES, 0));
  private static final ThreadLocal<BlockDecoder> DECODERS =
      ThreadLocal.withInitial(BlockDecoder::new);
  private static final LZ4FastDecompressor LZ4 = LZ4Factory.fastestInstance().fastDecompressor();

  private EsCodec() {}

  /** The encoder of this thread, reset. */
  static BlockEncoder encoder() {
    BlockEncoder e = ENCODERS.get();
    e.reset();
    return e;
  }

  /**
   * The stored form of the block the encoder holds (and finishes): its records uncompressed
   * (form 2), or with {@code compressed} the block itself (form 1).
   */
  static String finish(BlockEncoder e, boolean compressed) {
    int count = e.recordCount();
    ByteBuffer b = e.finish();
    byte[] block = Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(),
        b.arrayOffset() + b.limit());
    if (compressed || headerLength(block) != BlockHeader.LENGTH) {
      return withMarker(BLOCK, block, 0, block.length);
    }
    byte[] records;
    if (block[5] == BlockHeader.CODEC_STORED) {
      records = Arrays.copyOfRange(block, BlockHeader.LENGTH, block.length);
    } else {
      records = new byte[intAt(block, 12)];
      LZ4.decompress(block, BlockHeader.LENGTH, records, 0, records.length);
    }
    byte[] out = new byte[1 + 5 + records.length];
    out[0] = RECORDS;
    int at = 1;
    for (int v = count; ; v >>>= 7) {
      if ((v & ~0x7F) == 0) {
        out[at++] = (byte) v;
        break;
      }
      out[at++] = (byte) ((v & 0x7F) | 0x80);
    }
    System.arraycopy(records, 0, out, at, records.length);
    return Base64.getEncoder().encodeToString(Arrays.copyOf(out, at + records.length));
  }

  /** A log line as a one-record block (form 0); null above the format's 1 MiB record limit. */
  static String encode(LogRecord log) {
    BlockEncoder e = encoder();
    if (!e.addLog(log)) {
      return null;
    }
    ByteBuffer b = e.finish();
    byte[] block = Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(),
        b.arrayOffset() + b.limit());
    if (block[5] == BlockHeader.CODEC_STORED && headerLength(block) == BlockHeader.LENGTH) {
      return withMarker(ONE, block, BlockHeader.LENGTH, block.length - BlockHeader.LENGTH);
    }
    return withMarker(BLOCK, block, 0, block.length);
  }

  private static String withMarker(int marker, byte[] bytes, int from, int length) {
    byte[] out = new byte[length + 1];
    out[0] = (byte) marker;
    System.arraycopy(bytes, from, out, 1, length);
    return Base64.getEncoder().encodeToString(out);
  }

  private static int headerLength(byte[] block) {
    return ((block[6] & 0xFF) << 8) | (block[7] & 0xFF);
  }

  private static int intAt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8)
        | (b[at + 3] & 0xFF);
  }

  /** The block a stored value stands for, its header rebuilt when it was left out. */
  private static byte[] block(byte[] stored) {
    if (stored.length == 0) {
      throw new IllegalArgumentException("empty");
    }
    if (stored[0] == BLOCK) {
      return Arrays.copyOfRange(stored, 1, stored.length);
    }
    int count = 1;
    int from = 1;
    if (stored[0] == RECORDS) {
      count = 0;
      for (int shift = 0; ; shift += 7) {
        if (from >= stored.length || shift > 28) {
          throw new IllegalArgumentException("bad record count");
        }
        byte v = stored[from++];
        count |= (v & 0x7F) << shift;
        if (v >= 0) {
          break;
        }
      }
    } else if (stored[0] != ONE) {
      throw new IllegalArgumentException("unknown form " + stored[0]);
    }
    int payload = stored.length - from;
    ByteBuffer b = ByteBuffer.allocate(BlockHeader.LENGTH + payload)
        .putInt(BlockHeader.MAGIC).put((byte) BlockHeader.VERSION)
        .put((byte) BlockHeader.CODEC_STORED).putShort((short) BlockHeader.LENGTH)
        .putInt(payload).putInt(payload).putInt(count)
        .putLong(0).putLong(0); // the time range: no reader here needs it
    CRC32C crc = new CRC32C();
    crc.update(stored, from, payload);
    b.putInt((int) crc.getValue());
    crc.reset();
    crc.update(b.array(), 0, 40);
    b.putInt((int) crc.getValue());
    b.put(stored, from, payload);
    return b.array();
  }

  /** The records of a stored block, in the order they were written. */
  static List<Object> decode(String base64, String id) throws StoreException {
    List<Object> out = new ArrayList<>();
    try {
      Block block = Block.wrap(0, block(Base64.getDecoder().decode(base64)));
      DECODERS.get().decode(block, new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          out.add(span);
        }

        @Override
        public void log(LogRecord log) {
          out.add(log);
        }
      });
    } catch (FormatException | IllegalArgumentException e) {
      throw new StoreException("stored document " + id + " is unreadable: " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new StoreException("stored document " + id + " holds no record");
    }
    return out;
  }

  /** The spans of a stored trace part. */
  static List<SpanRecord> spans(String base64, String id) throws StoreException {
    List<SpanRecord> out = new ArrayList<>();
    for (Object o : decode(base64, id)) {
      if (!(o instanceof SpanRecord s)) {
        throw new StoreException("stored part " + id + " holds a record that is not a span");
      }
      out.add(s);
    }
    return out;
  }
}
