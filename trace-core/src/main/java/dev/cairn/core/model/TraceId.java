package dev.cairn.core.model;

/**
 * A 128-bit trace ID: high and low halves. All-zero is invalid. Printed as 32 lowercase hex
 * characters.
 *
 * <pre>{@code
 * TraceId id = TraceId.fromHex("6b01e4cb452911b13ac98379bc1e6694");
 * }</pre>
 */
public record TraceId(long high, long low) {
  public TraceId {
    if (high == 0 && low == 0) {
      throw new IllegalArgumentException("trace ID must not be all zeros");
    }
  }

  public static TraceId of(SpanView span) {
    return new TraceId(span.traceIdHigh(), span.traceIdLow());
  }

  /** @throws IllegalArgumentException unless {@code hex} is 32 hex characters, not all zero */
  public static TraceId fromHex(String hex) {
    if (!Ids.isHex(hex, 32)) {
      throw new IllegalArgumentException("a trace ID is 32 hex characters: '" + hex + "'");
    }
    return new TraceId(Ids.parseHexLong(hex, 0), Ids.parseHexLong(hex, 16));
  }

  public String hex() {
    return Ids.traceIdHex(high, low);
  }

  @Override
  public String toString() {
    return hex();
  }
}
