package dev.cairn.core.format;

import java.nio.charset.StandardCharsets;

/** A bounds-checked cursor over a byte range; every overrun is a {@link FormatException}. */
final class ByteReader {
  private final byte[] buf;
  private int pos;
  private final int limit;

  ByteReader(byte[] buf, int offset, int length) {
    this.buf = buf;
    this.pos = offset;
    this.limit = offset + length;
  }

  int position() {
    return pos;
  }

  int remaining() {
    return limit - pos;
  }

  private void need(int n) throws FormatException {
    if (n < 0 || limit - pos < n) {
      throw new FormatException("record truncated: need " + n + " bytes at " + pos + ", have " + (limit - pos));
    }
  }

  int u8() throws FormatException {
    need(1);
    return buf[pos++] & 0xFF;
  }

  int u16() throws FormatException {
    need(2);
    int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
    pos += 2;
    return v;
  }

  int i32() throws FormatException {
    need(4);
    int v = getInt(buf, pos);
    pos += 4;
    return v;
  }

  long i64() throws FormatException {
    need(8);
    long v = getLong(buf, pos);
    pos += 8;
    return v;
  }

  long varint() throws FormatException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = u8();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new FormatException("varint longer than 10 bytes at " + pos);
  }

  /** A varint that must fit a non-negative int no larger than {@code max}. */
  int count(int max, String what) throws FormatException {
    long v = varint();
    if (v < 0 || v > max) {
      throw new FormatException(what + " " + v + " out of range (max " + max + ")");
    }
    return (int) v;
  }

  long zigzag() throws FormatException {
    long v = varint();
    return (v >>> 1) ^ -(v & 1);
  }

  String utf8(int len) throws FormatException {
    need(len);
    String s = new String(buf, pos, len, StandardCharsets.UTF_8);
    pos += len;
    return s;
  }

  void skip(int n) throws FormatException {
    need(n);
    pos += n;
  }

  static int getInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8)
        | (b[at + 3] & 0xFF);
  }

  static long getLong(byte[] b, int at) {
    return ((long) getInt(b, at) << 32) | (getInt(b, at + 4) & 0xFFFFFFFFL);
  }
}
