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
import org.apache.lucene.store.ByteArrayDataInput;
import org.apache.lucene.store.ByteBuffersDataOutput;
import org.apache.lucene.util.BytesRef;

/**
 * The bytes the embedded store keeps in stored fields: spans and log lines as one-record blocks of
 * the Cairn block format (docs/format.md), so a stored span decodes to exactly the SpanRecord that
 * was written; summaries and counters in a small private layout.
 */
final class EmbeddedCodec {
  private static final ThreadLocal<BlockDecoder> DECODERS = ThreadLocal.withInitial(BlockDecoder::new);

  // Level 0 (LZ4 fast): a one-span block rarely compresses; Lucene compresses stored fields anyway.
  private final BlockEncoder encoder = new BlockEncoder(1024, 0);

  /** One thread at a time (the store's writer thread). Null when the span cannot be encoded. */
  byte[] encode(SpanRecord span) {
    encoder.reset();
    if (!encoder.addSpan(span)) {
      return null;
    }
    return copy(encoder.finish());
  }

  byte[] encode(LogRecord log) {
    encoder.reset();
    if (!encoder.addLog(log)) {
      return null;
    }
    return copy(encoder.finish());
  }

  private static byte[] copy(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** Decodes a stored span or log line; thread-safe. */
  static Object decode(BytesRef bytes) throws StoreException {
    byte[] copy = BytesRef.deepCopyOf(bytes).bytes;
    List<Object> out = new ArrayList<>(1);
    try {
      DECODERS.get().decode(Block.wrap(0, copy), new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          out.add(span);
        }

        @Override
        public void log(LogRecord log) {
          out.add(log);
        }
      });
    } catch (FormatException e) {
      throw new StoreException("stored span or log line is unreadable: " + e.getMessage(), e);
    }
    if (out.size() != 1) {
      throw new StoreException("stored record holds " + out.size() + " records, expected 1");
    }
    return out.get(0);
  }

  static byte[] summary(TraceSummary s) {
    ByteBuffersDataOutput out = new ByteBuffersDataOutput();
    try {
      out.writeLong(s.traceId().high());
      out.writeLong(s.traceId().low());
      out.writeString(s.rootService());
      out.writeString(s.rootOperation());
      out.writeZLong(s.startMicros());
      out.writeVLong(s.durationMicros());
      out.writeVInt(s.spanCount());
      out.writeVInt(s.services().size());
      for (String svc : s.services()) {
        out.writeString(svc);
      }
      out.writeByte((byte) ((s.error() ? 1 : 0) | (s.complete() ? 2 : 0)));
      out.writeVInt(s.warnings().size());
      for (String w : s.warnings()) {
        out.writeString(w);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArrayCopy();
  }

  static TraceSummary summary(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    TraceId id = new TraceId(in.readLong(), in.readLong());
    String rootService = in.readString();
    String rootOperation = in.readString();
    long start = in.readZLong();
    long duration = in.readVLong();
    int spans = in.readVInt();
    int n = in.readVInt();
    List<String> services = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      services.add(in.readString());
    }
    int flags = in.readByte();
    n = in.readVInt();
    List<String> warnings = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      warnings.add(in.readString());
    }
    return new TraceSummary(id, rootService, rootOperation, start, duration, spans, services,
        (flags & 1) != 0, (flags & 2) != 0, warnings);
  }

  /** A dependency counter: parent, child, calls, errors. */
  record Dependency(String parent, String child, long calls, long errors) {}

  static byte[] dependency(Dependency d) {
    ByteBuffersDataOutput out = new ByteBuffersDataOutput();
    try {
      out.writeString(d.parent());
      out.writeString(d.child());
      out.writeVLong(d.calls());
      out.writeVLong(d.errors());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArrayCopy();
  }

  static Dependency dependency(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    return new Dependency(in.readString(), in.readString(), in.readVLong(), in.readVLong());
  }

  /** An aggregate counter of one service, operation and minute. */
  record Aggregate(String service, String operation, long minute, long errors, LatencyHistogram latency) {}

  static byte[] aggregate(Aggregate a) {
    ByteBuffersDataOutput out = new ByteBuffersDataOutput();
    try {
      out.writeString(a.service());
      out.writeString(a.operation());
      out.writeZLong(a.minute());
      out.writeVLong(a.errors());
      a.latency().writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toArrayCopy();
  }

  static Aggregate aggregate(BytesRef bytes) throws IOException {
    ByteArrayDataInput in = new ByteArrayDataInput(bytes.bytes, bytes.offset, bytes.length);
    return new Aggregate(in.readString(), in.readString(), in.readZLong(), in.readVLong(),
        LatencyHistogram.readFrom(in));
  }
}
