package dev.cairn.shipper;

import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * One journaled block and where it came from. {@code block} is the whole block (header and
 * payload) exactly as it lay in the span file; a view valid until the reader's next call unless
 * the entry was copied.
 *
 * @param seq the journal sequence number: 1 for the first block ever journaled, then +1 per block,
 *     the same in the primary and the replica; pullers' cursors are sequence numbers
 * @param fileId the span file's ID (from its header)
 * @param offset the block's offset in that file
 * @param block the block's bytes
 */
record JournalEntry(long seq, UUID fileId, long offset, ByteBuffer block) {}
