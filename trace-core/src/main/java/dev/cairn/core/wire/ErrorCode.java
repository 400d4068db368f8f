package dev.cairn.core.wire;

import java.util.Optional;

/**
 * The codes an {@link WireMessage.ErrorMessage ERROR} frame carries (docs/protocol.md, "Errors").
 * Codes below 100 end the connection: the server sends the ERROR and closes. Codes from 100 answer
 * one request and leave the connection open.
 */
public enum ErrorCode {
  /** A frame's body does not have the layout its type requires (truncated, wrong lengths, bad counts). */
  MALFORMED_FRAME(1),
  /** A frame announced more bytes than the receiver's maximum frame length. */
  FRAME_TOO_LARGE(2),
  /** A frame's type byte names no message this protocol version knows. */
  UNKNOWN_TYPE(3),
  /** A known message the receiver does not accept here (a response sent as a request, a second AUTH). */
  UNEXPECTED_MESSAGE(4),
  /** Too many requests sent ahead without waiting for answers. */
  TOO_MANY_REQUESTS(5),
  /** The shipper already serves as many connections as it allows; try again later. */
  TOO_MANY_CONNECTIONS(6),
  /** A request other than AUTH before authentication. */
  AUTH_REQUIRED(10),
  /** The AUTH proof does not match: wrong shared secret (or a tampered handshake). */
  AUTH_FAILED(11),
  /** No AUTH arrived within the server's authentication timeout. */
  AUTH_TIMEOUT(12),
  /** The client chose a protocol version outside the range HELLO offered. */
  UNSUPPORTED_VERSION(13),
  /** The server is stopping. */
  SHUTTING_DOWN(20),
  /** The server could not read its journal for this request; retry later. The connection stays open. */
  UNAVAILABLE(100);

  private final int code;

  ErrorCode(int code) {
    this.code = code;
  }

  /** The u16 value on the wire. */
  public int code() {
    return code;
  }

  /** True when the sender closes the connection after this error. */
  public boolean closesConnection() {
    return code < 100;
  }

  /** The code with this wire value, if this version knows it. */
  public static Optional<ErrorCode> of(int code) {
    for (ErrorCode c : values()) {
      if (c.code == code) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
