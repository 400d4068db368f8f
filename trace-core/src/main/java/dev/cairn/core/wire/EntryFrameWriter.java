package dev.cairn.core.wire;

import java.nio.ByteBuffer;

/**
 * Composes a BATCH or FETCH_RESULT frame entry by entry, straight into a {@link WireOutput}, so a
 * server copies each journal block once (from the journal into its send buffer) and allocates
 * nothing per block. Reusable: one per thread.
 *
 * <pre>{@code
 * writer.beginBatch(out);
 * for (entry : entries) {
 *   if (writer.count() > 0 && writer.entriesBytes() + Wire.entryBytes(len) > maxBytes) break;
 *   writer.add(seq, fileIdMsb, fileIdLsb, offset, block);
 * }
 * writer.finishBatch(nextCursor, firstSeq, lastSeq);
 * }</pre>
 */
public final class EntryFrameWriter {
  private WireOutput out;
  private MessageType type;
  private int start;
  private int count;
  private long entriesBytes;

  /** Starts a BATCH frame: length, type and header placeholders. */
  public void beginBatch(WireOutput out) {
    begin(out, MessageType.BATCH, Wire.BATCH_HEADER_BYTES);
  }

  /** Starts a FETCH_RESULT frame. */
  public void beginFetchResult(WireOutput out) {
    begin(out, MessageType.FETCH_RESULT, Wire.FETCH_RESULT_HEADER_BYTES);
  }

  private void begin(WireOutput out, MessageType type, int headerBytes) {
    this.out = out;
    this.type = type;
    this.start = out.position();
    this.count = 0;
    this.entriesBytes = 0;
    out.writeInt(0);
    out.writeByte(type.code());
    for (int i = 0; i < headerBytes; i += 4) {
      out.writeInt(0);
    }
  }

  /** Appends one entry; {@code block}'s remaining bytes are copied, its position is kept. */
  public void add(long seq, long fileIdMsb, long fileIdLsb, long offset, ByteBuffer block) {
    int length = block.remaining();
    out.writeLong(seq);
    out.writeLong(fileIdMsb);
    out.writeLong(fileIdLsb);
    out.writeLong(offset);
    out.writeInt(length);
    out.writeBytes(block);
    count++;
    entriesBytes += Wire.ENTRY_HEADER_BYTES + length;
  }

  /** Entries added since the frame began. */
  public int count() {
    return count;
  }

  /** Bytes of the entries added so far, entry headers included: what a request's maxBytes bounds. */
  public long entriesBytes() {
    return entriesBytes;
  }

  /** Fills in the BATCH header and the frame length; returns the frame's size including its length field. */
  public int finishBatch(long nextCursor, long firstSeq, long lastSeq) {
    check(MessageType.BATCH);
    int h = start + Wire.LENGTH_FIELD_BYTES + 1;
    out.setLong(h, nextCursor);
    out.setLong(h + 8, firstSeq);
    out.setLong(h + 16, lastSeq);
    out.setInt(h + 24, count);
    return finish();
  }

  /** Fills in the FETCH_RESULT header and the frame length; returns the frame's size. */
  public int finishFetchResult(long resumeSeq) {
    check(MessageType.FETCH_RESULT);
    int h = start + Wire.LENGTH_FIELD_BYTES + 1;
    out.setLong(h, resumeSeq);
    out.setInt(h + 8, count);
    return finish();
  }

  private void check(MessageType expected) {
    if (type != expected) {
      throw new IllegalStateException("finishing " + expected + " but began " + type);
    }
  }

  private int finish() {
    int size = out.position() - start;
    out.setInt(start, size - Wire.LENGTH_FIELD_BYTES);
    out = null;
    type = null;
    return size;
  }
}
