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
import dev.cairn.store.StoredSpan;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *   <li>0: one record (a log line), uncompressed, without the block's 44-byte header;
 *   <li>1: a log line's whole block as the encoder made it (LZ4-compressed when smaller);
 *   <li>2: a trace part: a varint record count, the part's calls (below), then the records
 *       uncompressed, without the header;
 *   <li>3: a trace part: its calls, then the whole block as the encoder made it.
 * </ul>
 *
 * Forms 0 and 2 leave compression to Elasticsearch's {@code best_compression}, which compresses
 * across the neighbouring documents of an index sorted by trace; the header's lengths, time range
 * and CRCs say nothing Elasticsearch does not know, and {@link #decode} rebuilds them.
 *
 * <p>A part's calls are its spans called from another service (the dependency links of the cut
 * minutes at a window's edges are counted from them): a varint byte length, then per call the
 * span's place in the block (varint) and the parent's service (varint length, UTF-8), left empty
 * when it is the service of the span's parent in the same part, which it usually is.
 */
final class EsCodec {
  /** Uncompressed record bytes after which a trace part is cut, as in the embedded store. */
  static final int PART_TARGET_BYTES = 1 << 20;
  private static final int ONE = 0;
  private static final int BLOCK = 1;
  private static final int RECORDS = 2;
  private static final int PART_BLOCK = 3;
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

  /** A span of a part called from another service, and that service. */
  record Call(SpanRecord child, String parentService) {}

  /** A trace part as stored: its spans in block order and its calls. */
  record Part(List<SpanRecord> spans, List<Call> calls) {}

  /**
   * The stored form of the part the encoder holds (and finishes), whose spans are {@code spans}:
   * its records uncompressed (form 2), or with {@code compressed} the block itself (form 3).
   */
  static String finish(BlockEncoder e, List<StoredSpan> spans, boolean compressed) {
    int count = e.recordCount();
    ByteBuffer b = e.finish();
    byte[] block = Arrays.copyOfRange(b.array(), b.arrayOffset() + b.position(),
        b.arrayOffset() + b.limit());
    ByteArrayOutputStream out = new ByteArrayOutputStream(block.length + 64);
    byte[] calls = calls(spans);
    if (compressed || headerLength(block) != BlockHeader.LENGTH) {
      out.write(PART_BLOCK);
      varint(out, calls.length);
      out.writeBytes(calls);
      out.writeBytes(block);
      return Base64.getEncoder().encodeToString(out.toByteArray());
    }
    out.write(RECORDS);
    varint(out, count);
    varint(out, calls.length);
    out.writeBytes(calls);
    if (block[5] == BlockHeader.CODEC_STORED) {
      out.write(block, BlockHeader.LENGTH, block.length - BlockHeader.LENGTH);
    } else {
      byte[] records = new byte[intAt(block, 12)];
      LZ4.decompress(block, BlockHeader.LENGTH, records, 0, records.length);
      out.writeBytes(records);
    }
    return Base64.getEncoder().encodeToString(out.toByteArray());
  }

  private static byte[] calls(List<StoredSpan> spans) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Map<Long, String> services = null;
    for (int i = 0; i < spans.size(); i++) {
      StoredSpan s = spans.get(i);
      if (!EsSpanDocuments.isCall(s)) {
        continue;
      }
      if (services == null) {
        services = new HashMap<>();
        for (StoredSpan p : spans) {
          services.put(p.span().spanId(), p.span().service());
        }
      }
      varint(out, i);
      byte[] parent = s.parentService().equals(services.get(s.span().parentSpanId()))
          ? new byte[0] : s.parentService().getBytes(StandardCharsets.UTF_8);
      varint(out, parent.length);
      out.writeBytes(parent);
    }
    return out.toByteArray();
  }

  private static void varint(ByteArrayOutputStream out, int v) {
    while ((v & ~0x7F) != 0) {
      out.write((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write(v);
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

  /** Reads varints and byte strings of a stored value. */
  private static final class Reader {
    final byte[] b;
    int at;

    Reader(byte[] b, int at) {
      this.b = b;
      this.at = at;
    }

    int varint() {
      int v = 0;
      for (int shift = 0; ; shift += 7) {
        if (at >= b.length || shift > 28) {
          throw new IllegalArgumentException("bad varint at " + at);
        }
        byte x = b[at++];
        v |= (x & 0x7F) << shift;
        if (x >= 0) {
          return v;
        }
      }
    }

    String string() {
      int n = varint();
      if (n < 0 || n > b.length - at) {
        throw new IllegalArgumentException("bad length at " + at);
      }
      String s = new String(b, at, n, StandardCharsets.UTF_8);
      at += n;
      return s;
    }
  }

  /** The block of a stored record list, its header rebuilt. */
  private static byte[] block(byte[] stored, int from, int count) {
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

  /** The records (added to {@code records}) and calls of a stored value, of any form. */
  private static Part read(String base64, String id, List<Object> records)
      throws StoreException {
    List<SpanRecord> spans = new ArrayList<>();
    List<Call> calls = new ArrayList<>();
    try {
      byte[] stored = Base64.getDecoder().decode(base64);
      if (stored.length == 0) {
        throw new IllegalArgumentException("empty");
      }
      Reader r = new Reader(stored, 1);
      byte[] block;
      int callsFrom = -1;
      int callsEnd = -1;
      switch (stored[0]) {
        case ONE -> block = block(stored, 1, 1);
        case BLOCK -> block = Arrays.copyOfRange(stored, 1, stored.length);
        case RECORDS -> {
          int count = r.varint();
          int length = r.varint();
          callsFrom = r.at;
          callsEnd = r.at + length;
          block = block(stored, callsEnd, count);
        }
        case PART_BLOCK -> {
          int length = r.varint();
          callsFrom = r.at;
          callsEnd = r.at + length;
          block = Arrays.copyOfRange(stored, callsEnd, stored.length);
        }
        default -> throw new IllegalArgumentException("unknown form " + stored[0]);
      }
      DECODERS.get().decode(Block.wrap(0, block), new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          spans.add(span);
          records.add(span);
        }

        @Override
        public void log(LogRecord log) {
          records.add(log);
        }
      });
      if (callsFrom >= 0) {
        Map<Long, String> services = new HashMap<>();
        for (SpanRecord s : spans) {
          services.put(s.spanId(), s.service());
        }
        r.at = callsFrom;
        while (r.at < callsEnd) {
          SpanRecord child = spans.get(r.varint());
          String parent = r.string();
          calls.add(new Call(child, parent.isEmpty()
              ? services.getOrDefault(child.parentSpanId(), "") : parent));
        }
      }
    } catch (FormatException | IllegalArgumentException | IndexOutOfBoundsException e) {
      throw new StoreException("stored document " + id + " is unreadable: " + e.getMessage(), e);
    }
    if (records.isEmpty()) {
      throw new StoreException("stored document " + id + " holds no record");
    }
    if (spans.size() != records.size() && !spans.isEmpty()) {
      throw new StoreException("stored document " + id + " mixes spans and log lines");
    }
    return new Part(spans.isEmpty() ? List.of() : spans, calls);
  }

  /** The log line of a stored log document. */
  static LogRecord log(String base64, String id) throws StoreException {
    List<Object> records = new ArrayList<>(1);
    read(base64, id, records);
    if (records.size() != 1 || !(records.get(0) instanceof LogRecord l)) {
      throw new StoreException("stored document " + id + " is not one log line");
    }
    return l;
  }

  /** The spans and calls of a stored trace part. */
  static Part part(String base64, String id) throws StoreException {
    Part p = read(base64, id, new ArrayList<>());
    if (p.spans().isEmpty()) {
      throw new StoreException("stored part " + id + " holds no span");
    }
    return p;
  }

  /** The spans of a stored trace part, in block order. */
  static List<SpanRecord> spans(String base64, String id) throws StoreException {
    return part(base64, id).spans();
  }
}
