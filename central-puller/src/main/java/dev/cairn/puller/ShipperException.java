package dev.cairn.puller;

import dev.cairn.core.wire.ErrorCode;
import java.io.IOException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A request to a shipper, or the connection to it, failed. {@link #code()} is the pull protocol's
 * error code when there is one: sent by the shipper in an ERROR frame ({@link #fromShipper()}), or
 * found by this side (a malformed frame, a server proof that does not match: AUTH_FAILED). No code:
 * the connection could not be made, timed out, or was lost.
 */
final class ShipperException extends IOException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final boolean fromShipper;

  ShipperException(String message, Throwable cause) {
    super(message, cause);
    this.code = -1;
    this.fromShipper = false;
  }

  ShipperException(String message, int code, boolean fromShipper) {
    super(message);
    this.code = code;
    this.fromShipper = fromShipper;
  }

  /** The protocol's error code (also codes this version does not know), if any. */
  OptionalInt code() {
    return code < 0 ? OptionalInt.empty() : OptionalInt.of(code);
  }

  /** The code, when this version knows it. */
  Optional<ErrorCode> errorCode() {
    return code < 0 ? Optional.empty() : ErrorCode.of(code);
  }

  /** True when the shipper sent the ERROR; false when this side found the problem. */
  boolean fromShipper() {
    return fromShipper;
  }
}
