package dev.cairn.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.sampling.SamplingConfig.GroupBy;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SamplingConfigTest {

  @Test
  void defaults_recordEverything() {
    SamplingConfig c = SamplingConfig.defaults();
    assertTrue(c.enabled());
    assertEquals(Set.of(), c.disabledComponents());
    assertTrue(c.forceEnabled());
    assertEquals("cairn.force", c.forceBaggageKey());
    assertEquals(1.0, c.ratio());
    assertEquals(0, c.rateLimitPerWindow());
    assertEquals(3000, c.rateLimitWindowMillis());
    assertEquals(GroupBy.SCOPE, c.rateLimitGroupBy());
    assertEquals(Map.of(), c.rateLimitGroups());
    assertFalse(c.rateLimited());
    assertEquals(SamplingConfig.builder().build(), c);
  }

  @Test
  void toBuilder_roundTripsEveryField() {
    SamplingConfig c = SamplingConfig.builder()
        .enabled(false)
        .disabledComponents(List.of("a", "b*"))
        .forceEnabled(false)
        .forceBaggageKey("debug")
        .ratio(0.125)
        .rateLimitPerWindow(10)
        .rateLimitWindowMillis(500)
        .rateLimitGroupBy(GroupBy.SPAN)
        .rateLimitGroup("GET /", 3)
        .build();
    assertEquals(c, c.toBuilder().build());
    assertEquals(c.hashCode(), c.toBuilder().build().hashCode());
    assertFalse(c.equals(c.toBuilder().ratio(0.5).build()));
  }

  @Test
  void build_copiesCollectionsAndExposesThemReadOnly() {
    Map<String, Integer> groups = new HashMap<>(Map.of("g", 1));
    SamplingConfig c = SamplingConfig.builder().rateLimitGroups(groups).build();
    groups.put("h", 2);
    assertEquals(Map.of("g", 1), c.rateLimitGroups());
    assertThrows(UnsupportedOperationException.class, () -> c.rateLimitGroups().put("x", 1));
    assertThrows(UnsupportedOperationException.class, () -> c.disabledComponents().add("x"));
  }

  @Test
  void build_rejectsRatioOutsideZeroToOneNamingTheField() {
    for (double bad : new double[] {-0.01, 1.01, Double.NaN, Double.POSITIVE_INFINITY}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> SamplingConfig.builder().ratio(bad).build());
      assertTrue(e.getMessage().startsWith("ratio:"), e.getMessage());
    }
  }

  @Test
  void build_rejectsBadRateLimitsNamingTheField() {
    assertField("rateLimitPerWindow", SamplingConfig.builder().rateLimitPerWindow(-1));
    assertField("rateLimitPerWindow",
        SamplingConfig.builder().rateLimitPerWindow(SamplingConfig.MAX_PER_WINDOW + 1));
    assertField("rateLimitWindowMillis", SamplingConfig.builder().rateLimitWindowMillis(0));
    assertField("rateLimitGroups[g]", SamplingConfig.builder().rateLimitGroup("g", -3));
    assertField("rateLimitGroups", SamplingConfig.builder().rateLimitGroup("", 3));
    assertField("rateLimitGroups",
        SamplingConfig.builder().rateLimitGroupBy(GroupBy.NONE).rateLimitGroup("g", 3));
  }

  @Test
  void build_rejectsStarAnywhereButTheEndAndBlankForceKey() {
    assertField("disabledComponents", SamplingConfig.builder().addDisabledComponent("a*b"));
    assertField("disabledComponents", SamplingConfig.builder().addDisabledComponent("*a"));
    assertField("disabledComponents", SamplingConfig.builder().addDisabledComponent(""));
    assertField("forceBaggageKey", SamplingConfig.builder().forceBaggageKey(" "));
  }

  @Test
  void setters_rejectNullNamingTheParameter() {
    NullPointerException e = assertThrows(NullPointerException.class,
        () -> SamplingConfig.builder().forceBaggageKey(null));
    assertEquals("forceBaggageKey", e.getMessage());
    e = assertThrows(NullPointerException.class,
        () -> SamplingConfig.builder().rateLimitGroupBy(null));
    assertEquals("rateLimitGroupBy", e.getMessage());
  }

  @Test
  void starAloneSwitchesOffEveryComponent() {
    SamplingConfig c = SamplingConfig.builder().addDisabledComponent("*").build();
    assertTrue(c.componentDisabled("anything"));
    assertTrue(c.componentDisabled(""));
  }

  private static void assertField(String field, SamplingConfig.Builder builder) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertTrue(e.getMessage().startsWith(field + ":"), e.getMessage());
  }
}
