package dev.cairn.shipper;

import static java.util.Objects.requireNonNull;

import java.util.function.LongSupplier;

/**
 * How {@link SpanFileTailer} paces itself and when it gives files up. Defaults suit a host with a
 * few dozen applications; {@code ShipperConfig} maps its keys onto the builder.
 *
 * <pre>{@code
 * TailerOptions options = TailerOptions.builder().idleFinishMillis(600_000).build();
 * }</pre>
 */
final class TailerOptions {
  final long scanIntervalMillis;
  final long maxBytesPerFilePerPoll;
  final int maxOpenFiles;
  final long idleFinishMillis;
  final long finishGraceMillis;
  final long forgetAfterMillis;
  final long checkpointIntervalMillis;
  final ProcessProbe processProbe;
  final LongSupplier clock;

  private TailerOptions(Builder b) {
    scanIntervalMillis = b.scanIntervalMillis;
    maxBytesPerFilePerPoll = b.maxBytesPerFilePerPoll;
    maxOpenFiles = b.maxOpenFiles;
    idleFinishMillis = b.idleFinishMillis;
    finishGraceMillis = b.finishGraceMillis;
    forgetAfterMillis = b.forgetAfterMillis;
    checkpointIntervalMillis = b.checkpointIntervalMillis;
    processProbe = b.processProbe != null ? b.processProbe
        : b.checkWriterProcess ? ProcessProbe.local() : ProcessProbe.unknown();
    clock = b.clock;
  }

  static Builder builder() {
    return new Builder();
  }

  static TailerOptions defaults() {
    return builder().build();
  }

  /** Builds {@link TailerOptions}; {@link #build()} names the first bad value. */
  static final class Builder {
    private long scanIntervalMillis = 250;
    private long maxBytesPerFilePerPoll = 8L << 20;
    private int maxOpenFiles = 256;
    private long idleFinishMillis = 300_000;
    private long finishGraceMillis = 5_000;
    private long forgetAfterMillis = 60_000;
    private long checkpointIntervalMillis = 200;
    private boolean checkWriterProcess = true;
    private ProcessProbe processProbe;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder() {}

    /** How often the globs are listed for new, renamed and deleted files (0: every poll). */
    Builder scanIntervalMillis(long v) {
      scanIntervalMillis = v;
      return this;
    }

    /** Block bytes read from one file per poll, so a busy file cannot starve the others. At least
     *  one block is always read. */
    Builder maxBytesPerFilePerPoll(long v) {
      maxBytesPerFilePerPoll = v;
      return this;
    }

    /** Descriptors kept open at most; idle, fully read files are closed first when more are needed. */
    Builder maxOpenFiles(int v) {
      maxOpenFiles = v;
      return this;
    }

    /** A file that has not grown for this long is finished, unless its writer is known to run. */
    Builder idleFinishMillis(long v) {
      idleFinishMillis = v;
      return this;
    }

    /** A deleted file, or one whose writer has started a newer file, is finished after not growing
     *  for this long. */
    Builder finishGraceMillis(long v) {
      finishGraceMillis = v;
      return this;
    }

    /**
     * A finished file gone from disk is forgotten (and dropped from the checkpoint) after this
     * long. Short, because fast rotation with retention deletes many files an hour and each would
     * stay in every checkpoint; a file deleted cannot be read again anyway. Finished files still on
     * disk are remembered as long as they are there.
     */
    Builder forgetAfterMillis(long v) {
      forgetAfterMillis = v;
      return this;
    }

    /** {@link SpanFileTailer#checkpointIfDue()} writes a checkpoint at most this often. */
    Builder checkpointIntervalMillis(long v) {
      checkpointIntervalMillis = v;
      return this;
    }

    /**
     * Whether a writer process on this host is checked with {@link ProcessHandle} (file header:
     * host, pid, start time). Switch it off when the shipper does not share the applications' pid
     * namespace but does share their host name (e.g. pods on the host network).
     */
    Builder checkWriterProcess(boolean v) {
      checkWriterProcess = v;
      return this;
    }

    /** Replaces the process check; for tests. */
    Builder processProbe(ProcessProbe v) {
      processProbe = requireNonNull(v, "processProbe");
      return this;
    }

    /** Wall-clock milliseconds; for tests. */
    Builder clock(LongSupplier v) {
      clock = requireNonNull(v, "clock");
      return this;
    }

    TailerOptions build() {
      positive("scanIntervalMillis", scanIntervalMillis, 0);
      positive("maxBytesPerFilePerPoll", maxBytesPerFilePerPoll, 1);
      positive("maxOpenFiles", maxOpenFiles, 1);
      positive("idleFinishMillis", idleFinishMillis, 0);
      positive("finishGraceMillis", finishGraceMillis, 0);
      positive("forgetAfterMillis", forgetAfterMillis, 0);
      positive("checkpointIntervalMillis", checkpointIntervalMillis, 0);
      return new TailerOptions(this);
    }

    private static void positive(String name, long value, long min) {
      if (value < min) {
        throw new IllegalArgumentException(name + "=" + value + " must be at least " + min);
      }
    }
  }
}
