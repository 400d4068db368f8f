package dev.cairn.core.wire;

/** The type byte after a frame's length: which message the body holds. */
public enum MessageType {
  /** Server to client, first frame on every connection: versions, limits, challenge, identity. */
  HELLO(0x01),
  /** Client to server: chosen version, client name, HMAC proof of the shared secret. */
  AUTH(0x02),
  /** Server to client: authentication succeeded; the server's limits and its own proof. */
  AUTH_OK(0x03),
  /** Client to server: blocks from a cursor. */
  PULL(0x10),
  /** Server to client: the answer to PULL. */
  BATCH(0x11),
  /** Client to server: blocks holding given trace IDs. */
  FETCH(0x12),
  /** Server to client: the answer to FETCH. */
  FETCH_RESULT(0x13),
  /** Client to server: the shipper's state. */
  STATUS(0x14),
  /** Server to client: the answer to STATUS, key/value pairs. */
  STATUS_RESULT(0x15),
  /** Either direction: something went wrong (see {@link ErrorCode}). */
  ERROR(0x7F);

  private static final MessageType[] BY_CODE = new MessageType[256];

  static {
    for (MessageType t : values()) {
      BY_CODE[t.code] = t;
    }
  }

  private final int code;

  MessageType(int code) {
    this.code = code;
  }

  /** The type byte on the wire. */
  public int code() {
    return code;
  }

  /** The type with this byte, or null when this version knows none. */
  static MessageType of(int code) {
    return BY_CODE[code & 0xFF];
  }
}
