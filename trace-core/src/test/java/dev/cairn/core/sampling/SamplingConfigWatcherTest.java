package dev.cairn.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.core.model.SpanKind;
import io.opentelemetry.context.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplingConfigWatcherTest {

  private static final long INTERVAL_MILLIS = 20;
  private static final long WAIT_MILLIS = 5_000;

  @TempDir Path dir;

  private final RecordingLogger log = new RecordingLogger();
  private final CairnSampler sampler = CairnSampler.create(SamplingConfig.defaults());
  private SamplingConfigWatcher watcher;
  private long fileTimeMillis = 1_600_000_000_000L;

  @AfterEach
  void closeWatcher() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private Path file() {
    return dir.resolve("sampling.properties");
  }

  private SamplingConfigWatcher start() {
    watcher = SamplingConfigWatcher.start(file(), sampler, INTERVAL_MILLIS, log);
    return watcher;
  }

  /**
   * Replaces the file as operators are told to (write aside, then rename), with a modified time
   * distinct from every earlier version so the change is seen whatever the file system's clock
   * granularity.
   */
  private void write(String content) throws IOException {
    Path tmp = dir.resolve("sampling.properties.tmp");
    Files.writeString(tmp, content);
    fileTimeMillis += 10_000;
    Files.setLastModifiedTime(tmp, FileTime.fromMillis(fileTimeMillis));
    Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private SamplingDecision rootDecision() {
    return sampler.decide(Context.root(), false, false, 1L, 1L, "scope", "span", SpanKind.SERVER);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_MILLIS * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out after " + WAIT_MILLIS + " ms waiting for " + what);
      }
      Thread.sleep(5);
    }
  }

  /** Lets the reload thread poll several times, to show something did not happen. */
  private static void severalPolls() throws InterruptedException {
    Thread.sleep(INTERVAL_MILLIS * 10);
  }

  @Test
  void start_appliesTheFileBeforeReturning() throws IOException {
    write("enabled=false\n");
    start();
    assertEquals(SamplingDecision.OFF, rootDecision());
  }

  @Test
  void changedFile_isAppliedWithoutRestart() throws Exception {
    write("ratio=1.0\n");
    start();
    assertEquals(SamplingDecision.SAMPLE, rootDecision());

    write("ratio=0\n");
    await("ratio=0 to apply", () -> rootDecision() == SamplingDecision.DROP);

    write("enabled=false\n");
    await("enabled=false to apply", () -> rootDecision() == SamplingDecision.OFF);
    await("both changes to be logged", () -> log.count("applied") == 2);
  }

  @Test
  void badFile_keepsPreviousConfigAndIsLoggedOncePerVersion() throws Exception {
    write("ratio=0\n");
    start();
    SamplingConfig good = sampler.config();

    write("ratio=2\n");
    await("the bad file to be rejected", () -> log.count("rejected") == 1);
    severalPolls();
    assertEquals(1, log.count("rejected"), "one log line for one bad version");
    assertTrue(log.last().contains("'ratio'") && log.last().contains("'2'"), log.last());
    assertEquals(good, sampler.config());
    assertEquals(SamplingDecision.DROP, rootDecision());

    write("ratio=0.5\nbogus=1\n");
    await("the second bad version to be rejected", () -> log.count("rejected") == 2);
    assertEquals(good, sampler.config());

    write("enabled=false\n");
    await("the fixed file to apply", () -> rootDecision() == SamplingDecision.OFF);
  }

  @Test
  void missingFile_keepsCurrentConfigLogsOnceAndAppliesTheFileWhenItAppears() throws Exception {
    sampler.update(SamplingConfig.builder().ratio(0).build());
    start();
    severalPolls();
    assertEquals(1, log.count("missing"), log.messages().toString());
    assertEquals(SamplingDecision.DROP, rootDecision());

    write("ratio=1\n");
    await("the new file to apply", () -> rootDecision() == SamplingDecision.SAMPLE);

    Files.delete(file());
    await("the deletion to be noticed", () -> log.count("missing") == 2);
    severalPolls();
    assertEquals(2, log.count("missing"), "logged once per disappearance");
    assertEquals(SamplingDecision.SAMPLE, rootDecision(), "a missing file keeps the config");
  }

  @Test
  void reloadThread_isOneNamedDaemonThatCloseStops() throws Exception {
    write("ratio=1\n");
    start();
    List<Thread> reloaders = reloadThreads();
    assertEquals(1, reloaders.size());
    assertTrue(reloaders.get(0).isDaemon());

    watcher.close();
    await("the reload thread to end", () -> !reloaders.get(0).isAlive());
    write("enabled=false\n");
    severalPolls();
    assertEquals(SamplingDecision.SAMPLE, rootDecision(), "no reload after close");
  }

  private static List<Thread> reloadThreads() {
    List<Thread> found = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals(SamplingConfigWatcher.THREAD_NAME) && t.isAlive()) {
        found.add(t);
      }
    }
    return found;
  }

  /** Keeps what the watcher logs, so tests can count it. */
  private static final class RecordingLogger implements System.Logger {
    private final List<String> messages = new ArrayList<>();

    synchronized List<String> messages() {
      return new ArrayList<>(messages);
    }

    synchronized int count(String fragment) {
      int n = 0;
      for (String m : messages) {
        n += m.contains(fragment) ? 1 : 0;
      }
      return n;
    }

    synchronized String last() {
      return messages.isEmpty() ? "" : messages.get(messages.size() - 1);
    }

    @Override
    public String getName() {
      return "test";
    }

    @Override
    public boolean isLoggable(Level level) {
      return true;
    }

    @Override
    public synchronized void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
      messages.add(msg);
    }

    @Override
    public synchronized void log(Level level, ResourceBundle bundle, String format,
        Object... params) {
      messages.add(params == null || params.length == 0 ? format : MessageFormat.format(format, params));
    }
  }
}
