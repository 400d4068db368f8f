package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.cairn.core.model.TraceId;
import java.util.Random;
import org.apache.lucene.util.BytesRef;
import org.junit.jupiter.api.Test;

class FieldsTest {
  @Test
  void tagHash_ofANumber_isTheHashOfItsDecimalText() {
    long[] edges = {0, 1, -1, 9, 10, -10, 99, 100, 1_000_000_007L, Long.MAX_VALUE, Long.MIN_VALUE,
        Long.MAX_VALUE - 1, Long.MIN_VALUE + 1, 999_999_999_999_999_999L, 1_000_000_000_000_000_000L};
    for (long v : edges) {
      assertEquals(Fields.tagHash("k", Long.toString(v)), Fields.tagHash("k", (Object) v), "value " + v);
    }
    Random random = new Random(1);
    for (int i = 0; i < 100_000; i++) {
      long v = random.nextLong() >> random.nextInt(64);
      assertEquals(Fields.tagHash("http.status_code", Long.toString(v)),
          Fields.tagHash("http.status_code", (Object) v), "value " + v);
    }
  }

  @Test
  void tagTerm_isTheHashOfTheWholeText_cutLikeOtherTerms() {
    assertEquals(Fields.tagTerm("a", "b=c"), Fields.tagTerm("a=b", "c"));
    assertNotEquals(Fields.tagTerm("a", "b"), Fields.tagTerm("a", "c"));
    assertEquals(Fields.tagTerm("k", "true"), Fields.tagTerm(Fields.tagHash("k", (Object) Boolean.TRUE)));
    String longValue = "x".repeat(Fields.MAX_TERM_CHARS + 10);
    // past the cut, only the first MAX_TERM_CHARS chars of key=value count, as in other terms
    assertEquals(Fields.tagTerm("k", longValue), Fields.tagTerm("k", longValue + "different tail"));
    assertEquals(8, Fields.tagTerm("k", "v").length);
  }

  @Test
  void traceTerm_roundTripsAndSortsAsTheHex() {
    TraceId a = TraceId.fromHex("0000000000000001ffffffffffffffff");
    TraceId b = TraceId.fromHex("80000000000000000000000000000000");
    assertEquals(a, Fields.traceOf(Fields.traceTerm(a)));
    assertEquals(b, Fields.traceOf(Fields.traceTerm(b)));
    assertEquals(Integer.signum(a.hex().compareTo(b.hex())),
        Integer.signum(Fields.traceTerm(a).compareTo(Fields.traceTerm(b))));
    assertNull(Fields.traceOf(new BytesRef("not a trace")));
    assertEquals(17, Fields.summaryId(a).length);
  }
}
