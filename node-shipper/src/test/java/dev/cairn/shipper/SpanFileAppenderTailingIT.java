package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockReader;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.SpanFileReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tailer behind a real application: {@link TracingApp} writes through a {@code <SpanFile>}
 * appender that rolls its 24 KB files many times a second and deletes the oldest beyond 192 KB,
 * while this JVM runs the ingest loop; then the application is killed with SIGKILL and the
 * tailer must notice (real process check) and finish every file. Afterwards every block of every
 * file still on disk is in the journal exactly once, in order; every file the application made is
 * either discovered or counted lost; nothing is left open.
 */
class SpanFileAppenderTailingIT {
  private static final long RUN_MILLIS = 4_000;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void fastRollingAppenderWithRetention_thenKilled_everyBlockOnDiskJournaledOnceAndFilesFinished()
      throws Exception {
    run(20);
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void scanSlowerThanRetention_filesDeletedUnseenAreCountedLost() throws Exception {
    // Files live about a second before retention deletes them; scans 2.5 s apart miss many.
    long[] lostAndMade = run(2_500);
    assertTrue(lostAndMade[0] > 0, "no file was lost: " + lostAndMade[0] + " of " + lostAndMade[1]);
  }

  /** Runs the application and the tailer; returns {files lost, files made}. */
  private long[] run(long scanIntervalMillis) throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    ShipperMetrics metrics = new ShipperMetrics();
    TestJournal journal = TestJournal.open(tmp.resolve("journal"), metrics);
    SpanFileTailer tailer = new SpanFileTailer(List.of(spans + "/"), journal, new RecordingIndex(),
        new CheckpointStore(tmp.resolve("tailer.checkpoint")), metrics,
        TailerOptions.builder().scanIntervalMillis(scanIntervalMillis).finishGraceMillis(500).build());
    AtomicReference<String> lastReport = new AtomicReference<>("");
    try {
      tailer.recover();
      Process app = start(spans);
      try {
        awaitStarted(app, lastReport);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
        while (System.nanoTime() < end) {
          if (tailer.pollOnce() == 0) {
            Thread.sleep(1);
          }
          tailer.checkpointIfDue();
        }
      } finally {
        app.destroyForcibly();
        assertTrue(app.waitFor(20, TimeUnit.SECONDS), "application did not die");
      }
      // At least one more scan finds the files made since the last one; then all must finish.
      long rescanned = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(scanIntervalMillis + 100);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      do {
        tailer.pollOnce();
        Thread.sleep(5);
      } while ((tailer.filesTracked() > 0 || System.nanoTime() < rescanned)
          && System.nanoTime() < deadline);

      assertEquals(0, tailer.filesTracked(), "every file finished once its writer died");
      assertEquals(0, tailer.openFiles());

      List<String> origins = journal.origins();
      assertEquals(origins.size(), new HashSet<>(origins).size(), "a block journaled twice");
      for (TestJournal.Entry e : journal.entries()) {
        Block.wrap(e.offset(), e.block()); // throws unless a whole, valid block
      }
      long maxSeq = -1;
      int onDisk = 0;
      List<Path> files;
      try (Stream<Path> s = Files.list(spans)) {
        files = s.filter(p -> p.toString().endsWith(".cairn")).sorted().toList();
      }
      Set<String> journaled = new HashSet<>(origins);
      for (Path p : files) {
        onDisk++;
        SpanFileName name = SpanFileName.parse(p.getFileName().toString()).orElseThrow();
        maxSeq = Math.max(maxSeq, name.seq());
        List<String> blocks = blocksOf(p);
        UUID id = blocks.isEmpty() ? null : UUID.fromString(blocks.get(0).split("@")[0]);
        assertTrue(journaled.containsAll(blocks), "blocks of " + p + " missing from the journal");
        if (id != null) {
          List<String> ofFile = origins.stream().filter(o -> o.startsWith(id + "@")).toList();
          assertEquals(blocks, ofFile, "journal order of " + p);
        }
      }
      long created = maxSeq + 1;
      System.out.printf("files made %d, on disk %d, discovered %d, lost %d; blocks journaled %d;"
          + " torn %d; application: %s%n", created, onDisk, metrics.filesDiscovered.sum(),
          metrics.filesLost.sum(), origins.size(), metrics.tornTails.sum(), lastReport.get());
      assertTrue(created >= 20, "the application should have rolled many files: " + created);
      assertTrue(onDisk < created, "retention should have deleted files: " + onDisk + " of " + created);
      assertEquals(created, metrics.filesDiscovered.sum() + metrics.filesLost.sum(),
          "every file made is either tailed or counted lost; " + lastReport.get());
      assertEquals(metrics.filesDiscovered.sum(), metrics.filesFinished.sum());
      assertEquals(0, metrics.corruptRegions.sum() + metrics.truncations.sum()
          + metrics.ingestErrors.sum());
      assertTrue(metrics.tornTails.sum() <= 1, "only the file being written at the kill may be torn");
      assertTrue(origins.size() > onDisk, "blocks journaled: " + origins.size());
      return new long[] {metrics.filesLost.sum(), created};
    } finally {
      tailer.close();
      journal.close();
    }
  }

  /** "fileId@offset" of every valid block in a span file, in order. */
  private static List<String> blocksOf(Path p) throws IOException {
    List<String> out = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      if (ch.size() == 0) {
        return out;
      }
      FileHeader h;
      try {
        h = SpanFileReader.readHeader(ch);
      } catch (dev.cairn.core.format.FormatException e) {
        return out;
      }
      BlockReader r = new BlockReader(ch, h.encode().length, problem -> {});
      for (Block b; (b = r.next()) != null; ) {
        out.add(h.fileId() + "@" + b.offset());
      }
    }
    return out;
  }

  private Process start(Path spans) throws Exception {
    Path config = Path.of(getClass().getResource("/tailing-app-log4j2.xml").toURI());
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-cp",
        System.getProperty("java.class.path"), "-Dlog4j2.configurationFile=" + config,
        "-Dspans.dir=" + spans, TracingApp.class.getName()));
    return new ProcessBuilder(command).redirectError(tmp.resolve("app.err").toFile()).start();
  }

  /** Waits for STARTED, then keeps draining the application's reports on a daemon thread. */
  private void awaitStarted(Process app, AtomicReference<String> last) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(app.getInputStream()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      if (System.nanoTime() > deadline) {
        fail("application did not start within 30 s: " + Files.readString(tmp.resolve("app.err")));
      }
      if (in.ready()) {
        if ("STARTED".equals(in.readLine())) {
          break;
        }
      } else if (!app.isAlive()) {
        fail("application exited: " + Files.readString(tmp.resolve("app.err")));
      } else {
        Thread.sleep(10);
      }
    }
    Thread drain = new Thread(() -> {
      try {
        for (String line; (line = in.readLine()) != null; ) {
          last.set(line);
        }
      } catch (IOException e) {
        // the application is gone
      }
    }, "app-stdout");
    drain.setDaemon(true);
    drain.start();
  }
}
