package dev.cairn.store;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.util.BytesRef;

/**
 * The bytes the embedded store keeps in stored fields and in its write-ahead log: the spans and log
 * lines of a trace part as one block of the Cairn block format (docs/format.md), so a stored span
 * decodes to exactly the SpanRecord that was written; summaries, calls and counters in a small
 * private layout.
 */
final class EmbeddedCodec {
  private static final ThreadLocal<BlockDecoder> DECODERS = ThreadLocal.withInitial(BlockDecoder::new);

  /** A part is cut into several blocks (documents) past this many uncompressed bytes. */
  static final int PART_TARGET_BYTES = 1 << 20;

  // Level 0 (LZ4 fast): the string table already removes most repetition inside a trace, and
  // the block is compressed once more by Lucene's stored fields.
  private final BlockEncoder encoder = new BlockEncoder(PART_TARGET_BYTES, 0);

  /** One thread at a time (the store's writer thread): the encoder of trace parts. */
  BlockEncoder encoder() {
    return encoder;
  }

  static byte[] copy(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** Decodes a stored block of spans and log lines, in their stored order; thread-safe. */
  static void decode(BytesRef bytes, RecordVisitor visitor) throws StoreException {
    byte[] copy = bytes.offset == 0 && bytes.length == bytes.bytes.length ? bytes.bytes
        : BytesRef.deepCopyOf(bytes).bytes;
    try {
      DECODERS.get().decode(Block.wrap(0, copy), visitor);
    } catch (FormatException e) {
      throw new StoreException("stored spans are unreadable: " + e.getMessage(), e);
    }
  }

  /** Decodes a stored block into its spans and its log lines, in their stored order. */
  static void decode(BytesRef bytes, Consumer<SpanRecord> spans, Consumer<LogRecord> logs)
      throws StoreException {
    decode(bytes, new RecordVisitor() {
      @Override
      public void span(SpanRecord span) {
        spans.accept(span);
      }

      @Override
      public void log(LogRecord log) {
        logs.accept(log);
      }
    });
  }

  /** The spans of a stored block; log lines are skipped. */
  static List<SpanRecord> spans(BytesRef bytes) throws StoreException {
    List<SpanRecord> out = new ArrayList<>();
    decode(bytes, out::add);
    return out;
  }

  static byte[] summary(EmbeddedSummary s) {
    BytesOutput out = new BytesOutput(128);
    try {
      out.writeLong(s.traceId.high());
      out.writeLong(s.traceId.low());
      out.writeString(s.rootService);
      out.writeString(s.rootOperation);
      boolean empty = s.spanCount == 0;
      out.writeZLong(empty ? 0 : s.start);
      out.writeVLong(empty ? 0 : s.end - s.start);
      out.writeVInt(s.spanCount);
      out.writeVInt(s.services.size());
      for (String svc : s.services) {
        out.writeString(svc);
      }
      out.writeByte((byte) ((s.error ? 1 : 0) | (s.complete ? 2 : 0) | (s.hasRoot ? 4 : 0)));
      out.writeVInt(s.warnings.size());
      for (String w : s.warnings) {
        out.writeString(w);
      }
      if (s.hasRoot) {
        out.writeZLong(s.rootStart);
        out.writeLong(s.rootSpanId);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArray();
  }

  static TraceSummary summary(BytesRef bytes) throws IOException {
    return summaryState(bytes).toSummary();
  }

  static EmbeddedSummary summaryState(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    EmbeddedSummary s = new EmbeddedSummary(new TraceId(in.readLong(), in.readLong()));
    s.rootService = in.readString();
    s.rootOperation = in.readString();
    s.start = in.readZLong();
    s.end = s.start + in.readVLong();
    s.spanCount = in.readVInt();
    if (s.spanCount == 0) { // a note alone: the first span sets start and end
      s.start = Long.MAX_VALUE;
      s.end = Long.MIN_VALUE;
    }
    int n = in.readVInt();
    for (int i = 0; i < n; i++) {
      s.services.add(in.readString());
    }
    int flags = in.readByte();
    s.error = (flags & 1) != 0;
    s.complete = (flags & 2) != 0;
    s.hasRoot = (flags & 4) != 0;
    n = in.readVInt();
    List<String> warnings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      warnings.add(in.readString());
    }
    s.warnings = List.copyOf(warnings);
    if (s.hasRoot) {
      s.rootStart = in.readZLong();
      s.rootSpanId = in.readLong();
    }
    return s;
  }

  /** A call between services, kept on its part for dependency windows that cut a minute. */
  record Call(long startMicros, String pair, boolean error) {}

  static byte[] calls(List<Call> calls) {
    BytesOutput out = new BytesOutput(128);
    try {
      out.writeVInt(calls.size());
      for (Call c : calls) {
        out.writeZLong(c.startMicros());
        out.writeByte((byte) (c.error() ? 1 : 0));
        out.writeString(c.pair());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArray();
  }

  static List<Call> calls(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    int n = in.readVInt();
    List<Call> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long start = in.readZLong();
      boolean error = in.readByte() == 1;
      out.add(new Call(start, in.readString(), error));
    }
    return out;
  }

  /** A dependency counter: parent, child, calls, errors. */
  record Dependency(String parent, String child, long calls, long errors) {}

  static byte[] dependency(Dependency d) {
    BytesOutput out = new BytesOutput(128);
    try {
      out.writeString(d.parent());
      out.writeString(d.child());
      out.writeVLong(d.calls());
      out.writeVLong(d.errors());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArray();
  }

  static Dependency dependency(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    return new Dependency(in.readString(), in.readString(), in.readVLong(), in.readVLong());
  }

  /** An aggregate counter of one service, operation and minute. */
  record Aggregate(String service, String operation, long minute, long errors, LatencyHistogram latency) {}

  static byte[] aggregate(Aggregate a) {
    BytesOutput out = new BytesOutput(128);
    try {
      out.writeString(a.service());
      out.writeString(a.operation());
      out.writeZLong(a.minute());
      out.writeVLong(a.errors());
      a.latency().writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArray();
  }

  static Aggregate aggregate(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    return new Aggregate(in.readString(), in.readString(), in.readZLong(), in.readVLong(),
        LatencyHistogram.readFrom(in));
  }
}
