package dev.cairn.core.format;

/** Codes shared by the record encoder and decoder; see {@code docs/format.md}. */
final class Records {
  static final int SPAN = 1;
  static final int LOG = 2;

  static final int T_STRING = 1;
  static final int T_FALSE = 2;
  static final int T_TRUE = 3;
  static final int T_LONG = 4;
  static final int T_DOUBLE = 5;
  static final int T_STRING_ARRAY = 6;
  static final int T_BOOL_ARRAY = 7;
  static final int T_LONG_ARRAY = 8;
  static final int T_DOUBLE_ARRAY = 9;
  static final int T_BUSINESS_KEY = 0x80;

  /** Span flags byte: bit 0 sampled, bit 1 remote parent (as in SpanView), bit 7 has parent. */
  static final int F_HAS_PARENT = 0x80;

  /** Strings: low bit 0 = table reference; low bits 01 = literal added to the table; 11 = literal. */
  static final int MAX_TABLE = 4096;
  static final int MAX_STRING_CHARS = 32 * 1024;
  static final int MAX_LIST = 4096;
  static final int MAX_RECORD_BYTES = 1 << 20;

  private Records() {}
}
