package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.SpanKind;

/** An operation of a service: a span name with the kind of span it was recorded as. */
public record Operation(String name, SpanKind kind) {
  public Operation {
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
  }
}
