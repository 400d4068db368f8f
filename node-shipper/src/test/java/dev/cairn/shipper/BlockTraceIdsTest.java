package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.BlockHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.jpountz.lz4.LZ4Factory;
import org.junit.jupiter.api.Test;

class BlockTraceIdsTest {
  private final TestSpans spans = new TestSpans(11);

  private static List<String> read(BlockTraceIds ids, ByteBuffer block) throws FormatException {
    int n = ids.read(block);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(hex(ids.high(i), ids.low(i)));
    }
    return out;
  }

  private static String hex(long high, long low) {
    return String.format("%016x%016x", high, low);
  }

  /** The distinct trace IDs of a block as trace-core's full decoder sees them, in order of first appearance. */
  private static List<String> decoded(ByteBuffer block) throws FormatException {
    byte[] bytes = new byte[block.remaining()];
    block.duplicate().get(bytes);
    Set<String> ids = new LinkedHashSet<>();
    new BlockDecoder().decode(Block.wrap(0, bytes), new RecordVisitor() {
      @Override
      public void span(SpanRecord s) {
        ids.add(hex(s.traceIdHigh(), s.traceIdLow()));
      }

      @Override
      public void log(LogRecord l) {
        ids.add(hex(l.traceIdHigh(), l.traceIdLow()));
      }
    });
    return new ArrayList<>(ids);
  }

  private ByteBuffer mixedBlock() {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    SpanRecord previous = null;
    for (int i = 0; i < 400; i++) {
      SpanRecord s = i % 3 == 0 ? spans.fullSpan() : spans.httpServerSpan();
      if (previous != null && i % 4 == 0) {
        // Several spans of one trace in a block.
        s = s.toBuilder().traceId(previous.traceIdHigh(), previous.traceIdLow()).build();
      }
      enc.addSpan(s);
      if (i % 5 == 0) {
        enc.addLog(spans.log(s));
      }
      if (i % 50 == 0) {
        // A log line of a trace with no span in this block.
        SpanRecord other = spans.httpServerSpan();
        enc.addLog(spans.errorLog(other));
      }
      previous = s;
    }
    return IndexWorkload.copy(enc.finish());
  }

  @Test
  void read_givesTheDistinctTraceIdsOfSpansAndLogs_asTheDecoderSeesThem() throws Exception {
    ByteBuffer block = mixedBlock();
    List<String> expected = decoded(block);
    BlockTraceIds ids = new BlockTraceIds();
    assertEquals(expected, read(ids, block));
    // Reused for the next block: nothing of the previous one stays.
    ByteBuffer second = mixedBlock();
    assertEquals(decoded(second), read(ids, second));
    assertEquals(expected, read(ids, block));
  }

  @Test
  void read_directReadOnlyAndOffsetBuffers() throws Exception {
    ByteBuffer block = mixedBlock();
    List<String> expected = decoded(block);
    BlockTraceIds ids = new BlockTraceIds();

    ByteBuffer direct = ByteBuffer.allocateDirect(block.remaining() + 100);
    direct.position(37);
    direct.put(block.duplicate());
    direct.flip().position(37);
    assertEquals(expected, read(ids, direct));
    assertEquals(37, direct.position());

    assertEquals(expected, read(ids, block.asReadOnlyBuffer()));
    assertEquals(expected, read(ids, block.duplicate().order(ByteOrder.LITTLE_ENDIAN)));
  }

  @Test
  void read_storedPayloadAndUnknownRecordTypes() throws Exception {
    SpanRecord a = spans.httpServerSpan();
    SpanRecord b = spans.httpServerSpan();
    ByteBuffer one = IndexWorkload.copy(encode(a));
    ByteBuffer two = IndexWorkload.copy(encode(b));
    // Payload: a's span record, a record of an unknown type 9 (skipped by its length) holding
    // bytes that look like a trace ID, then b's span record; stored uncompressed (codec 0).
    ByteArrayOutputStream payload = new ByteArrayOutputStream();
    payload.writeBytes(rawPayload(one));
    payload.write(9);
    payload.write(20);
    payload.writeBytes(new byte[20]);
    payload.writeBytes(rawPayload(two));
    ByteBuffer stored = storedBlock(payload.toByteArray(), 3);
    assertEquals(List.of(hex(a.traceIdHigh(), a.traceIdLow()), hex(b.traceIdHigh(), b.traceIdLow())),
        read(new BlockTraceIds(), stored));
  }

  @Test
  void read_malformedPayload_failsCleanly() throws Exception {
    byte[] raw = rawPayload(IndexWorkload.copy(encode(spans.httpServerSpan())));
    BlockTraceIds ids = new BlockTraceIds();
    // Record length overrunning the payload.
    byte[] overrun = raw.clone();
    overrun[1] = (byte) 0x7F;
    assertThrows(FormatException.class, () -> ids.read(storedBlock(overrun, 1)));
    // A span record too short for its trace ID.
    assertThrows(FormatException.class, () -> ids.read(storedBlock(new byte[] {1, 3, 0, 0, 0}, 1)));
    // A length varint that never ends.
    assertThrows(FormatException.class, () -> ids.read(storedBlock(new byte[] {1, (byte) 0x80, (byte) 0x80}, 1)));
    // LZ4 garbage.
    ByteBuffer lz4 = IndexWorkload.copy(encode(spans.httpServerSpan()));
    lz4.put(BlockHeader.LENGTH + 2, (byte) 0xFF).put(BlockHeader.LENGTH + 3, (byte) 0xFF);
    assertThrows(FormatException.class, () -> ids.read(lz4));
    assertThrows(FormatException.class, () -> ids.read(ByteBuffer.allocate(10)));
    // Still fine afterwards.
    ByteBuffer good = mixedBlock();
    assertEquals(decoded(good), read(ids, good));
  }

  private ByteBuffer encode(SpanRecord s) {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    enc.addSpan(s);
    return enc.finish();
  }

  private static byte[] rawPayload(ByteBuffer block) {
    int at = block.position();
    int payloadLength = block.getInt(at + 8);
    int uncompressed = block.getInt(at + 12);
    byte[] compressed = new byte[payloadLength];
    block.duplicate().position(at + BlockHeader.LENGTH).get(compressed);
    if ((block.get(at + 5) & 0x0F) == BlockHeader.CODEC_STORED) {
      return compressed;
    }
    return LZ4Factory.fastestInstance().safeDecompressor().decompress(compressed, uncompressed);
  }

  // A version-1 block header in front of a stored payload (BlockTraceIds checks no CRC).
  private static ByteBuffer storedBlock(byte[] payload, int records) {
    ByteBuffer b = ByteBuffer.allocate(BlockHeader.LENGTH + payload.length);
    b.putInt(BlockHeader.MAGIC).put((byte) 1).put((byte) BlockHeader.CODEC_STORED).putShort((short) BlockHeader.LENGTH)
        .putInt(payload.length).putInt(payload.length).putInt(records).putLong(0).putLong(0).putInt(0).putInt(0)
        .put(payload).flip();
    return b;
  }
}
