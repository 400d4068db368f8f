package dev.cairn.core.model;

/** The outcome of a span, as in OpenTelemetry. The ordinal is the on-disk code: never reorder. */
public enum StatusCode {
  UNSET, OK, ERROR;

  private static final StatusCode[] VALUES = values();

  /** The status with this on-disk code, or {@link #UNSET} for a code this version does not know. */
  public static StatusCode ofCode(int code) {
    return code >= 0 && code < VALUES.length ? VALUES[code] : UNSET;
  }
}
