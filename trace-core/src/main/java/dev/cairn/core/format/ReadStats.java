package dev.cairn.core.format;

/** What a {@link BlockReader} has read and skipped so far. */
public final class ReadStats {
  long blocks;
  long records;
  long bytes;
  long corrupt;
  long unsupported;
  long torn;
  long skippedBytes;

  /** Valid blocks returned. */
  public long blocks() { return blocks; }
  /** Records announced by the valid blocks' headers. */
  public long records() { return records; }
  /** Bytes of the valid blocks. */
  public long bytes() { return bytes; }
  /** Corrupt regions skipped (each may have held one or more blocks). */
  public long corrupt() { return corrupt; }
  /** Blocks of a newer format version skipped. */
  public long unsupported() { return unsupported; }
  /** Torn tails reported (0 or 1 per file). */
  public long torn() { return torn; }
  /** Bytes skipped for any of the reasons above. */
  public long skippedBytes() { return skippedBytes; }

  @Override
  public String toString() {
    return "blocks=" + blocks + " records=" + records + " corrupt=" + corrupt + " unsupported="
        + unsupported + " torn=" + torn + " skippedBytes=" + skippedBytes;
  }
}
