package dev.cairn.shipper;

import dev.cairn.core.format.BlockReader;
import dev.cairn.core.format.FileHeader;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.UUID;

/**
 * One span file the tailer knows, identified by the file ID in its header; the path is only where
 * it was last seen. Holds the open descriptor and the {@link BlockReader} while the file is being
 * tailed, and the progress that goes into the checkpoint. Mutable; only the ingest thread touches
 * it.
 */
final class TrackedFile {
  final UUID id;
  /** Where the file was last listed; null when only its ID is known (restored from the journal). */
  Path path;
  /** The listing's file key (inode) of {@link #path} when last bound: only a hint, used to keep a
   *  file whose header was truncated away bound to its path. */
  Object fileKey;
  /** Null until read in this process. */
  FileHeader header;
  int headerLength = -1;
  /** Who wrote it, when its name is the appender's; null otherwise. */
  WriterKey writer;
  long writerSeq = -1;

  FileChannel channel;
  BlockReader reader;
  /** Recreate {@link #reader} at {@link #nextOffset} before reading: bytes it buffered may be stale. */
  boolean freshReader = true;

  /** Everything before this offset is journaled or was skipped as damage. */
  long nextOffset;
  /** The file's size when last looked at (descriptor or listing). */
  long size;
  /** The size the last read ended at without finding a further block; -1 to read again anyway. */
  long sizeAtLastRead = -1;
  /** The last read found no further complete block (it did not stop for the per-poll budget). */
  boolean caughtUp;
  /** Where unfinished bytes began when the last read ended; -1 when it ended on a block boundary. */
  long pendingAt = -1;
  /** A corrupt region reported at {@link #pendingAt}, to be read again through a fresh reader. */
  long retryFrom = -1;
  /** The offset last read again that way; a region there reported again is real damage. */
  long retriedAt = -1;

  long lastGrowthMillis;
  /** When a poll first saw unread bytes since the file was last caught up; -1 when caught up. */
  long behindSinceMillis = -1;
  /** When its path was first found gone (deleted, or moved out of the globs); -1 while present. */
  long deletedSinceMillis = -1;
  long lastFinishCheckMillis = SpanFileTailer.NEVER;
  long lastErrorLogMillis = SpanFileTailer.NEVER;

  /** Its writer will not append again and its tail was classified. */
  boolean finished;
  /** Finished and not listed since; -1 while listed. Forgotten after a while. */
  long missingSinceMillis = -1;
  boolean seenThisScan;

  TrackedFile(UUID id) {
    this.id = id;
  }

  long unreadBytes() {
    return Math.max(0, size - nextOffset);
  }

  boolean isOpen() {
    return channel != null;
  }

  /** "path (file ID)" for log lines. */
  String describe() {
    return (path != null ? path.toString() : "span file") + " (" + id + ")";
  }

  @Override
  public String toString() {
    return "TrackedFile{" + describe() + ", next=" + nextOffset + ", size=" + size
        + (finished ? ", finished" : "") + (deletedSinceMillis >= 0 ? ", deleted" : "") + "}";
  }
}
