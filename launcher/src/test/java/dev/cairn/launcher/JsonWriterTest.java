package dev.cairn.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonWriterTest {
  @Test
  void string_escapesQuotesBackslashesAndControlCharacters() {
    String nasty = "q\" b\\ n\n r\r t\t bs\b ff\f nul\u0000 us\u001f del\u007f";
    String json = new JsonWriter().value(nasty).toString();

    assertEquals("\"q\\\" b\\\\ n\\n r\\r t\\t bs\\b ff\\f nul\\u0000 us\\u001f del\u007f\"", json);
    assertEquals(nasty, MiniJson.parse(json));
  }

  @Test
  void string_keepsPairedSurrogatesAndEscapesLoneOnes() {
    String turtleAndLone = "🐢\ud800x\udc00";
    String json = new JsonWriter().value(turtleAndLone).toString();

    assertEquals("\"🐢\\ud800x\\udc00\"", json);
    assertEquals(turtleAndLone, MiniJson.parse(json));
  }

  @Test
  void doubles_nonFiniteBecomeStringsAndFiniteStayDoubles() {
    String json = new JsonWriter().beginArray()
        .value(Double.NaN).value(Double.POSITIVE_INFINITY).value(Double.NEGATIVE_INFINITY)
        .value(1.0).value(1e-7).value(-2.5e300).value(7L)
        .endArray().toString();

    assertEquals("[\"NaN\",\"Infinity\",\"-Infinity\",1.0,1.0E-7,-2.5E300,7]", json);
    assertEquals(List.of("NaN", "Infinity", "-Infinity", 1.0, 1e-7, -2.5e300, 7L),
        MiniJson.parse(json));
  }

  @Test
  void commas_arePlacedBetweenElementsAtEveryDepth() {
    JsonWriter w = new JsonWriter().beginObject()
        .name("a").beginArray().value(1).beginObject().endObject().beginArray().endArray().endArray()
        .name("b").beginObject().name("c").value(true).name("d").value("x").endObject()
        .name("e").raw("{\"f\":1}")
        .endObject();

    assertEquals("{\"a\":[1,{},[]],\"b\":{\"c\":true,\"d\":\"x\"},\"e\":{\"f\":1}}", w.toString());
  }

  @Test
  void attributeValue_writesListsAsArraysOfNativeTypes() {
    String json = new JsonWriter().beginObject()
        .name("s").attributeValue(List.of("a", "b"))
        .name("b").attributeValue(List.of(true, false))
        .name("l").attributeValue(List.of(1L, -2L))
        .name("d").attributeValue(List.of(0.5, Double.NaN))
        .name("empty").attributeValue(List.of())
        .endObject().toString();

    assertEquals(Map.of("s", List.of("a", "b"), "b", List.of(true, false), "l", List.of(1L, -2L),
        "d", List.of(0.5, "NaN"), "empty", List.of()), MiniJson.parse(json));
  }

  @Test
  void reset_startsAFreshDocument() {
    JsonWriter w = new JsonWriter();
    w.beginObject().name("a").value(1).endObject();
    w.reset().beginObject().name("b").value(2).endObject();

    assertEquals("{\"b\":2}", w.toString());
  }

  @Test
  void close_withNothingOpenFails() {
    assertThrows(IllegalStateException.class, () -> new JsonWriter().endObject());
  }
}
