package dev.cairn.core.wire;

/**
 * Bytes that are not a valid frame or message of the pull protocol. {@link #code()} is the
 * {@link ErrorCode} a server answers with before it closes the connection; the message says what
 * was wrong in a sentence an operator can act on.
 */
public final class WireException extends Exception {
  private static final long serialVersionUID = 1L;

  private final ErrorCode code;

  public WireException(ErrorCode code, String message) {
    super(message);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }
}
