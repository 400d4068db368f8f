package dev.cairn.core.format;

import java.util.Arrays;

/** A growable big-endian byte buffer with varint and UTF-8 writers; reused, never shrinks. */
final class ByteWriter {
  private byte[] buf;
  private int pos;

  ByteWriter(int initialCapacity) {
    buf = new byte[Math.max(64, initialCapacity)];
  }

  int position() {
    return pos;
  }

  byte[] array() {
    return buf;
  }

  void reset() {
    pos = 0;
  }

  /** Moves the write position back, dropping what was written after {@code position}. */
  void truncate(int position) {
    pos = position;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
    }
  }

  void u8(int v) {
    ensure(1);
    buf[pos++] = (byte) v;
  }

  void u16(int v) {
    ensure(2);
    buf[pos++] = (byte) (v >>> 8);
    buf[pos++] = (byte) v;
  }

  void i32(int v) {
    ensure(4);
    putInt(buf, pos, v);
    pos += 4;
  }

  void i64(long v) {
    ensure(8);
    putLong(buf, pos, v);
    pos += 8;
  }

  void bytes(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, pos, len);
    pos += len;
  }

  void varint(long v) {
    ensure(10);
    while ((v & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[pos++] = (byte) v;
  }

  void zigzag(long v) {
    varint((v << 1) ^ (v >> 63));
  }

  /** Reserves {@code n} bytes to be filled later with {@link #putIntAt}; returns their offset. */
  int reserve(int n) {
    ensure(n);
    int at = pos;
    pos += n;
    return at;
  }

  void putIntAt(int at, int v) {
    putInt(buf, at, v);
  }

  /**
   * Writes the UTF-8 bytes of {@code s[0, maxChars)} without allocating; returns the byte count.
   * Unpaired surrogates become '?', as {@code String.getBytes(UTF_8)} would.
   */
  int utf8(CharSequence s, int maxChars) {
    int n = Math.min(s.length(), maxChars);
    ensure(n * 3);
    int start = pos;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        buf[pos++] = (byte) c;
      } else if (c < 0x800) {
        buf[pos++] = (byte) (0xC0 | (c >> 6));
        buf[pos++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
        int cp = Character.toCodePoint(c, s.charAt(++i));
        buf[pos++] = (byte) (0xF0 | (cp >> 18));
        buf[pos++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[pos++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[pos++] = (byte) (0x80 | (cp & 0x3F));
      } else if (Character.isSurrogate(c)) {
        buf[pos++] = '?';
      } else {
        buf[pos++] = (byte) (0xE0 | (c >> 12));
        buf[pos++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        buf[pos++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return pos - start;
  }

  /** Moves {@code len} bytes at {@code from} forward by {@code by} (to make room for a prefix). */
  void shift(int from, int len, int by) {
    ensure(by);
    System.arraycopy(buf, from, buf, from + by, len);
    pos += by;
  }

  static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  static void putLong(byte[] b, int at, long v) {
    putInt(b, at, (int) (v >>> 32));
    putInt(b, at + 4, (int) v);
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      n++;
      v >>>= 7;
    }
    return n;
  }
}
