package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A FOLLOWS_FROM reference from a span to another span, possibly of another trace (an OpenTelemetry
 * link): a batch consumer pointing at the messages it handles. Traces are therefore DAGs.
 */
public record SpanLink(long traceIdHigh, long traceIdLow, long spanId, List<Attribute> attributes) {
  public SpanLink {
    attributes = List.copyOf(requireNonNull(attributes, "attributes"));
  }
}
