package dev.cairn.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void escapesAsGoDoes_htmlSignificantCharactersAndLineSeparators() {
    String s = new Json().value("<a href=\"x\">&</a>\u2028\u2029\\\n\t\u0001").toString();
    assertEquals("\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\\u2028\\u2029\\\\\\n\\t\\u0001\"", s);
    assertEquals("<a href=\"x\">&</a>\u2028\u2029\\\n\t\u0001", JsonParser.parse(s));
  }

  @Test
  void keepsSurrogatePairs_replacesLoneSurrogates() {
    assertEquals("\"\uD83D\uDE00\"", new Json().value("\uD83D\uDE00").toString());
    assertEquals("\"a\ufffdb\ufffd\"", new Json().value("a\uD83Db\uDE00").toString());
  }

  @Test
  void placesCommasInNestedContainers() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("a", List.of(1L, 2.5, true, "x"));
    m.put("b", Map.of());
    Json j = new Json().array().any(m).nullValue().value(-3).endArray();
    assertEquals("[{\"a\":[1,2.5,true,\"x\"],\"b\":{}},null,-3]", j.toString());
  }

  @Test
  void nonFiniteDoubles_areNull_wholeDoublesHaveNoFraction() {
    assertEquals("[null,null,3,1.0E-5]", new Json().array().value(Double.NaN).value(Double.POSITIVE_INFINITY)
        .value(3.0).value(0.00001).endArray().toString());
  }
}
