package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/** Something that happened at a point in a span's life (an exception, a retry). */
public record SpanEvent(long timeMicros, String name, List<Attribute> attributes) {
  public SpanEvent {
    requireNonNull(name, "name");
    attributes = List.copyOf(requireNonNull(attributes, "attributes"));
  }
}
