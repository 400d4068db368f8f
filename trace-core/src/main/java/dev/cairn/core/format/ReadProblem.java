package dev.cairn.core.format;

/**
 * Something a reader skipped. Offsets are file offsets; nothing is ever decoded from the skipped
 * bytes.
 *
 * @param kind what was wrong
 * @param offset where the skipped bytes start
 * @param length how many bytes were skipped
 * @param message a sentence for operators
 */
public record ReadProblem(Kind kind, long offset, long length, String message) {
  public enum Kind {
    /** Bytes between valid blocks that are not a valid block (bit flips, overwritten data). */
    CORRUPT,
    /** A valid block header of a newer format version than this reader decodes. */
    UNSUPPORTED_VERSION,
    /** An incomplete block at the end of a file that will not grow any more. */
    TORN_TAIL
  }
}
