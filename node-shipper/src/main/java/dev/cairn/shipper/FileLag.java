package dev.cairn.shipper;

import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;

/**
 * How far the tailer is behind one span file it still tails.
 *
 * @param path where the file was last seen; empty when only its ID is known so far (restored
 *     from the journal, not yet found on disk)
 * @param fileId the ID from the file's header
 * @param unreadBytes bytes after the last block journaled (or skipped), as of the last poll: blocks
 *     not read yet, a block still being written, or damage waiting to be classified
 * @param oldestUnreadAgeMillis how long the file has had unread bytes: since the poll that first
 *     saw it behind (so it is at most one poll interval short of the true age); 0 when caught up
 */
record FileLag(Optional<Path> path, UUID fileId, long unreadBytes, long oldestUnreadAgeMillis) {}
