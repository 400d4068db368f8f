package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across kill -9: a child JVM runs the tailer's ingest loop ({@link TailerChild})
 * over span files this test keeps growing and rolling, and is killed with SIGKILL at random
 * moments, then restarted, several times. Finally one child catches up. The journal must then
 * hold every block written exactly once, in file order, byte for byte.
 */
class SpanFileTailerCrashIT {
  private static final int KILLS = 6;
  private static final int SIGKILL_EXIT = 128 + 9;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void killMinus9DuringIngest_repeatedly_journalHoldsEveryBlockExactlyOnce() throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    Path journalDir = tmp.resolve("journal");
    Path checkpoint = tmp.resolve("tailer.checkpoint");
    Random random = new Random(42);

    List<String> written = new CopyOnWriteArrayList<>();
    Map<UUID, Path> paths = new HashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = new Thread(() -> writeAndRoll(spans, written, paths, stop), "span-writer");
    writer.start();
    int kills = 0;
    try {
      for (int i = 0; i < KILLS; i++) {
        int run = i;
        Child child = start(spans, journalDir, checkpoint, run);
        try {
          child.awaitRecovered(30);
          Thread.sleep(200 + random.nextInt(1_000));
        } finally {
          child.process.destroyForcibly();
          assertTrue(child.process.waitFor(20, TimeUnit.SECONDS), "child did not die within 20 s");
        }
        assertEquals(SIGKILL_EXIT, child.process.exitValue(),
            () -> "child ended otherwise than by SIGKILL:\n" + stderr(run));
        kills++;
        Thread.sleep(random.nextInt(200)); // the files grow while no shipper runs
      }
    } finally {
      stop.set(true);
      writer.join(10_000);
    }
    assertEquals(KILLS, kills);

    Child last = start(spans, journalDir, checkpoint, KILLS);
    try {
      last.awaitRecovered(30);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (last.seq < written.size() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(300); // anything beyond the expected count would be a duplicate: give it time
    } finally {
      last.process.destroyForcibly();
      last.process.waitFor(20, TimeUnit.SECONDS);
    }
    List<TestJournal.Entry> entries = TestJournal.read(journalDir);

    List<String> origins = entries.stream().map(TestJournal.Entry::origin).toList();
    Set<String> unique = new HashSet<>(origins);
    assertEquals(origins.size(), unique.size(), "blocks journaled twice");
    assertEquals(new HashSet<>(written), unique, "journal differs from the blocks written");
    assertTrue(written.size() > 300, "too few blocks to mean anything: " + written.size());
    Map<UUID, Long> lastOffset = new HashMap<>();
    long seq = 0;
    for (TestJournal.Entry e : entries) {
      assertEquals(++seq, e.seq(), "sequence numbers are contiguous");
      Long before = lastOffset.put(e.fileId(), e.offset());
      assertTrue(before == null || before < e.offset(), "out of file order at " + e.origin());
      try (FileChannel ch = FileChannel.open(paths.get(e.fileId()), StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(e.block().length);
        ch.read(b, e.offset());
        assertTrue(java.util.Arrays.equals(b.array(), e.block()), "bytes differ at " + e.origin());
      }
    }
  }

  /** Appends a block every millisecond or so, rolling to a new file every 150 blocks. */
  private static void writeAndRoll(Path dir, List<String> written, Map<UUID, Path> paths,
      AtomicBoolean stop) {
    Random random = new Random(7);
    int seq = 0;
    try {
      while (!stop.get()) {
        Path p = dir.resolve(String.format("spans-20260101T000000Z-4242-%06d.cairn", seq++));
        try (SpanFileFixture f = SpanFileFixture.create(p)) {
          synchronized (paths) {
            paths.put(f.id, p);
          }
          for (int i = 0; i < 150 && !stop.get(); i++) {
            long at = f.append(1 + random.nextInt(20));
            written.add(f.id + "@" + at);
            if (i % 4 == 0) {
              Thread.sleep(1);
            }
          }
        }
      }
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private Child start(Path spans, Path journal, Path checkpoint, int run) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), TailerChild.class.getName(),
        spans.toString(), journal.toString(), checkpoint.toString()));
    Process p = new ProcessBuilder(command)
        .redirectError(tmp.resolve("child-" + run + ".err").toFile())
        .start();
    return new Child(p, tmp.resolve("child-" + run + ".err"));
  }

  /** A running {@link TailerChild} and what it last printed. */
  private static final class Child {
    final Process process;
    final Path stderr;
    volatile boolean recovered;
    volatile long seq;

    Child(Process process, Path stderr) {
      this.process = process;
      this.stderr = stderr;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
          for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("recovered ")) {
              recovered = true;
            } else if (line.startsWith("seq ")) {
              seq = Long.parseLong(line.substring(4));
            }
          }
        } catch (IOException e) {
          // the child is gone
        }
      }, "child-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    void awaitRecovered(int seconds) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (!recovered) {
        if (!process.isAlive()) {
          fail("child exited with " + process.exitValue() + ":\n" + Files.readString(stderr));
        }
        if (System.nanoTime() > deadline) {
          fail("child did not recover within " + seconds + " s:\n" + Files.readString(stderr));
        }
        Thread.sleep(10);
      }
    }
  }

  private String stderr(int run) {
    try {
      return Files.readString(tmp.resolve("child-" + run + ".err"));
    } catch (IOException e) {
      return "(no stderr: " + e + ")";
    }
  }

}
