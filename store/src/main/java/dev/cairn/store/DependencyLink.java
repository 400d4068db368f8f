package dev.cairn.store;

import static java.util.Objects.requireNonNull;

/**
 * Calls from one service to another: child spans of {@code child} whose CHILD_OF parent belongs to
 * {@code parent}.
 *
 * @param callCount such child spans
 * @param errorCount of them, with status ERROR
 */
public record DependencyLink(String parent, String child, long callCount, long errorCount) {
  public DependencyLink {
    requireNonNull(parent, "parent");
    requireNonNull(child, "child");
  }
}
