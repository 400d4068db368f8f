package dev.cairn.core.wire;

import dev.cairn.core.format.BlockHeader;
import dev.cairn.core.wire.WireMessage.Auth;
import dev.cairn.core.wire.WireMessage.AuthOk;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.ErrorMessage;
import dev.cairn.core.wire.WireMessage.Fetch;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.Hello;
import dev.cairn.core.wire.WireMessage.Pull;
import dev.cairn.core.wire.WireMessage.Status;
import dev.cairn.core.wire.WireMessage.StatusResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The pull protocol's frames (docs/protocol.md): {@code u32 length | u8 type | body}, big-endian,
 * where length counts the type byte and the body. Pure Java on byte arrays and buffers, shared by
 * the shipper's server and the puller's client whatever their network library.
 *
 * <p>Decoding never trusts a length: every count and length is checked against the bytes present
 * and the protocol's limits before anything is allocated, so a hostile or broken peer gets a
 * {@link WireException}, never an OutOfMemoryError.
 *
 * <pre>{@code
 * ByteBuffer frame = Wire.encode(new Pull(cursor, 8 << 20, 10_000));   // length field included
 * int length = Wire.checkFrameLength(lengthField, maxFrame);            // reading: check first
 * WireMessage m = Wire.decode(typeAndBody);                             // then decode
 * }</pre>
 */
public final class Wire {
  /** The protocol version this code speaks (the newest). */
  public static final int VERSION = 1;
  /** The oldest protocol version this code speaks. */
  public static final int MIN_VERSION = 1;
  /** First 4 bytes of HELLO's body, "CRNW": a client connected to something else finds out at once. */
  public static final int HELLO_MAGIC = 0x43524E57;

  public static final int LENGTH_FIELD_BYTES = 4;
  public static final int CHALLENGE_BYTES = 32;
  public static final int PROOF_BYTES = 32;
  /** Longest shipper name, host name or client name, in UTF-8 bytes. */
  public static final int MAX_NAME_BYTES = 256;
  public static final int MAX_FETCH_IDS = 4096;
  public static final int MAX_STATUS_FIELDS = 1024;
  public static final int MAX_ERROR_CHARS = 1024;
  /** seq u64, file ID 16 bytes, offset u64, block length u32. */
  public static final int ENTRY_HEADER_BYTES = 8 + 16 + 8 + 4;
  /** nextCursor u64, firstSeq u64, lastSeq u64, count u32. */
  public static final int BATCH_HEADER_BYTES = 8 + 8 + 8 + 4;
  /** resumeSeq u64, count u32. */
  public static final int FETCH_RESULT_HEADER_BYTES = 8 + 4;
  /** The largest block the format allows (payload limit plus the largest header). */
  public static final int MAX_BLOCK_BYTES = BlockHeader.MAX_PAYLOAD + 4096;
  /** The largest frame a server accepts by default: requests are small (FETCH of 4096 IDs is 64 KiB). */
  public static final int DEFAULT_MAX_REQUEST_FRAME = 1 << 20;

  private Wire() {}

  /** Bytes an entry with a block of {@code blockLength} bytes takes in a BATCH or FETCH_RESULT. */
  public static long entryBytes(int blockLength) {
    return ENTRY_HEADER_BYTES + (long) blockLength;
  }

  /**
   * The largest BATCH or FETCH_RESULT frame (type and body) a server sends for a request's
   * {@code maxBytes}: the entries fit maxBytes, or are one entry of up to {@link #MAX_BLOCK_BYTES}.
   * A client sets its maximum frame length to at least this.
   */
  public static int maxResponseFrame(int maxBytes) {
    long entries = Math.max(maxBytes, ENTRY_HEADER_BYTES + (long) MAX_BLOCK_BYTES);
    return (int) Math.min(Integer.MAX_VALUE, 1 + BATCH_HEADER_BYTES + entries);
  }

  /**
   * Checks a frame's length field (the u32 before type and body) before its bytes are read or
   * allocated. Returns it as the number of bytes that follow.
   */
  public static int checkFrameLength(int lengthField, int maxFrameLength) throws WireException {
    long length = Integer.toUnsignedLong(lengthField);
    if (length > maxFrameLength) {
      throw new WireException(ErrorCode.FRAME_TOO_LARGE,
          "frame of " + length + " bytes is larger than the maximum " + maxFrameLength);
    }
    if (length < 1) {
      throw new WireException(ErrorCode.MALFORMED_FRAME, "empty frame: no type byte");
    }
    return (int) length;
  }

  /**
   * Version negotiation, client side: the newest version both this code and the server (HELLO's
   * range) speak.
   *
   * @throws WireException {@link ErrorCode#UNSUPPORTED_VERSION} when the ranges do not overlap
   */
  public static int chooseVersion(int serverMin, int serverMax) throws WireException {
    int v = Math.min(VERSION, serverMax);
    if (v < Math.max(MIN_VERSION, serverMin)) {
      throw new WireException(ErrorCode.UNSUPPORTED_VERSION, "the shipper speaks protocol versions "
          + serverMin + " to " + serverMax + ", this side " + MIN_VERSION + " to " + VERSION
          + "; upgrade the older side");
    }
    return v;
  }

  /** Version negotiation, server side: whether a version an AUTH chose is one this code speaks. */
  public static boolean supports(int version) {
    return version >= MIN_VERSION && version <= VERSION;
  }

  // ---------------------------------------------------------------------------------- encoding

  /** The whole frame, length field included, in a fresh heap buffer. */
  public static ByteBuffer encode(WireMessage message) {
    HeapOutput out = new HeapOutput(64);
    write(message, out);
    return out.toByteBuffer();
  }

  /** Writes the whole frame, length field included; returns its size. */
  public static int write(WireMessage message, WireOutput out) {
    if (message instanceof Batch b) {
      EntryFrameWriter w = new EntryFrameWriter();
      w.beginBatch(out);
      addAll(w, b.entries());
      return w.finishBatch(b.nextCursor(), b.firstSeq(), b.lastSeq());
    }
    if (message instanceof FetchResult f) {
      EntryFrameWriter w = new EntryFrameWriter();
      w.beginFetchResult(out);
      addAll(w, f.entries());
      return w.finishFetchResult(f.resumeSeq());
    }
    int start = out.position();
    out.writeInt(0);
    out.writeByte(message.type().code());
    if (message instanceof Hello h) {
      out.writeInt(HELLO_MAGIC);
      out.writeShort(u16(h.minVersion(), "minVersion"));
      out.writeShort(u16(h.maxVersion(), "maxVersion"));
      out.writeInt(h.maxFrameLength());
      out.writeBytes(h.challenge(), 0, CHALLENGE_BYTES);
      writeStr(out, h.shipperName(), MAX_NAME_BYTES, "shipperName");
      writeStr(out, h.host(), MAX_NAME_BYTES, "host");
    } else if (message instanceof Auth a) {
      out.writeShort(u16(a.version(), "version"));
      out.writeBytes(a.clientNonce(), 0, CHALLENGE_BYTES);
      writeStr(out, a.clientName(), MAX_NAME_BYTES, "clientName");
      out.writeBytes(a.proof(), 0, PROOF_BYTES);
    } else if (message instanceof AuthOk ok) {
      out.writeShort(u16(ok.version(), "version"));
      out.writeInt(ok.maxBatchBytes());
      out.writeInt(ok.maxWaitMillis());
      out.writeBytes(ok.serverProof(), 0, PROOF_BYTES);
    } else if (message instanceof Pull p) {
      out.writeLong(p.cursor());
      out.writeInt(p.maxBytes());
      out.writeInt(p.maxWaitMillis());
    } else if (message instanceof Fetch f) {
      out.writeLong(f.fromSeq());
      out.writeInt(f.maxBytes());
      out.writeShort(f.traceIds().size());
      for (TraceId id : f.traceIds()) {
        out.writeLong(id.high());
        out.writeLong(id.low());
      }
    } else if (message instanceof StatusResult s) {
      out.writeShort(s.fields().size());
      for (Map.Entry<String, String> e : s.fields().entrySet()) {
        writeStr(out, e.getKey(), MAX_NAME_BYTES, "status key");
        writeStr(out, e.getValue(), 0xFFFF, "status value " + e.getKey());
      }
    } else if (message instanceof ErrorMessage e) {
      out.writeShort(e.code());
      writeStr(out, e.message(), 0xFFFF, "error message");
    } else if (!(message instanceof Status)) {
      throw new IllegalArgumentException("cannot encode " + message.type());
    }
    int size = out.position() - start;
    out.setInt(start, size - LENGTH_FIELD_BYTES);
    return size;
  }

  private static void addAll(EntryFrameWriter w, List<BlockEntry> entries) {
    for (BlockEntry e : entries) {
      w.add(e.seq(), e.fileId().getMostSignificantBits(), e.fileId().getLeastSignificantBits(),
          e.offset(), e.block());
    }
  }

  private static int u16(int v, String field) {
    if (v < 0 || v > 0xFFFF) {
      throw new IllegalArgumentException(field + " must be a u16: " + v);
    }
    return v;
  }

  private static void writeStr(WireOutput out, String s, int maxBytes, String field) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > maxBytes) {
      throw new IllegalArgumentException(field + " is " + b.length + " UTF-8 bytes, at most " + maxBytes);
    }
    out.writeShort(b.length);
    out.writeBytes(b, 0, b.length);
  }

  // ---------------------------------------------------------------------------------- decoding

  /**
   * Decodes one frame's type and body: {@code frame}'s remaining bytes, after the length field.
   * The buffer's position is not changed. Entries' blocks are read-only views into {@code frame}.
   *
   * @throws WireException {@link ErrorCode#UNKNOWN_TYPE} for a type this version does not know,
   *     {@link ErrorCode#MALFORMED_FRAME} for a body that does not fit its type's layout
   */
  public static WireMessage decode(ByteBuffer frame) throws WireException {
    In in = new In(frame.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN));
    if (!in.buf.hasRemaining()) {
      throw new WireException(ErrorCode.MALFORMED_FRAME, "empty frame: no type byte");
    }
    int code = in.buf.get() & 0xFF;
    MessageType type = MessageType.of(code);
    if (type == null) {
      throw new WireException(ErrorCode.UNKNOWN_TYPE, String.format("unknown message type 0x%02x", code));
    }
    in.type = type;
    WireMessage m = switch (type) {
      case HELLO -> decodeHello(in);
      case AUTH -> new Auth(in.u16(), in.bytes(CHALLENGE_BYTES, "client nonce"),
          in.str(MAX_NAME_BYTES, "client name"), in.bytes(PROOF_BYTES, "proof"));
      case AUTH_OK -> new AuthOk(in.u16(), in.u31(), in.u31(), in.bytes(PROOF_BYTES, "server proof"));
      case PULL -> new Pull(in.seq("cursor"), in.u31(), in.u31());
      case BATCH -> new Batch(in.seq("nextCursor"), in.seq("firstSeq"), in.seq("lastSeq"), in.entries());
      case FETCH -> decodeFetch(in);
      case FETCH_RESULT -> new FetchResult(in.seq("resumeSeq"), in.entries());
      case STATUS -> new Status();
      case STATUS_RESULT -> decodeStatus(in);
      case ERROR -> new ErrorMessage(in.u16(), in.str(0xFFFF, "error message"));
    };
    if (in.buf.hasRemaining()) {
      throw new WireException(ErrorCode.MALFORMED_FRAME,
          type + " body has " + in.buf.remaining() + " unexpected bytes after its last field");
    }
    return m;
  }

  private static Hello decodeHello(In in) throws WireException {
    int magic = in.i32();
    if (magic != HELLO_MAGIC) {
      throw new WireException(ErrorCode.MALFORMED_FRAME,
          String.format("HELLO magic is 0x%08x, not 0x%08x: the peer is not a Cairn shipper", magic, HELLO_MAGIC));
    }
    return new Hello(in.u16(), in.u16(), in.u31(), in.bytes(CHALLENGE_BYTES, "challenge"),
        in.str(MAX_NAME_BYTES, "shipper name"), in.str(MAX_NAME_BYTES, "host"));
  }

  private static Fetch decodeFetch(In in) throws WireException {
    long fromSeq = in.seq("fromSeq");
    int maxBytes = in.u31();
    int count = in.u16();
    if (count < 1 || count > MAX_FETCH_IDS) {
      throw new WireException(ErrorCode.MALFORMED_FRAME, "FETCH asks for " + count + " trace IDs; 1 to " + MAX_FETCH_IDS + " allowed");
    }
    in.need(count * 16L, "trace IDs");
    List<TraceId> ids = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ids.add(new TraceId(in.buf.getLong(), in.buf.getLong()));
    }
    return new Fetch(fromSeq, maxBytes, ids);
  }

  private static StatusResult decodeStatus(In in) throws WireException {
    int count = in.u16();
    if (count > MAX_STATUS_FIELDS) {
      throw new WireException(ErrorCode.MALFORMED_FRAME, "STATUS_RESULT has " + count + " fields; at most " + MAX_STATUS_FIELDS);
    }
    in.need(count * 4L, "status fields");
    Map<String, String> fields = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String key = in.str(MAX_NAME_BYTES, "status key");
      String value = in.str(0xFFFF, "status value");
      if (fields.put(key, value) != null) {
        throw new WireException(ErrorCode.MALFORMED_FRAME, "STATUS_RESULT repeats the key " + key);
      }
    }
    return new StatusResult(fields);
  }

  /** Bounds-checked big-endian reads of one frame; every overrun is a MALFORMED_FRAME. */
  private static final class In {
    final ByteBuffer buf;
    MessageType type;

    In(ByteBuffer buf) {
      this.buf = buf;
    }

    void need(long n, String what) throws WireException {
      if (buf.remaining() < n) {
        throw new WireException(ErrorCode.MALFORMED_FRAME,
            type + " truncated: " + what + " needs " + n + " bytes, " + buf.remaining() + " left");
      }
    }

    int u16() throws WireException {
      need(2, "a u16");
      return buf.getShort() & 0xFFFF;
    }

    int i32() throws WireException {
      need(4, "a u32");
      return buf.getInt();
    }

    /** A u32 where values above Integer.MAX_VALUE mean "as much as allowed". */
    int u31() throws WireException {
      int v = i32();
      return v < 0 ? Integer.MAX_VALUE : v;
    }

    /** A u64 sequence number or file offset: below 2^63. */
    long seq(String what) throws WireException {
      need(8, what);
      long v = buf.getLong();
      if (v < 0) {
        throw new WireException(ErrorCode.MALFORMED_FRAME, type + " " + what + " " + Long.toUnsignedString(v) + " is out of range");
      }
      return v;
    }

    byte[] bytes(int n, String what) throws WireException {
      need(n, "the " + what);
      byte[] b = new byte[n];
      buf.get(b);
      return b;
    }

    String str(int maxBytes, String what) throws WireException {
      int len = u16();
      if (len > maxBytes) {
        throw new WireException(ErrorCode.MALFORMED_FRAME, type + " " + what + " is " + len + " bytes; at most " + maxBytes);
      }
      need(len, what);
      String s;
      if (buf.hasArray()) {
        s = new String(buf.array(), buf.arrayOffset() + buf.position(), len, StandardCharsets.UTF_8);
        buf.position(buf.position() + len);
      } else {
        byte[] b = new byte[len];
        buf.get(b);
        s = new String(b, StandardCharsets.UTF_8);
      }
      return s;
    }

    List<BlockEntry> entries() throws WireException {
      int count = i32();
      // Checked against the bytes present before the list is sized: a forged count cannot allocate.
      if (count < 0 || (long) count * ENTRY_HEADER_BYTES > buf.remaining()) {
        throw new WireException(ErrorCode.MALFORMED_FRAME, type + " announces " + Integer.toUnsignedString(count)
            + " entries but only " + buf.remaining() + " bytes follow");
      }
      List<BlockEntry> entries = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        long seq = seq("entry seq");
        UUID fileId = new UUID(buf.getLong(), buf.getLong());
        long offset = seq("entry offset");
        int length = buf.getInt();
        if (length < 0 || length > MAX_BLOCK_BYTES) {
          throw new WireException(ErrorCode.MALFORMED_FRAME, type + " entry " + seq + " has a block of "
              + Integer.toUnsignedString(length) + " bytes; at most " + MAX_BLOCK_BYTES);
        }
        need(length, "entry " + seq + "'s block");
        ByteBuffer block = buf.slice().limit(length).asReadOnlyBuffer();
        buf.position(buf.position() + length);
        entries.add(new BlockEntry(seq, fileId, offset, block));
        if (i + 1 < count) {
          need(ENTRY_HEADER_BYTES, "entry header");
        }
      }
      return entries;
    }
  }

  static void checkBytes(byte[] b, int length, String field) {
    if (b == null || b.length != length) {
      throw new IllegalArgumentException(field + " must be " + length + " bytes");
    }
  }
}
