package dev.cairn.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParamsTest {
  static Params p(String name, String value) {
    return new Params(Map.of(name, List.of(value)));
  }

  @Test
  void goDurations_asTimeParseDurationReadsThem() {
    assertEquals(100_000_000L, Params.GoDuration.parseNanos("100ms"));
    assertEquals(1_500_000_000L, Params.GoDuration.parseNanos("1.5s"));
    assertEquals(5_400_000_000_000L, Params.GoDuration.parseNanos("1h30m"));
    assertEquals(250_000L, Params.GoDuration.parseNanos("250us"));
    assertEquals(250_000L, Params.GoDuration.parseNanos("250µs"));
    assertEquals(250_000L, Params.GoDuration.parseNanos("250μs"));
    assertEquals(7L, Params.GoDuration.parseNanos("7ns"));
    assertEquals(-2_000_000_000L, Params.GoDuration.parseNanos("-2s"));
    assertEquals(0L, Params.GoDuration.parseNanos("0"));
    assertEquals(500_000_000L, Params.GoDuration.parseNanos(".5s"));
    for (String bad : List.of("", "s", "10", "1.2.3s", "10 ms", "1d", "ms10", "-", "1e3s", "9999999999h")) {
      assertThrows(IllegalArgumentException.class, () -> Params.GoDuration.parseNanos(bad), bad);
    }
  }

  @Test
  void durationParameter_goDurationOrPlainMicros_neverNegative() throws Exception {
    assertEquals(100_000L, p("d", "100ms").durationMicros("d"));
    assertEquals(2_500L, p("d", "2500").durationMicros("d"));
    assertEquals(0L, p("d", "").durationMicros("d"));
    ApiException e = assertThrows(ApiException.class, () -> p("d", "-1s").durationMicros("d"));
    assertTrue(e.getMessage().contains("'d'"), e.getMessage());
    assertEquals(400, assertThrows(ApiException.class, () -> p("d", "soon").durationMicros("d")).status());
  }

  @Test
  void limit_isBetweenOneAndTheCap() throws Exception {
    assertEquals(20, p("x", "").limit("limit", 20, 1000));
    assertEquals(1000, p("limit", "1000").limit("limit", 20, 1000));
    for (String bad : List.of("0", "-1", "1001", "99999999999999999999", "ten")) {
      ApiException e = assertThrows(ApiException.class, () -> p("limit", bad).limit("limit", 20, 1000), bad);
      assertTrue(e.getMessage().contains("'limit'"), e.getMessage());
    }
  }

  @Test
  void booleans_asGoParsesThem() throws Exception {
    assertEquals(true, p("b", "true").bool("b", false));
    assertEquals(false, p("b", "0").bool("b", true));
    assertEquals(true, p("x", "").bool("b", true));
    assertThrows(ApiException.class, () -> p("b", "yes").bool("b", false));
  }

  @Test
  void traceIds_jaegersForms() throws Exception {
    assertEquals(0x75bcd15L, Queries.traceId("id", "75BCD15").low());
    assertEquals(0L, Queries.traceId("id", "00000000075bcd15").high());
    assertEquals(0x6b01e4cb452911b1L, Queries.traceId("id", "6b01e4cb452911b13ac98379bc1e6694").high());
    for (String bad : List.of("", "xyz", "0", "g".repeat(16), "1".repeat(33), "12-34")) {
      assertEquals(400, assertThrows(ApiException.class, () -> Queries.traceId("id", bad), bad).status());
    }
  }

  @Test
  void tagsJson_objectOfStringsOnly() {
    assertEquals(Map.of("a", "1", "b\"", "x\u00e9"), JsonObjectParser.stringMap(" {\"a\":\"1\", \"b\\\"\":\"x\\u00e9\"} "));
    assertEquals(Map.of(), JsonObjectParser.stringMap("{}"));
    for (String bad : List.of("", "[]", "{\"a\":1}", "{\"a\":\"1\"", "{\"a\":\"1\"}x", "{a:\"1\"}", "{\"a\":{\"b\":\"c\"}}")) {
      assertThrows(IllegalArgumentException.class, () -> JsonObjectParser.stringMap(bad), bad);
    }
    assertEquals(Map.of("status", "UP", "n", 3L, "ok", true, "r", 0.5), JsonObjectParser.scalars(
        "{\"status\":\"UP\",\"n\":3,\"ok\":true,\"r\":0.5}"));
  }
}
