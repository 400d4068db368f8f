package dev.cairn.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.bench.app.AppThreadBenchmark;
import dev.cairn.bench.format.FormatBenchmark;
import dev.cairn.bench.shipper.ShipperBenchmark;
import dev.cairn.bench.store.EsProbe;
import dev.cairn.bench.store.EsStoreBenchmark;
import dev.cairn.bench.store.StoreBenchmark;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
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

  /**
   * Against the node given by {@code cairn.bench.esUrl}, or else a real one that
   * {@code jmh/es-node.sh} starts from the distribution the store-elasticsearch build unpacks (as
   * {@code jmh/bench.sh} does with {@code CAIRN_BENCH_ES=start}), stopped at the end.
   */
  @Test
  void esStoreBenchmark_runsEveryMethod() throws Exception {
    String given = System.getProperty("cairn.bench.esUrl", "");
    // under target/, not a JUnit temporary directory: the node's user (cairn-es) must reach it
    Path node = Path.of("target", "es-smoke-" + ProcessHandle.current().pid()).toAbsolutePath();
    String url = given.isEmpty() ? esNode("start", node) : given;
    try {
      Optional<String> unavailable = EsProbe.unavailable(url);
      assertTrue(unavailable.isEmpty(), () -> "no Elasticsearch for EsStoreBenchmark: " + unavailable.orElseThrow());
      run(EsStoreBenchmark.class, o -> o.param("esUrl", url).param("spans", "2000"));
    } finally {
      if (given.isEmpty()) {
        esNode("stop", node);
      }
    }
  }

  /** Runs {@code jmh/es-node.sh}; returns its last line of output (the URL, for start). */
  private static String esNode(String command, Path dir) throws Exception {
    Process p = new ProcessBuilder("bash", Path.of("es-node.sh").toAbsolutePath().toString(), command,
        dir.toString()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(p.waitFor(240, TimeUnit.SECONDS), "es-node.sh " + command + " did not end");
    assertEquals(0, p.exitValue(), () -> "es-node.sh " + command + " failed:\n" + out);
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1].strip();
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
