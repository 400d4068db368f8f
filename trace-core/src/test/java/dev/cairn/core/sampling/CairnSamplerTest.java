package dev.cairn.core.sampling;

import static dev.cairn.core.sampling.SamplingDecision.DROP;
import static dev.cairn.core.sampling.SamplingDecision.OFF;
import static dev.cairn.core.sampling.SamplingDecision.SAMPLE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import io.opentelemetry.api.baggage.Baggage;
import io.opentelemetry.context.Context;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CairnSamplerTest {

  private static final String HTTP = "io.opentelemetry.netty-4.1";
  private static final String JDBC = "io.opentelemetry.jdbc";

  private static final Context NO_BAGGAGE = Context.root();
  private static final Context FORCED = forceContext("cairn.force", "1");

  // A trace ID low half every ratio > 0 admits, and one only ratio 1.0 admits.
  private static final long ALWAYS_IN = 0L;
  private static final long ALWAYS_OUT = Long.MAX_VALUE;

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

  private static Context forceContext(String key, String value) {
    return Baggage.builder().put(key, value).build().storeInContext(Context.root());
  }

  private CairnSampler sampler(SamplingConfig.Builder config) {
    return CairnSampler.create(config.build(), nanos::get);
  }

  private static SamplingDecision root(Sampler s, Context ctx, long traceIdLow, String scope) {
    return s.decide(ctx, false, false, 42L, traceIdLow, scope, "GET /", SpanKind.SERVER);
  }

  private static SamplingDecision child(Sampler s, Context ctx, boolean parentSampled, String scope) {
    return s.decide(ctx, true, parentSampled, 42L, ALWAYS_IN, scope, "SELECT", SpanKind.CLIENT);
  }

  @Test
  void defaults_sampleEveryRootAndFollowParents() {
    CairnSampler s = sampler(SamplingConfig.builder());
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_OUT, HTTP));
    assertEquals(SAMPLE, child(s, NO_BAGGAGE, true, JDBC));
    assertEquals(DROP, child(s, NO_BAGGAGE, false, JDBC));
  }

  @Test
  void globalSwitchOff_decidesOffForEverySpanEvenForced() {
    CairnSampler s = sampler(SamplingConfig.builder().enabled(false));
    assertEquals(OFF, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(OFF, root(s, FORCED, ALWAYS_IN, HTTP));
    assertEquals(OFF, child(s, NO_BAGGAGE, true, JDBC));
    assertEquals(OFF, child(s, FORCED, true, JDBC));
  }

  @Test
  void componentSwitch_exactNameIsOffOthersUnaffected() {
    CairnSampler s = sampler(SamplingConfig.builder().addDisabledComponent(JDBC));
    assertEquals(OFF, child(s, NO_BAGGAGE, true, JDBC));
    assertEquals(OFF, root(s, NO_BAGGAGE, ALWAYS_IN, JDBC));
    assertEquals(SAMPLE, child(s, NO_BAGGAGE, true, JDBC + "-pool"));
    assertEquals(SAMPLE, child(s, NO_BAGGAGE, true, HTTP));
  }

  @Test
  void componentSwitch_trailingStarMatchesPrefix() {
    CairnSampler s = sampler(SamplingConfig.builder().addDisabledComponent("io.opentelemetry.jdbc*"));
    assertEquals(OFF, child(s, NO_BAGGAGE, true, "io.opentelemetry.jdbc"));
    assertEquals(OFF, child(s, NO_BAGGAGE, true, "io.opentelemetry.jdbc-pool"));
    assertEquals(SAMPLE, child(s, NO_BAGGAGE, true, "io.opentelemetry.jd"));
    assertEquals(SAMPLE, child(s, NO_BAGGAGE, true, HTTP));
  }

  @Test
  void componentSwitch_beatsForce() {
    CairnSampler s = sampler(SamplingConfig.builder().addDisabledComponent(JDBC));
    assertEquals(OFF, child(s, FORCED, true, JDBC));
    assertEquals(OFF, root(s, FORCED, ALWAYS_IN, JDBC));
  }

  @Test
  void force_viaBaggage_samplesRootThatRatioAndRateLimitWouldDrop() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.0).rateLimitPerWindow(1));
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    for (int i = 0; i < 10; i++) {
      assertEquals(SAMPLE, root(s, FORCED, ALWAYS_OUT, HTTP));
    }
  }

  @Test
  void force_beatsUnsampledParent() {
    CairnSampler s = sampler(SamplingConfig.builder());
    assertEquals(SAMPLE, child(s, FORCED, false, HTTP));
  }

  @Test
  void force_acceptsOneOrTrueInAnyCaseOnly() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.0));
    for (String yes : List.of("1", "true", "TRUE", "True")) {
      assertEquals(SAMPLE, root(s, forceContext("cairn.force", yes), ALWAYS_IN, HTTP), yes);
    }
    for (String no : List.of("0", "false", "yes", "2", "")) {
      assertEquals(DROP, root(s, forceContext("cairn.force", no), ALWAYS_IN, HTTP), no);
    }
    assertEquals(DROP, root(s, forceContext("other.key", "1"), ALWAYS_IN, HTTP));
  }

  @Test
  void force_usesConfiguredKey() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.0).forceBaggageKey("debug"));
    assertEquals(SAMPLE, root(s, forceContext("debug", "true"), ALWAYS_IN, HTTP));
    assertEquals(DROP, root(s, FORCED, ALWAYS_IN, HTTP));
  }

  @Test
  void force_disabled_ignoresBaggage() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.0).forceEnabled(false));
    assertEquals(DROP, root(s, FORCED, ALWAYS_IN, HTTP));
    assertEquals(DROP, child(s, FORCED, false, HTTP));
  }

  @Test
  void force_doesNotConsumeRateLimit() {
    CairnSampler s = sampler(SamplingConfig.builder().rateLimitPerWindow(1));
    for (int i = 0; i < 5; i++) {
      root(s, FORCED, ALWAYS_IN, HTTP);
    }
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void parentBased_followsParentRegardlessOfRatioAndRateLimit() {
    CairnSampler none = sampler(SamplingConfig.builder().ratio(0.0));
    assertEquals(SAMPLE, child(none, NO_BAGGAGE, true, JDBC));
    CairnSampler all = sampler(SamplingConfig.builder().ratio(1.0));
    assertEquals(DROP, child(all, NO_BAGGAGE, false, JDBC));

    CairnSampler limited = sampler(SamplingConfig.builder().rateLimitPerWindow(1));
    assertEquals(SAMPLE, root(limited, NO_BAGGAGE, ALWAYS_IN, JDBC));
    for (int i = 0; i < 5; i++) {
      assertEquals(SAMPLE, child(limited, NO_BAGGAGE, true, JDBC), "children spend no budget");
    }
    assertEquals(DROP, root(limited, NO_BAGGAGE, ALWAYS_IN, JDBC));
  }

  @Test
  void ratio_comparesLowHalfMagnitudeAgainstOpenTelemetryBound() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.5));
    long bound = (long) (0.5 * Long.MAX_VALUE);
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, bound - 1, HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, bound, HTTP));
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, -(bound - 1), HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, -bound, HTTP));
  }

  @Test
  void ratio_zeroDropsEveryRootAndOneSamplesEveryRoot() {
    CairnSampler none = sampler(SamplingConfig.builder().ratio(0.0));
    CairnSampler all = sampler(SamplingConfig.builder().ratio(1.0));
    for (long low : new long[] {0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertEquals(DROP, root(none, NO_BAGGAGE, low, HTTP), Long.toString(low));
      assertEquals(SAMPLE, root(all, NO_BAGGAGE, low, HTTP), Long.toString(low));
    }
  }

  @Test
  void ratio_isDeterministicPerTraceIdAcrossSamplersAndIgnoresHighHalf() {
    SamplingConfig config = SamplingConfig.builder().ratio(0.3).build();
    CairnSampler a = CairnSampler.create(config);
    CairnSampler b = CairnSampler.create(config);
    SplittableRandom random = new SplittableRandom(7);
    int sampled = 0;
    for (int i = 0; i < 10_000; i++) {
      long low = random.nextLong();
      SamplingDecision first = a.decide(NO_BAGGAGE, false, false, 1L, low, HTTP, "x", SpanKind.SERVER);
      assertEquals(first, b.decide(NO_BAGGAGE, false, false, 99L, low, JDBC, "y", SpanKind.CLIENT));
      assertEquals(first, a.decide(NO_BAGGAGE, false, false, 1L, low, HTTP, "x", SpanKind.SERVER));
      sampled += first == SAMPLE ? 1 : 0;
    }
    assertTrue(sampled > 0 && sampled < 10_000, "both outcomes occur: " + sampled);
  }

  @Test
  void ratio_keepsRoughlyTheConfiguredFractionOfRandomIds() {
    for (double ratio : new double[] {0.01, 0.25, 0.5, 0.9}) {
      CairnSampler s = sampler(SamplingConfig.builder().ratio(ratio));
      SplittableRandom random = new SplittableRandom(11);
      int n = 200_000;
      int sampled = 0;
      for (int i = 0; i < n; i++) {
        sampled += root(s, NO_BAGGAGE, random.nextLong(), HTTP) == SAMPLE ? 1 : 0;
      }
      // The binomial standard deviation is at most 0.0012 here; 0.006 is five of them.
      assertEquals(ratio, sampled / (double) n, 0.006, "ratio " + ratio);
    }
  }

  @Test
  void rateLimit_appliesOnlyToRootsTheRatioKept() {
    CairnSampler s = sampler(SamplingConfig.builder().ratio(0.5).rateLimitPerWindow(2));
    for (int i = 0; i < 10; i++) {
      assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_OUT, HTTP));
    }
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void rateLimit_groupsRootsByScopeAndResetsEachWindow() {
    CairnSampler s = sampler(SamplingConfig.builder().rateLimitPerWindow(1).rateLimitWindowMillis(3000));
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, JDBC));
    nanos.addAndGet(3_000_000_000L);
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void update_appliesNewConfigToNextDecision() {
    CairnSampler s = sampler(SamplingConfig.builder());
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    s.update(SamplingConfig.builder().enabled(false).build());
    assertEquals(OFF, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(false, s.config().enabled());
    s.update(SamplingConfig.builder().ratio(0.0).build());
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void update_keepsRateLimitCountsWhenWindowAndGroupingUnchanged() {
    CairnSampler s = sampler(SamplingConfig.builder().rateLimitPerWindow(2));
    root(s, NO_BAGGAGE, ALWAYS_IN, HTTP);
    root(s, NO_BAGGAGE, ALWAYS_IN, HTTP);
    s.update(SamplingConfig.builder().rateLimitPerWindow(2).ratio(0.9).build());
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP), "a reload grants no fresh budget");
    s.update(SamplingConfig.builder().rateLimitPerWindow(3).build());
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP), "a raised limit applies at once");
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void update_startsFreshCountsWhenWindowLengthChanges() {
    CairnSampler s = sampler(SamplingConfig.builder().rateLimitPerWindow(1));
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    s.update(SamplingConfig.builder().rateLimitPerWindow(1).rateLimitWindowMillis(1000).build());
    assertEquals(SAMPLE, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
    assertEquals(DROP, root(s, NO_BAGGAGE, ALWAYS_IN, HTTP));
  }

  @Test
  void decide_nullInputsNeverThrow() {
    CairnSampler s = sampler(SamplingConfig.builder()
        .addDisabledComponent("x*").rateLimitPerWindow(5).rateLimitGroupBy(SamplingConfig.GroupBy.SPAN));
    assertEquals(SAMPLE, s.decide(null, false, false, 0L, 0L, null, null, null));
    assertEquals(DROP, s.decide(null, true, false, 0L, 0L, null, null, null));
    assertEquals(0, s.failures());
  }

  @Test
  void decide_allocatesNothingOnTheSteadyPath() {
    CairnSampler s = sampler(SamplingConfig.builder()
        .addDisabledComponent("io.opentelemetry.jdbc*")
        .addDisabledComponent("com.example.noisy")
        .ratio(0.5)
        .rateLimitPerWindow(SamplingConfig.MAX_PER_WINDOW));
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    int sink = 0;
    for (int i = 0; i < 200_000; i++) { // warm up: create the group, let the JIT compile
      sink += decideMix(s, i);
    }
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < 1_000_000; i++) {
      sink += decideMix(s, i);
      if ((i & 0xFFFF) == 0) {
        nanos.addAndGet(3_000_000_000L); // cross windows too
      }
    }
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    // One allocation per call would be at least 16 MB; allow for the measuring itself.
    assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes over 1M decisions");
    assertTrue(sink > 0);
  }

  private static int decideMix(CairnSampler s, int i) {
    switch (i & 3) {
      case 0:
        return root(s, NO_BAGGAGE, i, HTTP).ordinal();
      case 1:
        return child(s, FORCED, false, HTTP).ordinal();
      case 2:
        return child(s, NO_BAGGAGE, true, "io.opentelemetry.jdbc-pool").ordinal();
      default:
        return root(s, NO_BAGGAGE, -i * 0x9E3779B97F4A7C15L, "com.example.http").ordinal();
    }
  }
}
