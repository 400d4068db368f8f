package dev.cairn.store.elasticsearch;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
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

/**
 * A span or log line as Elasticsearch keeps it: a one-record block of the Cairn block format
 * (docs/format.md) in the stored binary field {@code data}, so {@code trace(id)} gives back exactly
 * the record that was written. One record rarely compresses, so the block is usually stored
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

  private static String base64(ByteBuffer b) {
    return Base64.getEncoder().encodeToString(
        Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit()));
  }

  /** The one record of a stored block: a {@link SpanRecord} or a {@link LogRecord}. */
  static Object decode(String base64, String id) throws StoreException {
    List<Object> out = new ArrayList<>(1);
    try {
      DECODERS.get().decode(Block.wrap(0, Base64.getDecoder().decode(base64)), new RecordVisitor() {
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
