package dev.cairn.core.wire;

import dev.cairn.core.model.Ids;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * The messages of the pull protocol, one record per {@link MessageType}. Layouts, limits and the
 * order in which they may be sent are in docs/protocol.md; {@link Wire} encodes and decodes them.
 * Byte arrays in these records are not copied: treat them as immutable.
 */
public sealed interface WireMessage {
  MessageType type();

  /**
   * Server to client, first frame on every connection.
   *
   * @param minVersion oldest protocol version the server speaks
   * @param maxVersion newest protocol version the server speaks
   * @param maxFrameLength the largest frame (type and body) the server accepts from the client
   * @param challenge {@link Wire#CHALLENGE_BYTES} random bytes the client's AUTH proof covers
   * @param shipperName the shipper's configured name
   * @param host the shipper's host name
   */
  record Hello(int minVersion, int maxVersion, int maxFrameLength, byte[] challenge,
      String shipperName, String host) implements WireMessage {
    public Hello {
      Wire.checkBytes(challenge, Wire.CHALLENGE_BYTES, "challenge");
      Objects.requireNonNull(shipperName, "shipperName");
      Objects.requireNonNull(host, "host");
    }

    @Override
    public MessageType type() {
      return MessageType.HELLO;
    }
  }

  /**
   * Client to server: the chosen version and the proof that the client knows the shared secret
   * ({@link WireAuth#clientProof}).
   *
   * @param version the protocol version the client chose from HELLO's range
   * @param clientNonce {@link Wire#CHALLENGE_BYTES} random bytes the server's proof in AUTH_OK covers
   * @param clientName who is pulling (logged by the server; at most {@link Wire#MAX_NAME_BYTES} UTF-8 bytes)
   * @param proof HMAC-SHA256, {@link Wire#PROOF_BYTES} bytes
   */
  record Auth(int version, byte[] clientNonce, String clientName, byte[] proof) implements WireMessage {
    public Auth {
      Wire.checkBytes(clientNonce, Wire.CHALLENGE_BYTES, "clientNonce");
      Objects.requireNonNull(clientName, "clientName");
      Wire.checkBytes(proof, Wire.PROOF_BYTES, "proof");
    }

    @Override
    public MessageType type() {
      return MessageType.AUTH;
    }
  }

  /**
   * Server to client: authenticated.
   *
   * @param version the protocol version of the rest of the connection
   * @param maxBatchBytes the server caps PULL's and FETCH's maxBytes to this
   * @param maxWaitMillis the server caps PULL's maxWaitMillis to this
   * @param serverProof HMAC-SHA256 proving the server knows the secret too ({@link WireAuth#serverProof})
   */
  record AuthOk(int version, int maxBatchBytes, int maxWaitMillis, byte[] serverProof) implements WireMessage {
    public AuthOk {
      Wire.checkBytes(serverProof, Wire.PROOF_BYTES, "serverProof");
    }

    @Override
    public MessageType type() {
      return MessageType.AUTH_OK;
    }
  }

  /**
   * Client to server: the journal entries with {@code seq >= cursor}.
   *
   * @param cursor the first sequence number wanted; 0 and 1 both mean "from the oldest retained"
   * @param maxBytes block bytes the batch may hold (at least one block is sent even if larger);
   *     0 = the server's maximum
   * @param maxWaitMillis how long the server may hold the request when nothing is at or after the
   *     cursor (long-poll); 0 = answer at once
   */
  record Pull(long cursor, int maxBytes, int maxWaitMillis) implements WireMessage {
    public Pull {
      if (cursor < 0 || maxBytes < 0 || maxWaitMillis < 0) {
        throw new IllegalArgumentException("cursor, maxBytes and maxWaitMillis must be >= 0");
      }
    }

    @Override
    public MessageType type() {
      return MessageType.PULL;
    }
  }

  /**
   * Server to client: the answer to PULL.
   *
   * @param nextCursor the cursor of the next PULL: last entry's seq + 1, or the request's cursor
   *     (moved up to {@code firstSeq} if retention deleted it) when the batch is empty
   * @param firstSeq the oldest sequence number the journal held when the batch was read; entries in
   *     [request cursor, firstSeq) were deleted by retention before this puller read them
   * @param lastSeq the newest sequence number in the journal when the batch was read (0 = empty)
   * @param entries in ascending, contiguous sequence order
   */
  record Batch(long nextCursor, long firstSeq, long lastSeq, List<BlockEntry> entries) implements WireMessage {
    public Batch {
      entries = List.copyOf(entries);
    }

    @Override
    public MessageType type() {
      return MessageType.BATCH;
    }
  }

  /**
   * Client to server: every retained block holding records of these traces.
   *
   * @param fromSeq only blocks with {@code seq >= fromSeq} (0 = all): to continue after a
   *     {@link FetchResult#resumeSeq()}
   * @param maxBytes block bytes the answer may hold (at least one block); 0 = the server's maximum
   * @param traceIds 1 to {@link Wire#MAX_FETCH_IDS} trace IDs
   */
  record Fetch(long fromSeq, int maxBytes, List<TraceId> traceIds) implements WireMessage {
    public Fetch {
      if (fromSeq < 0 || maxBytes < 0) {
        throw new IllegalArgumentException("fromSeq and maxBytes must be >= 0");
      }
      traceIds = List.copyOf(traceIds);
      if (traceIds.isEmpty() || traceIds.size() > Wire.MAX_FETCH_IDS) {
        throw new IllegalArgumentException("FETCH needs 1 to " + Wire.MAX_FETCH_IDS + " trace IDs: " + traceIds.size());
      }
    }

    @Override
    public MessageType type() {
      return MessageType.FETCH;
    }
  }

  /**
   * Server to client: the answer to FETCH.
   *
   * @param resumeSeq 0 when every matching block was sent; otherwise more blocks did not fit and a
   *     FETCH with {@code fromSeq = resumeSeq} returns the rest
   * @param entries matching blocks in ascending sequence order, each once; a block may also hold
   *     other traces, and (rarely, a hash collision in the index) none of the requested ones
   */
  record FetchResult(long resumeSeq, List<BlockEntry> entries) implements WireMessage {
    public FetchResult {
      entries = List.copyOf(entries);
    }

    @Override
    public MessageType type() {
      return MessageType.FETCH_RESULT;
    }
  }

  /** Client to server: the shipper's state, answered with {@link StatusResult}. */
  record Status() implements WireMessage {
    @Override
    public MessageType type() {
      return MessageType.STATUS;
    }
  }

  /** Server to client: named values, in the server's order (docs/protocol.md lists the keys). */
  record StatusResult(Map<String, String> fields) implements WireMessage {
    public StatusResult {
      fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
      if (fields.size() > Wire.MAX_STATUS_FIELDS) {
        throw new IllegalArgumentException("at most " + Wire.MAX_STATUS_FIELDS + " status fields: " + fields.size());
      }
    }

    @Override
    public MessageType type() {
      return MessageType.STATUS_RESULT;
    }
  }

  /**
   * Either direction: an error. Codes this version does not know are kept as numbers.
   *
   * @param code the u16 code ({@link ErrorCode#code()})
   * @param message a sentence for operators (cut at {@link Wire#MAX_ERROR_CHARS} characters)
   */
  record ErrorMessage(int code, String message) implements WireMessage {
    public ErrorMessage {
      if (code < 0 || code > 0xFFFF) {
        throw new IllegalArgumentException("error code must be a u16: " + code);
      }
      Objects.requireNonNull(message, "message");
      if (message.length() > Wire.MAX_ERROR_CHARS) {
        message = message.substring(0, Wire.MAX_ERROR_CHARS);
      }
    }

    public static ErrorMessage of(ErrorCode code, String message) {
      return new ErrorMessage(code.code(), message);
    }

    /** The code, if this version knows it. */
    public java.util.Optional<ErrorCode> errorCode() {
      return ErrorCode.of(code);
    }

    @Override
    public MessageType type() {
      return MessageType.ERROR;
    }
  }

  /** A 128-bit trace ID as two longs (high, low), as in the block format. */
  record TraceId(long high, long low) {
    @Override
    public String toString() {
      return Ids.traceIdHex(high, low);
    }
  }

  /**
   * One journal entry on the wire: a whole block (header and payload, as the application wrote
   * it) and where it came from. When decoded, {@code block} is a read-only view into the frame's
   * bytes: copy it to keep it beyond the frame's life.
   *
   * @param seq the journal sequence number
   * @param fileId the span file's ID
   * @param offset the block's offset in that file
   * @param block the block's bytes, position 0 to limit
   */
  record BlockEntry(long seq, UUID fileId, long offset, ByteBuffer block) {
    public BlockEntry {
      Objects.requireNonNull(fileId, "fileId");
      Objects.requireNonNull(block, "block");
    }
  }
}
