package dev.cairn.shipper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The real {@link ChronicleJournal} (primary and replica under one directory) with what the
 * tailer's tests need on top: every entry read back with its origin, and appends that fail on
 * demand, as a full disk would make them.
 */
final class TestJournal implements Journal {
  /** One entry, with its own copy of the block. */
  record Entry(long seq, UUID fileId, long offset, byte[] block) {
    String origin() {
      return fileId + "@" + offset;
    }
  }

  private final Journal journal;
  /** Appends that will throw before anything is written; for failure tests. */
  int failAppends;

  private TestJournal(Journal journal) {
    this.journal = journal;
  }

  /** Opens (or reopens) the journal in {@code dir}/primary and {@code dir}/replica. */
  static TestJournal open(Path dir, ShipperMetrics metrics) {
    return new TestJournal(
        ChronicleJournal.open(dir.resolve("primary"), dir.resolve("replica"), metrics));
  }

  /** Every entry of a closed journal. */
  static List<Entry> read(Path dir) {
    try (TestJournal j = open(dir, new ShipperMetrics())) {
      return j.entries();
    }
  }

  /** Every retained entry, in sequence order. */
  List<Entry> entries() {
    List<Entry> out = new ArrayList<>();
    try (Reader r = journal.reader()) {
      r.seek(1);
      for (JournalEntry e; (e = r.next()) != null; ) {
        byte[] b = new byte[e.block().remaining()];
        e.block().duplicate().get(b);
        out.add(new Entry(e.seq(), e.fileId(), e.offset(), b));
      }
    }
    return out;
  }

  List<String> origins() {
    return entries().stream().map(Entry::origin).toList();
  }

  @Override
  public long append(UUID fileId, long fileOffset, ByteBuffer block) {
    if (failAppends > 0) {
      failAppends--;
      throw new UncheckedIOException(new IOException("injected: no space left on device"));
    }
    return journal.append(fileId, fileOffset, block);
  }

  @Override
  public long firstSeq() {
    return journal.firstSeq();
  }

  @Override
  public long lastSeq() {
    return journal.lastSeq();
  }

  @Override
  public Reader reader() {
    return journal.reader();
  }

  @Override
  public void onAppend(Runnable listener) {
    journal.onAppend(listener);
  }

  @Override
  public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
    return journal.applyRetention(maxAgeMillis, maxBytes);
  }

  @Override
  public long primaryBytes() {
    return journal.primaryBytes();
  }

  @Override
  public long replicaBytes() {
    return journal.replicaBytes();
  }

  @Override
  public Source servingFrom() {
    return journal.servingFrom();
  }

  @Override
  public void close() {
    try {
      journal.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
