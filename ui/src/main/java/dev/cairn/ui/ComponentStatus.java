package dev.cairn.ui;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The health of one part of Cairn as the query server shows it on {@code /api/cairn/status}.
 *
 * <pre>{@code
 * new ComponentStatus("store", ComponentStatus.UP, Map.of("path", "/var/lib/cairn/store"));
 * }</pre>
 *
 * @param name what the component is: "puller", "shipper", "store", …
 * @param status {@link #UP}, {@link #DOWN} or {@link #UNKNOWN}
 * @param facts a few values for people, in order: strings, numbers, booleans (anything else is
 *     shown as its {@code toString()})
 */
public record ComponentStatus(String name, String status, Map<String, Object> facts) {
  public static final String UP = "up";
  public static final String DOWN = "down";
  public static final String UNKNOWN = "unknown";

  private static final Set<String> STATUSES = Set.of(UP, DOWN, UNKNOWN);

  public ComponentStatus {
    requireNonNull(name, "name");
    requireNonNull(status, "status");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name must not be empty");
    }
    if (!STATUSES.contains(status)) {
      throw new IllegalArgumentException("status must be up, down or unknown: " + status);
    }
    // insertion order is kept: facts are shown in the order the source chose
    Map<String, Object> copy = new LinkedHashMap<>();
    requireNonNull(facts, "facts").forEach((k, v) ->
        copy.put(requireNonNull(k, "fact name"), requireNonNull(v, "fact " + k)));
    facts = Collections.unmodifiableMap(copy);
  }
}
