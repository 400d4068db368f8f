package dev.cairn.store;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.model.SpanRecord;

/**
 * A span as the puller hands it to the store, with what trace assembly learnt about it.
 *
 * @param span the span
 * @param parentService the service of its CHILD_OF parent when assembly found the parent, "" for a
 *     root or a parent not (yet) seen; a dependency link parentService → span.service() is
 *     counted when the span is first stored, if the two differ
 */
public record StoredSpan(SpanRecord span, String parentService) {
  public StoredSpan {
    requireNonNull(span, "span");
    requireNonNull(parentService, "parentService");
  }

  public static StoredSpan of(SpanRecord span) {
    return new StoredSpan(span, "");
  }
}
