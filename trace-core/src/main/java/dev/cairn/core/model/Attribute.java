package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * One key/value on a span, event or link. The value is a {@code String}, {@code Boolean},
 * {@code Long}, {@code Double}, or an unmodifiable {@code List} of one of those.
 * A business key ({@link #businessKey()}) is an attribute the store indexes for lookup
 * (an order ID, a user ID): see {@code docs/format.md}.
 */
public record Attribute(String key, Object value, boolean businessKey) {

  public Attribute {
    requireNonNull(key, "key");
    value = normalize(key, value);
  }

  public static Attribute of(String key, Object value) {
    return new Attribute(key, value, false);
  }

  /** Brings integers and floats to Long and Double, lists to unmodifiable lists of those. */
  static Object normalize(String key, Object value) {
    requireNonNull(value, "value of " + key);
    if (value instanceof String || value instanceof Boolean || value instanceof Long
        || value instanceof Double) {
      return value;
    }
    if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    if (value instanceof Float) {
      return ((Float) value).doubleValue();
    }
    if (value instanceof List<?> list) {
      Object[] copy = new Object[list.size()];
      for (int i = 0; i < copy.length; i++) {
        copy[i] = normalize(key, list.get(i));
        if (copy[i] instanceof List) {
          throw new IllegalArgumentException("nested list in attribute " + key);
        }
      }
      return List.of(copy);
    }
    throw new IllegalArgumentException(
        "attribute " + key + " has unsupported type " + value.getClass().getName());
  }
}
