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

/**
 * A span or log line as Elasticsearch keeps it: a one-record block of the Cairn block format
 * (docs/format.md), without its header, in the stored binary field {@code data}, so
 * {@code trace(id)} gives back exactly the record that was written. One record rarely compresses, so the block is usually stored
 * uncompressed and Elasticsearch's stored-field compression (over many documents) does the work.
 */
final class EsCodec {
  private static final ThreadLocal<BlockEncoder> ENCODERS =
      ThreadLocal.withInitial(() -> new BlockEncoder(1024, 0));
  private static final ThreadLocal<BlockDecoder> DECODERS =
      ThreadLocal.withInitial(BlockDecoder::new);

  /** Base64 of the span's block; null when it cannot be encoded (above the 1 MiB record limit). */
  static String encode(SpanRecord span) {
    BlockEncoder e = ENCODERS.get();
    e.reset();
    return e.addSpan(span) ? base64(e.finish()) : null;
  }

  static String encode(LogRecord log) {
    BlockEncoder e = ENCODERS.get();
    e.reset();
    return e.addLog(log) ? base64(e.finish()) : null;
  }

  /**
   * The block without its 44-byte header when its payload is stored uncompressed (the usual case
   * for one record), after a 0 byte; else 1 and the whole block. The header's lengths, time range
   * and two CRCs cost about 20 bytes per span after compression and say nothing Elasticsearch does
   * not know: {@link #decode} rebuilds it (docs/format.md, "Block header").
   */
  private static String base64(ByteBuffer b) {
    byte[] block = Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(),
        b.arrayOffset() + b.limit());
    byte[] out;
    if (block[5] == BlockHeader.CODEC_STORED && headerLength(block) == BlockHeader.LENGTH) {
      out = new byte[block.length - BlockHeader.LENGTH + 1];
      System.arraycopy(block, BlockHeader.LENGTH, out, 1, out.length - 1);
    } else {
      out = new byte[block.length + 1];
      out[0] = 1;
      System.arraycopy(block, 0, out, 1, block.length);
    }
    return Base64.getEncoder().encodeToString(out);
  }

  private static int headerLength(byte[] block) {
    return ((block[6] & 0xFF) << 8) | (block[7] & 0xFF);
  }

  /** The block a stored value stands for, its header rebuilt when it was left out. */
  private static byte[] block(byte[] stored) {
    if (stored.length > 0 && stored[0] == 1) {
      return Arrays.copyOfRange(stored, 1, stored.length);
    }
    int payload = stored.length - 1;
    ByteBuffer b = ByteBuffer.allocate(BlockHeader.LENGTH + payload)
        .putInt(BlockHeader.MAGIC).put((byte) BlockHeader.VERSION)
        .put((byte) BlockHeader.CODEC_STORED).putShort((short) BlockHeader.LENGTH)
        .putInt(payload).putInt(payload).putInt(1)
        .putLong(0).putLong(0); // the time range: no reader of a single record needs it
    CRC32C crc = new CRC32C();
    crc.update(stored, 1, payload);
    b.putInt((int) crc.getValue());
    crc.reset();
    crc.update(b.array(), 0, 40);
    b.putInt((int) crc.getValue());
    b.put(stored, 1, payload);
    return b.array();
  }

  /** The one record of a stored block: a {@link SpanRecord} or a {@link LogRecord}. */
  static Object decode(String base64, String id) throws StoreException {
    List<Object> out = new ArrayList<>(1);
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
    if (out.size() != 1) {
      throw new StoreException("stored document " + id + " holds " + out.size()
          + " records, expected 1");
    }
    return out.get(0);
  }

  private EsCodec() {}
}
