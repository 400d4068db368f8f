package dev.cairn.store.elasticsearch;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.TraceNote;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A write's intent (docs/store-elasticsearch.md, "Writes"): one document in
 * {@code <prefix>-intent-<day>}, created before the write's trace parts, saying which traces it
 * writes and their notes, so that whoever finds it after a crash can count that write's parts
 * exactly once. Its {@code state}:
 *
 * <ul>
 *   <li>{@code open}: created, its parts being created (each part names the intent in {@code w});
 *   <li>{@code sealed}: its writer (or, after that writer failed, the same store) lists the parts
 *       the write created ({@code parts}); they are being counted;
 *   <li>{@code taken}: another store found it open, took it over by a conditional write, listing
 *       the parts naming it then; they are being counted;
 *   <li>{@code done}: a taken intent counted; kept for a day, so a writer still alive learns
 *       which of its parts the other store counted.
 * </ul>
 *
 * A sealed intent is deleted once counted. Summaries, aggregates and dependency documents
 * remember the last intents applied to them ({@link EsUpserts#REMEMBERED_INTENTS}), so counting an
 * intent again changes nothing.
 */
final class EsIntents {
  static final String OPEN = "open";
  static final String SEALED = "sealed";
  static final String TAKEN = "taken";
  static final String DONE = "done";
  /** How long a done intent is kept for a writer that may still be alive. */
  static final long KEEP_DONE_MILLIS = 24 * 3_600_000L;

  /** The days of a trace's spans in the write (UTC days since the epoch). */
  record Trace(String hex, long fromDay, long toDay) {}

  private final byte[] instance = new byte[6];
  private final AtomicLong count = new AtomicLong();

  EsIntents() {
    new SecureRandom().nextBytes(instance);
  }

  /** A new intent ID: 6 random bytes of this store, then a counter (base64url, 16 chars). */
  String newId() {
    ByteBuffer b = ByteBuffer.allocate(12).put(instance);
    long n = count.incrementAndGet();
    b.putShort((short) (n >>> 32)).putInt((int) n);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
  }

  static Map<String, Object> open(List<Trace> traces, List<TraceNote> notes, long nowMillis) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("state", OPEN);
    doc.put("at", nowMillis);
    List<Map<String, Object>> ts = new ArrayList<>(traces.size());
    for (Trace t : traces) {
      ts.add(Map.of("id", t.hex(), "from", t.fromDay(), "to", t.toDay()));
    }
    doc.put("traces", ts);
    List<Map<String, Object>> ns = new ArrayList<>(notes.size());
    for (TraceNote n : notes) {
      ns.add(Map.of("id", n.traceId().hex(), "complete", n.complete(), "warnings", n.warnings()));
    }
    doc.put("notes", ns);
    return doc;
  }

  /** The intent in another state, listing the parts it counts ("index/id" each). */
  static Map<String, Object> withParts(Map<String, Object> intent, String state,
      List<String> parts, long nowMillis) {
    Map<String, Object> doc = new LinkedHashMap<>(intent);
    doc.put("state", state);
    doc.put("at", nowMillis);
    doc.put("parts", List.copyOf(parts));
    return doc;
  }

  static String state(Map<String, Object> intent) {
    return String.valueOf(intent.get("state"));
  }

  static long at(Map<String, Object> intent) {
    return intent.get("at") instanceof Number n ? n.longValue() : 0;
  }

  @SuppressWarnings("unchecked")
  static List<String> parts(Map<String, Object> intent) {
    Object p = intent.get("parts");
    return p instanceof List<?> l ? (List<String>) l : List.of();
  }

  static List<Trace> traces(Map<String, Object> intent) {
    List<Trace> out = new ArrayList<>();
    if (intent.get("traces") instanceof List<?> l) {
      for (Object o : l) {
        Map<?, ?> m = (Map<?, ?>) o;
        out.add(new Trace((String) m.get("id"), ((Number) m.get("from")).longValue(),
            ((Number) m.get("to")).longValue()));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static List<TraceNote> notes(Map<String, Object> intent) {
    List<TraceNote> out = new ArrayList<>();
    if (intent.get("notes") instanceof List<?> l) {
      for (Object o : l) {
        Map<?, ?> m = (Map<?, ?>) o;
        out.add(new TraceNote(TraceId.fromHex((String) m.get("id")),
            Boolean.TRUE.equals(m.get("complete")), (List<String>) m.get("warnings")));
      }
    }
    return out;
  }
}
