package dev.cairn.store;

/**
 * A set of span IDs without boxing: open addressing over a {@code long[]}, 0 marking a free slot
 * (and kept aside: a valid span ID is never 0, but a span is stored whatever its ID). The writer keeps one per trace it wrote recently; a {@code HashSet<Long>}
 * cost a node and a {@code Long} per span, which the garbage collector then copied.
 */
final class LongSet {
  private long[] slots = new long[8];
  private int size;
  private boolean zero;

  /** Adds {@code v}; false when it was there already. */
  boolean add(long v) {
    if (v == 0) {
      boolean added = !zero;
      zero = true;
      size += added ? 1 : 0;
      return added;
    }
    if (2 * (size + 1) > slots.length) {
      grow();
    }
    int mask = slots.length - 1;
    for (int i = index(v, mask); ; i = (i + 1) & mask) {
      if (slots[i] == v) {
        return false;
      }
      if (slots[i] == 0) {
        slots[i] = v;
        size++;
        return true;
      }
    }
  }

  boolean contains(long v) {
    if (v == 0) {
      return zero;
    }
    int mask = slots.length - 1;
    for (int i = index(v, mask); ; i = (i + 1) & mask) {
      if (slots[i] == v) {
        return true;
      }
      if (slots[i] == 0) {
        return false;
      }
    }
  }

  int size() {
    return size;
  }

  private static int index(long v, int mask) {
    long h = v * 0x9e3779b97f4a7c15L;
    return (int) (h ^ (h >>> 32)) & mask;
  }

  private void grow() {
    long[] old = slots;
    slots = new long[old.length * 2];
    size = zero ? 1 : 0;
    for (long v : old) {
      if (v != 0) {
        add(v);
      }
    }
  }
}
