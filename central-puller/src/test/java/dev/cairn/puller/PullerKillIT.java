package dev.cairn.puller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import dev.cairn.shipper.Shipper;
import dev.cairn.store.TraceSummary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the puller loses nothing: a puller in a child JVM is killed several times while it
 * pulls from two shippers and new span files keep arriving; a last puller then finishes, and
 * every span is in the store exactly once, every trace complete.
 */
class PullerKillIT extends PullerFixture {
  @Test
  void killMinus9_severalTimes_losesNothingAndDuplicatesNothing() throws Exception {
    Shipper a = shipper("A", 0);
    Shipper b = shipper("B", 0);
    Path yaml = pullerYaml(List.of("A@127.0.0.1:" + a.pullAddress().getPort(), "B@127.0.0.1:" + b.pullAddress().getPort()));
    List<TraceId> ids = new ArrayList<>(writeTraces(1_500));
    Random random = new Random(7);
    Path log = tmp.resolve("child.log");
    CursorStore cursorFile = new CursorStore(tmp.resolve("central/state"));
    for (int kill = 0; kill < 4; kill++) {
      var before = cursorFile.load();
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp", System.getProperty("java.class.path"), PullerChild.class.getName(), yaml.toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      // Each puller gets somewhere before it dies (a loaded machine may take seconds to start a
      // JVM): it saves a cursor, then works on for a random moment while new files arrive.
      await("the puller child saved a cursor", 60_000, () -> !loadQuietly(cursorFile).equals(before) || !child.isAlive());
      assertTrue(child.isAlive(), "the puller child died on its own; see " + log);
      Thread.sleep(random.nextInt(1_500));
      ids.addAll(writeTraces(300));
      Thread.sleep(random.nextInt(500));
      child.destroyForcibly(); // SIGKILL
      assertTrue(child.waitFor(10, TimeUnit.SECONDS));
    }
    // The killed pullers got somewhere: cursors were saved past the start for both hosts.
    var cursors = cursorFile.load();
    System.out.println("PullerKillIT: cursors after 4 kills: " + cursors);
    assertTrue(cursors.getOrDefault("A", 0L) > 1 && cursors.getOrDefault("B", 0L) > 1, cursors.toString());
    Puller last = puller(yaml);
    await("every trace complete after the kills", 90_000, () -> allComplete(last.store().reader(), ids));
    List<TraceSummary> stored = all(last.store().reader());
    assertEquals(ids.size(), stored.size());
    assertEquals(ids.size() * 3, stored.stream().mapToInt(TraceSummary::spanCount).sum());
  }

  private static Map<String, Long> loadQuietly(CursorStore cursors) {
    try {
      return cursors.load();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
