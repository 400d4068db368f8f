package dev.cairn.core.format;

import static dev.cairn.core.format.Records.*;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogView;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanView;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Encodes spans and log lines into blocks: records are appended to an uncompressed buffer with a
 * per-block string table; {@link #finish()} compresses them with LZ4, checksums them and lays the
 * block out behind its header. One thread at a time; buffers are reused, so steady-state encoding
 * allocates little.
 *
 * <pre>{@code
 * BlockEncoder enc = new BlockEncoder(64 * 1024);
 * enc.addSpan(span);
 * if (enc.isFull()) { channel.write(enc.finish()); }
 * }</pre>
 */
public final class BlockEncoder {
  /**
   * LZ4 high-compression level used unless told otherwise: on typical spans level 4 makes blocks
   * about 14% smaller than the fast compressor and still encodes about a million spans a second
   * on one core (docs/performance.md). Decoding is the same LZ4 block format either way.
   */
  public static final int DEFAULT_LEVEL = 4;

  private final int targetBytes;
  private final LZ4Compressor lz4;
  private final ByteWriter records;
  private final HashMap<String, Integer> table = new HashMap<>();
  private final List<String> tableOrder = new ArrayList<>();
  private byte[] block = new byte[0];
  private int recordCount;
  private long minMicros = Long.MAX_VALUE;
  private long maxMicros = Long.MIN_VALUE;
  private long previousMicros;

  /** An encoder with the {@link #DEFAULT_LEVEL default compression level}. */
  public BlockEncoder(int targetBytes) {
    this(targetBytes, DEFAULT_LEVEL);
  }

  /**
   * @param targetBytes uncompressed bytes after which {@link #isFull()} says to finish a block
   * @param level 0 for LZ4's fast compressor, 1-17 for its high-compression levels
   */
  public BlockEncoder(int targetBytes, int level) {
    if (level < 0 || level > 17) {
      throw new IllegalArgumentException("level must be in [0, 17]: " + level);
    }
    lz4 = level == 0 ? LZ4Factory.fastestInstance().fastCompressor()
        : LZ4Factory.fastestInstance().highCompressor(level);
    if (targetBytes < 1024 || targetBytes > BlockHeader.MAX_PAYLOAD / 2) {
      throw new IllegalArgumentException("targetBytes must be in [1 KiB, 8 MiB]: " + targetBytes);
    }
    this.targetBytes = targetBytes;
    this.records = new ByteWriter(targetBytes + targetBytes / 4);
  }

  public int recordCount() {
    return recordCount;
  }

  public boolean isEmpty() {
    return recordCount == 0;
  }

  /** Uncompressed bytes encoded so far in this block. */
  public int size() {
    return records.position();
  }

  public boolean isFull() {
    return records.position() >= targetBytes;
  }

  /**
   * Appends a span. Returns false, leaving the block as it was, when the span cannot be encoded
   * (larger than a block may hold).
   */
  public boolean addSpan(SpanView s) {
    int mark = begin(SPAN);
    int tableMark = tableOrder.size();
    long savedPrevious = previousMicros;
    try {
      records.i64(s.traceIdHigh());
      records.i64(s.traceIdLow());
      records.i64(s.spanId());
      long parent = s.parentSpanId();
      records.u8((s.flags() & 0x7F) | (parent != 0 ? F_HAS_PARENT : 0));
      if (parent != 0) {
        records.i64(parent);
      }
      records.u8(s.kind().ordinal());
      records.u8(s.status().ordinal());
      string(s.service());
      string(s.scopeName());
      string(s.scopeVersion());
      string(s.name());
      long start = s.startMicros();
      records.zigzag(start - previousMicros);
      previousMicros = start;
      long duration = Math.max(0, s.durationMicros());
      records.varint(duration);
      string(s.statusMessage());
      int n = s.attributeCount();
      records.varint(n);
      for (int i = 0; i < n; i++) {
        attribute(s.attributeKey(i), s.attributeValue(i), s.attributeIsBusinessKey(i));
      }
      n = s.eventCount();
      records.varint(n);
      for (int i = 0; i < n; i++) {
        SpanEvent e = s.event(i);
        records.zigzag(e.timeMicros() - start);
        string(e.name());
        attributes(e.attributes());
      }
      n = s.linkCount();
      records.varint(n);
      for (int i = 0; i < n; i++) {
        SpanLink l = s.link(i);
        records.i64(l.traceIdHigh());
        records.i64(l.traceIdLow());
        records.i64(l.spanId());
        attributes(l.attributes());
      }
      if (!end(mark)) {
        rollback(mark, tableMark, savedPrevious);
        return false;
      }
      minMicros = Math.min(minMicros, start);
      maxMicros = Math.max(maxMicros, start + duration);
      return true;
    } catch (RuntimeException e) {
      rollback(mark, tableMark, savedPrevious);
      return false;
    }
  }

  /** Appends a business log line; false, leaving the block as it was, when it cannot be encoded. */
  public boolean addLog(LogView l) {
    int mark = begin(LOG);
    int tableMark = tableOrder.size();
    long savedPrevious = previousMicros;
    try {
      records.i64(l.traceIdHigh());
      records.i64(l.traceIdLow());
      records.i64(l.spanId());
      long t = l.timeMicros();
      records.zigzag(t - previousMicros);
      previousMicros = t;
      string(l.level());
      string(l.logger());
      string(l.thread());
      literal(l.message());
      literal(l.thrown());
      if (!end(mark)) {
        rollback(mark, tableMark, savedPrevious);
        return false;
      }
      minMicros = Math.min(minMicros, t);
      maxMicros = Math.max(maxMicros, t);
      return true;
    } catch (RuntimeException e) {
      rollback(mark, tableMark, savedPrevious);
      return false;
    }
  }

  /**
   * Closes the current block: compresses, checksums, writes the header. Returns the whole block
   * (header and payload) as a buffer valid until the next call on this encoder, and starts a new,
   * empty block.
   *
   * @throws IllegalStateException when the block is empty
   */
  public ByteBuffer finish() {
    if (recordCount == 0) {
      throw new IllegalStateException("no records to finish a block with");
    }
    int raw = records.position();
    int max = lz4.maxCompressedLength(raw);
    if (block.length < BlockHeader.LENGTH + Math.max(max, raw)) {
      block = new byte[BlockHeader.LENGTH + Math.max(max, raw)];
    }
    int compressed = lz4.compress(records.array(), 0, raw, block, BlockHeader.LENGTH, max);
    int codec = BlockHeader.CODEC_LZ4;
    int payload = compressed;
    if (compressed >= raw) {
      System.arraycopy(records.array(), 0, block, BlockHeader.LENGTH, raw);
      codec = BlockHeader.CODEC_STORED;
      payload = raw;
    }
    int crc = BlockHeader.crc(block, BlockHeader.LENGTH, payload);
    new BlockHeader(BlockHeader.VERSION, codec, BlockHeader.LENGTH, payload, raw, recordCount,
        minMicros, maxMicros, crc).writeTo(block, 0);
    reset();
    return ByteBuffer.wrap(block, 0, BlockHeader.LENGTH + payload);
  }

  /** Drops everything added since the last {@link #finish()}. */
  public void reset() {
    records.reset();
    table.clear();
    tableOrder.clear();
    recordCount = 0;
    minMicros = Long.MAX_VALUE;
    maxMicros = Long.MIN_VALUE;
    previousMicros = 0;
  }

  // A record is: type byte, varint body length, body. The body is written 5 bytes after the type
  // byte (room for the longest length prefix) and moved back once its length is known.
  private int begin(int type) {
    int mark = records.position();
    records.u8(type);
    records.reserve(5);
    return mark;
  }

  private boolean end(int mark) {
    int bodyStart = mark + 6;
    int len = records.position() - bodyStart;
    if (len > MAX_RECORD_BYTES) {
      return false;
    }
    int prefix = ByteWriter.varintSize(len);
    byte[] b = records.array();
    System.arraycopy(b, bodyStart, b, mark + 1 + prefix, len);
    records.truncate(mark + 1);
    records.varint(len);
    records.truncate(mark + 1 + prefix + len);
    recordCount++;
    return true;
  }

  private void rollback(int mark, int tableMark, long savedPrevious) {
    records.truncate(mark);
    for (int i = tableOrder.size() - 1; i >= tableMark; i--) {
      table.remove(tableOrder.remove(i));
    }
    previousMicros = savedPrevious;
  }

  private void string(String s) {
    Integer ref = table.get(s);
    if (ref != null) {
      records.varint((long) ref << 1);
      return;
    }
    if (tableOrder.size() < MAX_TABLE && s.length() <= 256) {
      table.put(s, tableOrder.size());
      tableOrder.add(s);
      writeLiteral(s, 1);
    } else {
      writeLiteral(s, 3);
    }
  }

  /** A string not worth a table entry (log messages, stack traces). */
  private void literal(CharSequence s) {
    writeLiteral(s, 3);
  }

  private void writeLiteral(CharSequence s, int tag) {
    int chars = Math.min(s.length(), MAX_STRING_CHARS);
    records.varint(((long) utf8Length(s, chars) << 2) | tag);
    records.utf8(s, chars);
  }

  private static int utf8Length(CharSequence s, int chars) {
    int n = 0;
    for (int i = 0; i < chars; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < chars && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        n++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  private void attributes(List<Attribute> list) {
    int n = Math.min(list.size(), MAX_LIST);
    records.varint(n);
    for (int i = 0; i < n; i++) {
      Attribute a = list.get(i);
      attribute(a.key(), a.value(), a.businessKey());
    }
  }

  private void attribute(String key, Object value, boolean businessKey) {
    string(key);
    int bk = businessKey ? T_BUSINESS_KEY : 0;
    if (value instanceof String v) {
      records.u8(T_STRING | bk);
      string(v);
    } else if (value instanceof Boolean v) {
      records.u8((v ? T_TRUE : T_FALSE) | bk);
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short
        || value instanceof Byte) {
      records.u8(T_LONG | bk);
      records.zigzag(((Number) value).longValue());
    } else if (value instanceof Double || value instanceof Float) {
      records.u8(T_DOUBLE | bk);
      records.i64(Double.doubleToRawLongBits(((Number) value).doubleValue()));
    } else if (value instanceof List<?> list && !list.isEmpty()) {
      list(list, bk);
    } else if (value instanceof List<?>) {
      records.u8(T_STRING_ARRAY | bk);
      records.varint(0);
    } else {
      records.u8(T_STRING | bk);
      string(String.valueOf(value));
    }
  }

  private void list(List<?> list, int bk) {
    int n = Math.min(list.size(), MAX_LIST);
    Object first = list.get(0);
    if (first instanceof Boolean) {
      records.u8(T_BOOL_ARRAY | bk);
      records.varint(n);
      for (int i = 0; i < n; i++) {
        records.u8(Boolean.TRUE.equals(list.get(i)) ? 1 : 0);
      }
    } else if (first instanceof Long || first instanceof Integer) {
      records.u8(T_LONG_ARRAY | bk);
      records.varint(n);
      for (int i = 0; i < n; i++) {
        Object v = list.get(i);
        records.zigzag(v instanceof Number num ? num.longValue() : 0);
      }
    } else if (first instanceof Double || first instanceof Float) {
      records.u8(T_DOUBLE_ARRAY | bk);
      records.varint(n);
      for (int i = 0; i < n; i++) {
        Object v = list.get(i);
        records.i64(Double.doubleToRawLongBits(v instanceof Number num ? num.doubleValue() : 0));
      }
    } else {
      records.u8(T_STRING_ARRAY | bk);
      records.varint(n);
      for (int i = 0; i < n; i++) {
        string(String.valueOf(list.get(i)));
      }
    }
  }
}
