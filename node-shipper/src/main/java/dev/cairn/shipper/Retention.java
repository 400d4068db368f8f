package dev.cairn.shipper;

/** What a retention pass removed. */
final class Retention {
  private Retention() {}

  /**
   * @param cyclesDeleted journal cycle files deleted (primary and replica counted once)
   * @param blocksDeleted blocks in them
   * @param bytesDeleted bytes freed in the primary
   * @param firstSeqAfter the oldest sequence number left
   */
  record Result(int cyclesDeleted, long blocksDeleted, long bytesDeleted, long firstSeqAfter) {}
}
