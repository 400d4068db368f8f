package dev.cairn.appender;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A file channel on a disk with {@code spaceLeft} bytes free: a write that does not fit stores
 * what fits and throws "No space left on device", the way a real write fails part-way. Setting
 * {@code spaceLeft} back to {@code Long.MAX_VALUE} clears the condition. Truncation can be made to
 * fail too. Everything else goes to the real file.
 */
final class FlakyChannel extends FileChannel {
  private final FileChannel delegate;
  private final AtomicLong spaceLeft;
  private final AtomicBoolean truncateFails;

  FlakyChannel(FileChannel delegate, AtomicLong spaceLeft, AtomicBoolean truncateFails) {
    this.delegate = delegate;
    this.spaceLeft = spaceLeft;
    this.truncateFails = truncateFails;
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    long free = spaceLeft.get();
    if (src.remaining() > free) {
      ByteBuffer fits = src.duplicate();
      fits.limit(fits.position() + (int) free);
      delegate.write(fits, position);
      src.position(fits.position());
      spaceLeft.addAndGet(-free);
      throw new IOException("No space left on device");
    }
    int n = delegate.write(src, position);
    if (free != Long.MAX_VALUE) {
      spaceLeft.addAndGet(-n);
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int n = write(src, delegate.position());
    delegate.position(delegate.position() + n);
    return n;
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    if (truncateFails.get()) {
      throw new IOException("Input/output error");
    }
    delegate.truncate(size);
    return this;
  }

  @Override public int read(ByteBuffer dst) throws IOException { return delegate.read(dst); }
  @Override public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return delegate.read(dsts, offset, length);
  }
  @Override public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    throw new UnsupportedOperationException("the appender writes one buffer per block");
  }
  @Override public long position() throws IOException { return delegate.position(); }
  @Override public FileChannel position(long p) throws IOException {
    delegate.position(p);
    return this;
  }
  @Override public long size() throws IOException { return delegate.size(); }
  @Override public void force(boolean metaData) throws IOException { delegate.force(metaData); }
  @Override public long transferTo(long position, long count, WritableByteChannel target)
      throws IOException {
    return delegate.transferTo(position, count, target);
  }
  @Override public long transferFrom(ReadableByteChannel src, long position, long count)
      throws IOException {
    return delegate.transferFrom(src, position, count);
  }
  @Override public int read(ByteBuffer dst, long position) throws IOException {
    return delegate.read(dst, position);
  }
  @Override public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    return delegate.map(mode, position, size);
  }
  @Override public FileLock lock(long position, long size, boolean shared) throws IOException {
    return delegate.lock(position, size, shared);
  }
  @Override public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return delegate.tryLock(position, size, shared);
  }
  @Override protected void implCloseChannel() throws IOException { delegate.close(); }
}
