package dev.cairn.core.format;

import static dev.cairn.core.format.Records.*;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import java.util.ArrayList;
import java.util.List;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Decodes the records of a verified {@link Block}. All records of a block are decoded before any
 * is handed out, so a block whose records do not parse yields nothing (it is reported corrupt),
 * never a half-read or wrong span. Record types this version does not know are skipped by their
 * length. One thread at a time; the decompression buffer is reused.
 */
public final class BlockDecoder {
  private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();

  private byte[] raw = new byte[64 * 1024];
  private final List<String> table = new ArrayList<>();
  private final List<Object> decoded = new ArrayList<>();

  /**
   * Decodes every record of {@code block} and hands them to {@code visitor} in order.
   *
   * @return the number of records handed out
   * @throws FormatException when the payload does not decompress or a record does not parse
   */
  public int decode(Block block, RecordVisitor visitor) throws FormatException {
    BlockHeader h = block.header();
    byte[] src = block.array();
    int payloadAt = block.arrayOffset() + h.headerLength();
    int len = h.uncompressedLength();
    byte[] data = src;
    int dataAt = payloadAt;
    if (h.codec() == BlockHeader.CODEC_LZ4) {
      if (raw.length < len) {
        raw = new byte[len];
      }
      int n;
      try {
        n = LZ4.decompress(src, payloadAt, h.payloadLength(), raw, 0, len);
      } catch (LZ4Exception e) {
        throw new FormatException("block at offset " + block.offset() + ": LZ4 payload does not decompress", e);
      }
      if (n != len) {
        throw new FormatException("block at offset " + block.offset() + ": payload decompressed to "
            + n + " bytes, header says " + len);
      }
      data = raw;
      dataAt = 0;
    }
    decoded.clear();
    table.clear();
    try {
      parse(new ByteReader(data, dataAt, len), h.recordCount());
    } catch (FormatException e) {
      throw new FormatException("block at offset " + block.offset() + ": " + e.getMessage());
    }
    for (Object o : decoded) {
      if (o instanceof SpanRecord s) {
        visitor.span(s);
      } else {
        visitor.log((LogRecord) o);
      }
    }
    int n = decoded.size();
    decoded.clear();
    return n;
  }

  private void parse(ByteReader r, int expected) throws FormatException {
    long previous = 0;
    int count = 0;
    while (r.remaining() > 0) {
      int type = r.u8();
      int len = r.count(MAX_RECORD_BYTES, "record length");
      if (len > r.remaining()) {
        throw new FormatException("record of " + len + " bytes overruns the block");
      }
      int end = r.position() + len;
      count++;
      if (type == SPAN) {
        SpanRecord s = span(r, previous);
        previous = s.startMicros();
        decoded.add(s);
      } else if (type == LOG) {
        LogRecord l = log(r, previous);
        previous = l.timeMicros();
        decoded.add(l);
      } else {
        r.skip(len);
        continue;
      }
      if (r.position() != end) {
        throw new FormatException("record " + count + " has " + (end - r.position()) + " unread bytes");
      }
    }
    if (count != expected) {
      throw new FormatException("block holds " + count + " records, header says " + expected);
    }
  }

  private SpanRecord span(ByteReader r, long previous) throws FormatException {
    SpanRecord.Builder b = SpanRecord.builder();
    b.traceId(r.i64(), r.i64());
    b.spanId(r.i64());
    int flags = r.u8();
    if ((flags & F_HAS_PARENT) != 0) {
      b.parentSpanId(r.i64());
    }
    b.flags(flags & 0x7F);
    b.kind(SpanKind.ofCode(r.u8()));
    int status = r.u8();
    b.service(string(r));
    b.scope(string(r), string(r));
    b.name(string(r));
    long start = previous + r.zigzag();
    b.startMicros(start);
    b.durationMicros(r.varint());
    b.status(StatusCode.ofCode(status), string(r));
    int n = r.count(MAX_LIST, "attribute count");
    for (int i = 0; i < n; i++) {
      b.addAttribute(attribute(r));
    }
    n = r.count(MAX_LIST, "event count");
    for (int i = 0; i < n; i++) {
      long t = start + r.zigzag();
      b.addEvent(new SpanEvent(t, string(r), attributes(r)));
    }
    n = r.count(MAX_LIST, "link count");
    for (int i = 0; i < n; i++) {
      b.addLink(new SpanLink(r.i64(), r.i64(), r.i64(), attributes(r)));
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new FormatException("span record: " + e.getMessage());
    }
  }

  private LogRecord log(ByteReader r, long previous) throws FormatException {
    long hi = r.i64();
    long lo = r.i64();
    long spanId = r.i64();
    long t = previous + r.zigzag();
    return new LogRecord(hi, lo, spanId, t, string(r), string(r), string(r), string(r), string(r));
  }

  private List<Attribute> attributes(ByteReader r) throws FormatException {
    int n = r.count(MAX_LIST, "attribute count");
    List<Attribute> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(attribute(r));
    }
    return list;
  }

  private Attribute attribute(ByteReader r) throws FormatException {
    String key = string(r);
    int tag = r.u8();
    boolean bk = (tag & T_BUSINESS_KEY) != 0;
    Object value;
    switch (tag & 0x7F) {
      case T_STRING -> value = string(r);
      case T_FALSE -> value = Boolean.FALSE;
      case T_TRUE -> value = Boolean.TRUE;
      case T_LONG -> value = r.zigzag();
      case T_DOUBLE -> value = Double.longBitsToDouble(r.i64());
      case T_STRING_ARRAY, T_BOOL_ARRAY, T_LONG_ARRAY, T_DOUBLE_ARRAY -> {
        int n = r.count(MAX_LIST, "array length");
        Object[] items = new Object[n];
        for (int i = 0; i < n; i++) {
          items[i] = switch (tag & 0x7F) {
            case T_STRING_ARRAY -> string(r);
            case T_BOOL_ARRAY -> r.u8() != 0;
            case T_LONG_ARRAY -> r.zigzag();
            default -> Double.longBitsToDouble(r.i64());
          };
        }
        value = List.of(items);
      }
      default -> throw new FormatException("unknown attribute type " + (tag & 0x7F) + " for key " + key);
    }
    return new Attribute(key, value, bk);
  }

  private String string(ByteReader r) throws FormatException {
    long v = r.varint();
    if ((v & 1) == 0) {
      long idx = v >>> 1;
      if (idx >= table.size()) {
        throw new FormatException("string reference " + idx + " beyond table of " + table.size());
      }
      return table.get((int) idx);
    }
    long len = v >>> 2;
    if (len > 4L * MAX_STRING_CHARS) {
      throw new FormatException("string of " + len + " bytes is too long");
    }
    String s = r.utf8((int) len);
    if ((v & 3) == 1) {
      if (table.size() >= MAX_TABLE) {
        throw new FormatException("string table overflow");
      }
      table.add(s);
    }
    return s;
  }
}
