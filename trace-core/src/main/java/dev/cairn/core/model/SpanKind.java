package dev.cairn.core.model;

/** The role of a span in a call, as in OpenTelemetry. The ordinal is the on-disk code: never reorder. */
public enum SpanKind {
  INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER;

  private static final SpanKind[] VALUES = values();

  /** The kind with this on-disk code, or {@link #INTERNAL} for a code this version does not know. */
  public static SpanKind ofCode(int code) {
    return code >= 0 && code < VALUES.length ? VALUES[code] : INTERNAL;
  }
}
