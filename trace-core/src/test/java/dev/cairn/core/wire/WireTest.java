package dev.cairn.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class WireTest {
  private static final byte[] CHALLENGE = filled(Wire.CHALLENGE_BYTES, 7);
  private static final byte[] NONCE = filled(Wire.CHALLENGE_BYTES, 9);
  private static final byte[] PROOF = filled(Wire.PROOF_BYTES, 11);

  private static byte[] filled(int n, int seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static BlockEntry entry(long seq, int length) {
    byte[] block = filled(length, (int) seq);
    return new BlockEntry(seq, new UUID(seq * 31, -seq), seq * 1000, ByteBuffer.wrap(block));
  }

  /** One of every message, with non-trivial field values. */
  private static List<WireMessage> samples() {
    Map<String, String> status = new LinkedHashMap<>();
    status.put("shipper.name", "edge-1");
    status.put("journal.lastSeq", "12345");
    status.put("note", "h\u00e9llo \u4e2d");
    return List.of(
        new Hello(1, 3, 1 << 20, CHALLENGE, "edge-1", "host-\u00e9.example"),
        new Auth(1, NONCE, "puller-a", PROOF),
        new AuthOk(1, 8 << 20, 30_000, PROOF),
        new Pull(42, 4 << 20, 10_000),
        new Batch(45, 3, 99, List.of(entry(42, 100), entry(43, 0), entry(44, 5000))),
        new Batch(7, 1, 6, List.of()),
        new Fetch(0, 0, List.of(new TraceId(1, 2), new TraceId(-1, Long.MIN_VALUE))),
        new FetchResult(0, List.of(entry(5, 64), entry(9, 64))),
        new FetchResult(17, List.of(entry(12, 1))),
        new Status(),
        new StatusResult(status),
        ErrorMessage.of(ErrorCode.AUTH_FAILED, "wrong secret"));
  }

  private static ByteBuffer body(ByteBuffer frame) {
    ByteBuffer b = frame.duplicate();
    int length = b.getInt();
    assertEquals(b.remaining(), length, "length field counts type and body");
    return b.slice();
  }

  private static WireMessage roundTrip(WireMessage m) throws WireException {
    return Wire.decode(body(Wire.encode(m)));
  }

  private static WireException malformed(byte[] typeAndBody) {
    return assertThrows(WireException.class, () -> Wire.decode(ByteBuffer.wrap(typeAndBody)));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static void assertSameEntries(List<BlockEntry> expected, List<BlockEntry> actual) {
    assertEquals(expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      BlockEntry e = expected.get(i);
      BlockEntry a = actual.get(i);
      assertEquals(e.seq(), a.seq());
      assertEquals(e.fileId(), a.fileId());
      assertEquals(e.offset(), a.offset());
      assertArrayEquals(bytes(e.block()), bytes(a.block()));
    }
  }

  @Test
  void roundTrip_keepsEveryFieldOfEveryMessage() throws Exception {
    for (WireMessage m : samples()) {
      WireMessage d = roundTrip(m);
      assertEquals(m.type(), d.type());
      if (m instanceof Hello h) {
        Hello x = (Hello) d;
        assertEquals(List.of(h.minVersion(), h.maxVersion(), h.maxFrameLength(), h.shipperName(), h.host()),
            List.of(x.minVersion(), x.maxVersion(), x.maxFrameLength(), x.shipperName(), x.host()));
        assertArrayEquals(h.challenge(), x.challenge());
      } else if (m instanceof Auth a) {
        Auth x = (Auth) d;
        assertEquals(a.version(), x.version());
        assertEquals(a.clientName(), x.clientName());
        assertArrayEquals(a.clientNonce(), x.clientNonce());
        assertArrayEquals(a.proof(), x.proof());
      } else if (m instanceof AuthOk ok) {
        AuthOk x = (AuthOk) d;
        assertEquals(List.of(ok.version(), ok.maxBatchBytes(), ok.maxWaitMillis()),
            List.of(x.version(), x.maxBatchBytes(), x.maxWaitMillis()));
        assertArrayEquals(ok.serverProof(), x.serverProof());
      } else if (m instanceof Batch b) {
        Batch x = (Batch) d;
        assertEquals(List.of(b.nextCursor(), b.firstSeq(), b.lastSeq()), List.of(x.nextCursor(), x.firstSeq(), x.lastSeq()));
        assertSameEntries(b.entries(), x.entries());
      } else if (m instanceof FetchResult f) {
        FetchResult x = (FetchResult) d;
        assertEquals(f.resumeSeq(), x.resumeSeq());
        assertSameEntries(f.entries(), x.entries());
      } else {
        assertEquals(m, d, "records without arrays compare by value");
      }
    }
  }

  @Test
  void decode_entryBlocksAreReadOnlyViewsOfExactlyTheBlockBytes() throws Exception {
    Batch b = (Batch) roundTrip(new Batch(3, 1, 2, List.of(entry(1, 10), entry(2, 20))));
    ByteBuffer first = b.entries().get(0).block();
    assertEquals(0, first.position());
    assertEquals(10, first.limit());
    assertTrue(first.isReadOnly());
    assertEquals(20, b.entries().get(1).block().remaining());
  }

  @Test
  void entryFrameWriter_writesTheSameBytesAsEncode_andCanBeReused() {
    Batch batch = new Batch(45, 3, 99, List.of(entry(42, 100), entry(43, 7)));
    EntryFrameWriter w = new EntryFrameWriter();
    HeapOutput out = new HeapOutput(8);
    for (int round = 0; round < 2; round++) {
      int start = out.position();
      w.beginBatch(out);
      for (BlockEntry e : batch.entries()) {
        w.add(e.seq(), e.fileId().getMostSignificantBits(), e.fileId().getLeastSignificantBits(), e.offset(), e.block());
      }
      assertEquals(2, w.count());
      assertEquals(2 * Wire.ENTRY_HEADER_BYTES + 107, w.entriesBytes());
      int size = w.finishBatch(45, 3, 99);
      assertEquals(out.position() - start, size);
      byte[] written = Arrays.copyOfRange(out.toByteBuffer().array(), start, start + size);
      assertArrayEquals(bytes(Wire.encode(batch)), written);
    }
    assertEquals(0, batch.entries().get(0).block().position(), "the writer leaves the block's position alone");
  }

  @Test
  void entryFrameWriter_refusesToFinishAnotherTypeThanItBegan() {
    EntryFrameWriter w = new EntryFrameWriter();
    w.beginFetchResult(new HeapOutput(8));
    assertThrows(IllegalStateException.class, () -> w.finishBatch(1, 1, 1));
  }

  @Test
  void decode_everyTruncationOfEveryMessageIsMalformed() {
    for (WireMessage m : samples()) {
      byte[] full = bytes(body(Wire.encode(m)));
      for (int cut = 1; cut < full.length; cut++) {
        WireException e = malformed(Arrays.copyOf(full, cut));
        assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), m.type() + " cut at " + cut + ": " + e.getMessage());
      }
    }
  }

  @Test
  void decode_trailingBytesAreMalformed() {
    for (WireMessage m : samples()) {
      byte[] full = bytes(body(Wire.encode(m)));
      WireException e = malformed(Arrays.copyOf(full, full.length + 1));
      assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), m.type().toString());
      assertTrue(e.getMessage().contains("unexpected bytes"), e.getMessage());
    }
  }

  @Test
  void decode_unknownTypeSaysWhichType() {
    WireException e = malformed(new byte[] {0x42, 0, 0});
    assertEquals(ErrorCode.UNKNOWN_TYPE, e.code());
    assertEquals("unknown message type 0x42", e.getMessage());
    assertEquals(ErrorCode.MALFORMED_FRAME, malformed(new byte[0]).code());
  }

  @Test
  void decode_forgedEntryCountIsRefusedBeforeAnythingIsAllocated() {
    for (int count : new int[] {Integer.MAX_VALUE, -1, 2}) {
      ByteBuffer b = ByteBuffer.allocate(1 + Wire.BATCH_HEADER_BYTES + Wire.ENTRY_HEADER_BYTES);
      b.put((byte) MessageType.BATCH.code()).putLong(2).putLong(1).putLong(1).putInt(count);
      b.putLong(1).putLong(0).putLong(0).putLong(0).putInt(0);
      WireException e = malformed(b.array());
      assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), "count " + count);
    }
  }

  @Test
  void decode_forgedBlockLengthIsRefused() {
    for (int length : new int[] {Integer.MAX_VALUE, -1, Wire.MAX_BLOCK_BYTES + 1, 5}) {
      ByteBuffer b = ByteBuffer.allocate(1 + Wire.FETCH_RESULT_HEADER_BYTES + Wire.ENTRY_HEADER_BYTES + 4);
      b.put((byte) MessageType.FETCH_RESULT.code()).putLong(0).putInt(1);
      b.putLong(1).putLong(0).putLong(0).putLong(0).putInt(length).putInt(0);
      WireException e = malformed(b.array());
      assertEquals(ErrorCode.MALFORMED_FRAME, e.code(), "length " + length);
    }
  }

  @Test
  void decode_fetchNeedsOneTo4096TraceIds() {
    for (int count : new int[] {0, Wire.MAX_FETCH_IDS + 1, 0xFFFF}) {
      ByteBuffer b = ByteBuffer.allocate(1 + 8 + 4 + 2);
      b.put((byte) MessageType.FETCH.code()).putLong(0).putInt(0).putShort((short) count);
      assertEquals(ErrorCode.MALFORMED_FRAME, malformed(b.array()).code(), "count " + count);
    }
  }

  @Test
  void decode_sequenceNumbersAbove2To63AreMalformed() {
    ByteBuffer b = ByteBuffer.allocate(17);
    b.put((byte) MessageType.PULL.code()).putLong(-5).putInt(1).putInt(1);
    WireException e = malformed(b.array());
    assertTrue(e.getMessage().contains("cursor"), e.getMessage());
  }

  @Test
  void decode_u32LimitsAbove2To31MeanAsMuchAsAllowed() throws Exception {
    ByteBuffer b = ByteBuffer.allocate(17);
    b.put((byte) MessageType.PULL.code()).putLong(5).putInt(-1).putInt(0x80000000);
    assertEquals(new Pull(5, Integer.MAX_VALUE, Integer.MAX_VALUE), Wire.decode(b.flip()));
  }

  @Test
  void decode_longNamesAndStringsPastTheBodyAreMalformed() {
    ByteBuffer tooLong = ByteBuffer.allocate(1 + 2 + 32 + 2 + 300 + 32);
    tooLong.put((byte) MessageType.AUTH.code()).putShort((short) 1).put(NONCE).putShort((short) 300)
        .put(new byte[300]).put(PROOF);
    assertTrue(malformed(tooLong.array()).getMessage().contains("at most 256"));

    ByteBuffer pastEnd = ByteBuffer.allocate(1 + 2 + 2 + 3);
    pastEnd.put((byte) MessageType.ERROR.code()).putShort((short) 1).putShort((short) 0xFFFF).put(new byte[3]);
    assertEquals(ErrorCode.MALFORMED_FRAME, malformed(pastEnd.array()).code());
  }

  @Test
  void decode_helloFromSomethingElseSaysSo() {
    byte[] hello = bytes(body(Wire.encode(samples().get(0))));
    hello[1] = 'H';
    WireException e = malformed(hello);
    assertTrue(e.getMessage().contains("not a Cairn shipper"), e.getMessage());
  }

  @Test
  void decode_statusWithARepeatedKeyIsMalformed() {
    ByteBuffer b = ByteBuffer.allocate(1 + 2 + 2 * (2 + 1 + 2 + 1));
    b.put((byte) MessageType.STATUS_RESULT.code()).putShort((short) 2);
    for (int i = 0; i < 2; i++) {
      b.putShort((short) 1).put((byte) 'k').putShort((short) 1).put((byte) 'v');
    }
    assertTrue(malformed(b.array()).getMessage().contains("repeats the key k"));
  }

  @Test
  void decode_randomlyDamagedFramesFailOnlyWithWireException() {
    Random random = new Random(42);
    List<byte[]> valid = new ArrayList<>();
    for (WireMessage m : samples()) {
      valid.add(bytes(body(Wire.encode(m))));
    }
    int decoded = 0;
    int refused = 0;
    for (int i = 0; i < 50_000; i++) {
      byte[] b = valid.get(random.nextInt(valid.size())).clone();
      int flips = 1 + random.nextInt(4);
      for (int f = 0; f < flips; f++) {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256);
      }
      byte[] cut = random.nextBoolean() ? b : Arrays.copyOf(b, random.nextInt(b.length + 1));
      try {
        Wire.decode(ByteBuffer.wrap(cut));
        decoded++;
      } catch (WireException e) {
        refused++;
      }
      // Anything else (IndexOutOfBounds, BufferUnderflow, IllegalArgument, OOM) fails the test.
    }
    assertTrue(decoded > 0 && refused > 0, decoded + " decoded, " + refused + " refused");
  }

  @Test
  void checkFrameLength_refusesTooLargeAndEmptyFramesBeforeReadingThem() throws Exception {
    assertEquals(100, Wire.checkFrameLength(100, 100));
    assertEquals(ErrorCode.FRAME_TOO_LARGE, assertThrows(WireException.class, () -> Wire.checkFrameLength(101, 100)).code());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, assertThrows(WireException.class, () -> Wire.checkFrameLength(-1, 100)).code());
    assertEquals(ErrorCode.MALFORMED_FRAME, assertThrows(WireException.class, () -> Wire.checkFrameLength(0, 100)).code());
  }

  @Test
  void maxResponseFrame_holdsMaxBytesOrOneLargestBlock() {
    assertEquals(1 + Wire.BATCH_HEADER_BYTES + (64 << 20), Wire.maxResponseFrame(64 << 20));
    assertEquals(1 + Wire.BATCH_HEADER_BYTES + Wire.ENTRY_HEADER_BYTES + Wire.MAX_BLOCK_BYTES, Wire.maxResponseFrame(1024));
  }

  @Test
  void chooseVersion_picksTheNewestCommonVersionOrSaysWhichSideToUpgrade() throws Exception {
    assertEquals(Wire.VERSION, Wire.chooseVersion(1, 9));
    assertEquals(1, Wire.chooseVersion(0, 1));
    WireException e = assertThrows(WireException.class, () -> Wire.chooseVersion(Wire.VERSION + 1, Wire.VERSION + 3));
    assertEquals(ErrorCode.UNSUPPORTED_VERSION, e.code());
    assertTrue(e.getMessage().contains("upgrade"));
    assertTrue(Wire.supports(Wire.VERSION));
    assertFalse(Wire.supports(Wire.VERSION + 1));
    assertFalse(Wire.supports(0));
  }

  @Test
  void messages_validateTheirFields() {
    assertThrows(IllegalArgumentException.class, () -> new Hello(1, 1, 1, new byte[5], "a", "b"));
    assertThrows(IllegalArgumentException.class, () -> new Pull(-1, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new Fetch(0, 0, List.of()));
    assertThrows(IllegalArgumentException.class, () -> Wire.encode(new Hello(1, 1, 1, CHALLENGE, "x".repeat(257), "h")));
    assertEquals(Wire.MAX_ERROR_CHARS, new ErrorMessage(1, "e".repeat(5000)).message().length());
  }

  @Test
  void errorCodes_belowOneHundredCloseTheConnection_unknownCodesSurviveDecoding() throws Exception {
    assertTrue(ErrorCode.AUTH_FAILED.closesConnection());
    assertFalse(ErrorCode.UNAVAILABLE.closesConnection());
    ErrorMessage e = (ErrorMessage) roundTrip(new ErrorMessage(999, "from the future"));
    assertEquals(999, e.code());
    assertTrue(e.errorCode().isEmpty());
    assertEquals(ErrorCode.FRAME_TOO_LARGE, ErrorMessage.of(ErrorCode.FRAME_TOO_LARGE, "").errorCode().orElseThrow());
  }

  @Test
  void decode_readsFromDirectBuffersAndLeavesThePositionAlone() throws Exception {
    ByteBuffer heap = body(Wire.encode(samples().get(0)));
    ByteBuffer direct = ByteBuffer.allocateDirect(heap.remaining()).put(heap.duplicate()).flip();
    Hello h = (Hello) Wire.decode(direct);
    assertEquals("host-\u00e9.example", h.host());
    assertEquals(0, direct.position());
  }
}
