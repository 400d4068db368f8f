package dev.cairn;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;

/**
 * Entry point for applications: an {@link OpenTelemetry} whose spans Cairn writes to local span
 * files, and the business-key helper.
 *
 * <pre>{@code
 * OpenTelemetry otel = Cairn.openTelemetry("checkout");
 * Tracer tracer = otel.getTracer("checkout.http");
 * Span span = tracer.spanBuilder("GET /cart").setSpanKind(SpanKind.SERVER).startSpan();
 * try (Scope s = span.makeCurrent()) {
 *   Cairn.bindBusinessKey("order.id", orderId);   // findable later: order.id=2135897412389123
 *   ...
 * } finally {
 *   span.end();
 * }
 * }</pre>
 */
public final class Cairn {
  private Cairn() {}

  /** Cairn's OpenTelemetry for a service, with the defaults (see {@link CairnBuilder}). */
  public static CairnOpenTelemetry openTelemetry(String service) {
    return builder(service).build();
  }

  /** A builder for options: sampling, a sampling file to watch, business keys, limits, the sink. */
  public static CairnBuilder builder(String service) {
    return new CairnBuilder(service);
  }

  /**
   * Binds a business key (e.g. {@code order.id=2135897412389123}) to the current span: it is
   * stored as a span attribute marked as a business key, which the store indexes so the trace can
   * be found by it. Does nothing outside a recording Cairn span; never throws.
   */
  public static void bindBusinessKey(String key, String value) {
    bindBusinessKey(Span.current(), key, value);
  }

  /** Binds a business key to the given span; see {@link #bindBusinessKey(String, String)}. */
  public static void bindBusinessKey(Span span, String key, String value) {
    if (span instanceof CairnSpan cairn) {
      cairn.setBusinessKey(key, value);
    } else if (span != null && key != null && value != null) {
      span.setAttribute(key, value);
    }
  }
}
