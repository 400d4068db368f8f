package dev.cairn.core.format;

/** Bytes that are not a valid Cairn span file, block or record; the message says what and where. */
public final class FormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public FormatException(String message) {
    super(message);
  }

  public FormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
