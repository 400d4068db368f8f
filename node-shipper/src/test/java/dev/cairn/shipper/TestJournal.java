package dev.cairn.shipper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * A small file-backed {@link Journal} for the tailer's tests until {@code ChronicleJournal} is on
 * main: records {@code len | seq | fileId | offset | block | crc} appended with one positional
 * write each, so a kill -9 leaves at most a torn last record, which opening cuts off. No replica,
 * no retention.
 */
final class TestJournal implements Journal {
  /** One entry, with its own copy of the block. */
  record Entry(long seq, UUID fileId, long offset, byte[] block) {
    String origin() {
      return fileId + "@" + offset;
    }
  }

  private final FileChannel channel;
  private final List<Entry> entries = new ArrayList<>();
  private long end;
  /** Appends that will throw before writing anything; for failure tests. */
  int failAppends;

  TestJournal(Path file) {
    try {
      channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      entries.addAll(readAll(channel));
      channel.truncate(end);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every entry in a journal file, without opening it for writing (a torn last record is left out). */
  static List<Entry> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return new TestJournal.Scan().entries(ch);
    }
  }

  private List<Entry> readAll(FileChannel ch) throws IOException {
    Scan s = new Scan();
    List<Entry> all = s.entries(ch);
    end = s.end;
    return all;
  }

  private static final class Scan {
    long end;

    List<Entry> entries(FileChannel ch) throws IOException {
      List<Entry> out = new ArrayList<>();
      ByteBuffer all = ByteBuffer.allocate((int) ch.size());
      while (all.hasRemaining() && ch.read(all, all.position()) > 0) {
        // read on
      }
      all.flip();
      while (all.remaining() >= 4) {
        int start = all.position();
        int len = all.getInt(start);
        if (len < 36 || all.remaining() < len + 8) {
          break;
        }
        CRC32C crc = new CRC32C();
        crc.update(all.array(), start, 4 + len);
        if ((int) crc.getValue() != all.getInt(start + 4 + len)) {
          break;
        }
        all.position(start + 4);
        long seq = all.getLong();
        UUID id = new UUID(all.getLong(), all.getLong());
        long offset = all.getLong();
        byte[] block = new byte[len - 32];
        all.get(block);
        all.getInt();
        out.add(new Entry(seq, id, offset, block));
        end = all.position();
      }
      return out;
    }
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  List<String> origins() {
    return entries.stream().map(Entry::origin).toList();
  }

  @Override
  public long append(UUID fileId, long fileOffset, ByteBuffer block) {
    if (failAppends > 0) {
      failAppends--;
      throw new UncheckedIOException(new IOException("injected: no space left on device"));
    }
    long seq = lastSeq() + 1;
    byte[] bytes = new byte[block.remaining()];
    block.duplicate().get(bytes);
    int len = 32 + bytes.length;
    ByteBuffer r = ByteBuffer.allocate(4 + len + 4);
    r.putInt(len).putLong(seq).putLong(fileId.getMostSignificantBits())
        .putLong(fileId.getLeastSignificantBits()).putLong(fileOffset).put(bytes);
    CRC32C crc = new CRC32C();
    crc.update(r.array(), 0, 4 + len);
    r.putInt((int) crc.getValue());
    r.flip();
    try {
      while (r.hasRemaining()) {
        end += channel.write(r, end);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    entries.add(new Entry(seq, fileId, fileOffset, bytes));
    return seq;
  }

  @Override
  public long firstSeq() {
    return entries.isEmpty() ? 1 : entries.get(0).seq();
  }

  @Override
  public long lastSeq() {
    return entries.isEmpty() ? 0 : entries.get(entries.size() - 1).seq();
  }

  @Override
  public Reader reader() {
    return new Reader() {
      int next;

      @Override
      public long seek(long seq) {
        next = (int) Math.max(0, seq - firstSeq());
        return next < entries.size() ? entries.get(next).seq() : lastSeq() + 1;
      }

      @Override
      public JournalEntry next() {
        if (next >= entries.size()) {
          return null;
        }
        Entry e = entries.get(next++);
        return new JournalEntry(e.seq(), e.fileId(), e.offset(), ByteBuffer.wrap(e.block()));
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void onAppend(Runnable listener) {}

  @Override
  public Retention.Result applyRetention(long maxAgeMillis, long maxBytes) {
    return new Retention.Result(0, 0, 0, firstSeq());
  }

  @Override
  public long primaryBytes() {
    return end;
  }

  @Override
  public long replicaBytes() {
    return 0;
  }

  @Override
  public Source servingFrom() {
    return Source.PRIMARY;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
