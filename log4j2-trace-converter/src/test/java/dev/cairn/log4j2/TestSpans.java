package dev.cairn.log4j2;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Plain OpenTelemetry API spans with random IDs. Cairn's own tracer is deliberately not used:
 * the provider must work with any OpenTelemetry span.
 */
final class TestSpans {
  private TestSpans() {}

  static Span randomSpan() {
    return randomSpan(TraceFlags.getSampled());
  }

  static Span randomSpan(TraceFlags flags) {
    SpanContext context =
        SpanContext.create(randomHex(16), randomHex(8), flags, TraceState.getDefault());
    // All-zero IDs are invalid; with random bytes that practically never happens, but retry.
    return context.isValid() ? Span.wrap(context) : randomSpan(flags);
  }

  static String randomHex(int bytes) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    StringBuilder hex = new StringBuilder(bytes * 2);
    for (int i = 0; i < bytes; i++) {
      hex.append(Character.forDigit(random.nextInt(16), 16));
      hex.append(Character.forDigit(random.nextInt(16), 16));
    }
    return hex.toString();
  }
}
