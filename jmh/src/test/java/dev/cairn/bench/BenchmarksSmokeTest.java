package dev.cairn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cairn.bench.app.AppThreadBenchmark;
import dev.cairn.bench.format.FormatBenchmark;
import dev.cairn.bench.shipper.ShipperBenchmark;
import dev.cairn.bench.store.EsProbe;
import dev.cairn.bench.store.EsStoreBenchmark;
import dev.cairn.bench.store.StoreBenchmark;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Proves that every benchmark method of every benchmark class still runs to a result: one fork,
 * one short iteration each, the smallest parameters. Not a measurement (docs/performance.md and
 * jmh/bench.sh are); the forks inherit this JVM's flags (the build's cairn.jvm.flags).
 */
class BenchmarksSmokeTest {

  @Test
  void appThreadBenchmark_runsEveryMethod() throws Exception {
    run(AppThreadBenchmark.class, o -> o.param("shape", "4attrs"));
  }

  @Test
  void formatBenchmark_runsEveryMethod() throws Exception {
    run(FormatBenchmark.class, o -> o);
  }

  @Test
  void shipperBenchmark_runsEveryMethod() throws Exception {
    run(ShipperBenchmark.class, o -> o);
  }

  @Test
  void storeBenchmark_runsEveryMethod() throws Exception {
    run(StoreBenchmark.class, o -> o.param("spans", "2000"));
  }

  @Test
  void esStoreBenchmark_runsEveryMethod_whenElasticsearchAnswers() throws Exception {
    String url = System.getProperty("cairn.bench.esUrl", "");
    Optional<String> skipped = EsProbe.unavailable(url);
    assumeTrue(skipped.isEmpty(), () -> "EsStoreBenchmark skipped: " + skipped.orElseThrow());
    run(EsStoreBenchmark.class, o -> o.param("esUrl", url).param("spans", "2000"));
  }

  private static void run(Class<?> type, java.util.function.UnaryOperator<ChainedOptionsBuilder> params)
      throws Exception {
    ChainedOptionsBuilder options = new OptionsBuilder()
        .include("^" + type.getName().replace(".", "\\.") + "\\.")
        .forks(1)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(300))
        .timeout(TimeValue.seconds(120))
        .shouldFailOnError(true)
        .verbosity(VerboseMode.SILENT);
    Collection<RunResult> results = new Runner(params.apply(options).build()).run();
    Set<String> expected = Arrays.stream(type.getMethods())
        .filter(m -> m.isAnnotationPresent(Benchmark.class))
        .map(Method::getName)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> ran = results.stream()
        .map(r -> r.getParams().getBenchmark().substring(type.getName().length() + 1))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(expected, ran, "benchmark methods that produced a result");
    for (RunResult r : results) {
      double score = r.getPrimaryResult().getScore();
      assertTrue(Double.isFinite(score) && score > 0,
          r.getParams().getBenchmark() + " scored " + score);
    }
  }
}
