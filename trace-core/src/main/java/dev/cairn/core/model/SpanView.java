package dev.cairn.core.model;

/**
 * Read access to a finished span, implemented by both the decoded {@link SpanRecord} and the
 * tracer's live span, so the block encoder reads a span without copying it. Accessors are indexed
 * to avoid allocation; attribute values follow {@link Attribute}'s types.
 *
 * <p>Implementations must not change after they are handed to an encoder.
 */
public interface SpanView {
  long traceIdHigh();

  long traceIdLow();

  long spanId();

  /** The CHILD_OF parent, or 0 for a root span. */
  long parentSpanId();

  /** Bit 0: sampled. Bit 1: the parent came from another process. */
  int flags();

  String service();

  /** The instrumentation scope (library or component) that made the span; "" when unknown. */
  String scopeName();

  String scopeVersion();

  String name();

  SpanKind kind();

  long startMicros();

  long durationMicros();

  StatusCode status();

  /** The error description, "" when none. */
  String statusMessage();

  int attributeCount();

  String attributeKey(int i);

  Object attributeValue(int i);

  boolean attributeIsBusinessKey(int i);

  int eventCount();

  SpanEvent event(int i);

  int linkCount();

  SpanLink link(int i);

  int FLAG_SAMPLED = 1;
  int FLAG_REMOTE_PARENT = 2;
}
