package dev.cairn.shipper;

import java.util.Arrays;

/** A growable list of primitive longs: the index collects sequence numbers without boxing. */
final class LongList {
  private long[] values;
  private int size;

  LongList(int capacity) {
    values = new long[Math.max(4, capacity)];
  }

  void add(long v) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
    }
    values[size++] = v;
  }

  int size() {
    return size;
  }

  long get(int i) {
    return values[i];
  }

  /** Reverses the elements from {@code from} to the end. */
  void reverseFrom(int from) {
    for (int i = from, j = size - 1; i < j; i++, j--) {
      long t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
  }

  /** The elements ascending, each once. */
  long[] toSortedDistinctArray() {
    boolean sorted = true;
    for (int i = 1; i < size && sorted; i++) {
      sorted = values[i - 1] <= values[i];
    }
    if (!sorted) {
      Arrays.sort(values, 0, size);
    }
    int n = 0;
    for (int i = 0; i < size; i++) {
      if (n == 0 || values[n - 1] != values[i]) {
        values[n++] = values[i];
      }
    }
    return Arrays.copyOf(values, n);
  }
}
