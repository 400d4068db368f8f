package dev.cairn.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestSpans;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class BlockCodecTest {
  private final TestSpans spans = new TestSpans(7);

  private static List<Object> decode(ByteBuffer block) throws FormatException {
    byte[] bytes = Arrays.copyOfRange(block.array(), block.position(), block.limit());
    List<Object> out = new ArrayList<>();
    new BlockDecoder().decode(Block.wrap(0, bytes), new RecordVisitor() {
      @Override
      public void span(SpanRecord span) {
        out.add(span);
      }

      @Override
      public void log(LogRecord log) {
        out.add(log);
      }
    });
    return out;
  }

  @Test
  void roundTrip_keepsEveryFieldOfSpansAndLogs() throws Exception {
    SpanRecord full = spans.fullSpan();
    SpanRecord root = spans.httpServerSpan();
    LogRecord info = spans.log(full);
    LogRecord error = spans.errorLog(root);
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    assertTrue(enc.addSpan(full));
    assertTrue(enc.addLog(info));
    assertTrue(enc.addSpan(root));
    assertTrue(enc.addLog(error));
    ByteBuffer block = enc.finish();

    assertEquals(List.of(full, info, root, error), decode(block));
    BlockHeader h = Block.wrap(0, Arrays.copyOf(block.array(), block.limit())).header();
    assertEquals(4, h.recordCount());
    assertEquals(Math.min(full.startMicros(), root.startMicros()), h.minMicros());
    assertEquals(Math.max(full.startMicros() + full.durationMicros(),
        root.startMicros() + root.durationMicros()), h.maxMicros());
  }

  @Test
  void roundTrip_manyDistinctStringsBeyondTheTable() throws Exception {
    BlockEncoder enc = new BlockEncoder(8 << 20);
    List<Object> in = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      SpanRecord s = spans.httpServerSpan().toBuilder()
          .addAttribute("k" + i, "value-" + i).addAttribute("long." + i, "x".repeat(300)).build();
      in.add(s);
      assertTrue(enc.addSpan(s));
    }
    assertEquals(in, decode(enc.finish()));
  }

  @Test
  void encode_truncatesHugeStringsAndKeepsTheRecordValid() throws Exception {
    SpanRecord s = spans.httpServerSpan().toBuilder().addAttribute("huge", "y".repeat(100_000)).build();
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    assertTrue(enc.addSpan(s));
    SpanRecord back = (SpanRecord) decode(enc.finish()).get(0);
    assertEquals(32 * 1024, ((String) back.attribute("huge").orElseThrow()).length());
  }

  @Test
  void encoder_isReusableAfterFinish() throws Exception {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    SpanRecord a = spans.fullSpan();
    enc.addSpan(a);
    assertEquals(List.of(a), decode(enc.finish()));
    SpanRecord b = spans.fullSpan();
    enc.addSpan(b);
    assertEquals(List.of(b), decode(enc.finish()));
    assertTrue(enc.isEmpty());
    assertThrows(IllegalStateException.class, enc::finish);
  }

  @Test
  void wrap_refusesBlockOfNewerVersionWithClearMessage() throws Exception {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    enc.addSpan(spans.httpServerSpan());
    ByteBuffer b = enc.finish();
    byte[] bytes = Arrays.copyOf(b.array(), b.limit());
    bytes[4] = 2;
    ByteWriter.putInt(bytes, 40, BlockHeader.crc(bytes, 0, 40));
    FormatException e = assertThrows(FormatException.class, () -> Block.wrap(0, bytes));
    assertTrue(e.getMessage().contains("version 2 is newer"), e.getMessage());
  }

  @Test
  void decode_rejectsBlockWhoseRecordsDoNotParseEvenWithValidCrcs() throws Exception {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    enc.addSpan(spans.httpServerSpan());
    enc.addSpan(spans.httpServerSpan());
    ByteBuffer b = enc.finish();
    byte[] bytes = Arrays.copyOf(b.array(), b.limit());
    // Claim one more record than the payload holds, with consistent checksums: a writer bug.
    ByteWriter.putInt(bytes, 16, 3);
    ByteWriter.putInt(bytes, 40, BlockHeader.crc(bytes, 0, 40));
    Block block = Block.wrap(0, bytes);
    List<Object> seen = new ArrayList<>();
    assertThrows(FormatException.class, () -> new BlockDecoder().decode(block, seen::add));
    assertTrue(seen.isEmpty(), "no record of a bad block is handed out");
  }

  @Test
  void fileHeader_roundTripsAndDetectsCorruption() throws Exception {
    FileHeader h = new FileHeader(UUID.randomUUID(), 123, TestSpans.process());
    byte[] bytes = h.encode();
    assertEquals(h, FileHeader.decode(bytes, 0, bytes.length));
    assertEquals(h.fileId().getMostSignificantBits(),
        ByteReader.getLong(bytes, FileHeader.FILE_ID_OFFSET));
    bytes[20] ^= 1;
    assertThrows(FormatException.class, () -> FileHeader.decode(bytes, 0, bytes.length));
  }

  @Test
  void fileHeader_ofNewerVersionIsRefusedWithClearMessage() throws Exception {
    byte[] bytes = new FileHeader(UUID.randomUUID(), 123, TestSpans.process()).encode();
    bytes[8] = 9;
    FormatException e = assertThrows(FormatException.class, () -> FileHeader.length(bytes, 0));
    assertTrue(e.getMessage().contains("version 9 is newer"), e.getMessage());
    assertFalse(e.getMessage().isBlank());
  }
}
