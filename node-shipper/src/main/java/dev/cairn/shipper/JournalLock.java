package dev.cairn.shipper;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on {@code <dir>/journal.lock}, held while a journal copy is open. Chronicle
 * Queue itself lets several processes append to one queue; two shippers doing so would interleave
 * their sequence numbers, so a second open of the same directory is refused instead. The OS
 * releases the lock when the process dies, kill -9 included: no stale lock to clean up.
 */
final class JournalLock implements Closeable {
  static final String FILE_NAME = "journal.lock";

  private final FileChannel channel;
  private final FileLock lock;

  private JournalLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Locks {@code dir}, which must exist.
   *
   * @throws IllegalStateException when another process, or this one, has the journal open
   * @throws IOException when the lock file cannot be created (the directory is not usable)
   */
  static JournalLock acquire(Path dir) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      channel.close();
      throw new IllegalStateException("the journal in " + dir + " is already open in this process");
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new IllegalStateException("the journal in " + dir + " is open by another process ("
          + file + " is locked); only one shipper may use a journal directory");
    }
    return new JournalLock(channel, lock);
  }

  @Override
  public void close() throws IOException {
    try {
      lock.release();
    } finally {
      channel.close();
    }
  }
}
