package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import dev.cairn.core.wire.WireMessage.FetchResult;
import dev.cairn.core.wire.WireMessage.TraceId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole shipper killed with SIGKILL during ingest, again and again, while an application
 * keeps appending to span files and rolling them: journal, trace index, tailer, pull server and
 * retention as {@code cairn shipper} runs them ({@link ShipperChild}). Afterwards a puller gets
 * every block exactly once, in file order, byte for byte; FETCH finds blocks journaled before the
 * kills (the index was fed again from the journal); and the replica holds what the primary holds.
 */
class ShipperKillIT {
  private static final int KILLS = 5;
  private static final int SIGKILL_EXIT = 128 + 9;
  private static final String SECRET = "0123456789abcdef0123456789abcdef";

  @TempDir Path tmp;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void killMinus9DuringIngest_repeatedly_everyBlockPulledOnce_fetchable_replicaEqualsPrimary() throws Exception {
    Path spans = Files.createDirectories(tmp.resolve("spans"));
    Path config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        name: kill-it
        spans: spans/
        journal: {primary: journal/primary, replica: journal/replica}
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 20
        """.formatted(SECRET), UTF_8);
    Random random = new Random(42);
    List<String> written = new CopyOnWriteArrayList<>();
    Map<String, SpanRecord> firstSpan = new ConcurrentHashMap<>();
    Map<UUID, Path> paths = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread writer = new Thread(() -> writeAndRoll(spans, written, firstSpan, paths, stop), "span-writer");
    writer.start();
    try {
      for (int run = 0; run < KILLS; run++) {
        Child child = start(config, run);
        try {
          child.awaitStarted(60);
          Thread.sleep(100 + random.nextInt(1_000));
        } finally {
          child.process.destroyForcibly();
          assertTrue(child.process.waitFor(20, TimeUnit.SECONDS), "child did not die within 20 s");
        }
        int r = run;
        assertEquals(SIGKILL_EXIT, child.process.exitValue(), () -> "not ended by SIGKILL:\n" + stderr(r));
        Thread.sleep(random.nextInt(200)); // the files grow while no shipper runs
      }
    } finally {
      stop.set(true);
      writer.join(10_000);
    }

    Child last = start(config, KILLS);
    List<BlockEntry> pulled;
    try {
      last.awaitStarted(60);
      String base = "http://127.0.0.1:" + last.httpPort;
      awaitLastSeq(base, written.size());
      Thread.sleep(300); // a duplicate would show as a seq beyond the count: give it time
      assertEquals(written.size(), lastSeq(base), "blocks journaled in all");

      try (PullClient client = PullClient.connect(last.pullPort).login(SECRET.getBytes(UTF_8))) {
        pulled = pullAll(client);
        assertPulledOnceInOrder(pulled, written, paths);
        // Blocks journaled by runs that were killed are found by trace ID.
        List<String> sample = new ArrayList<>(written.subList(0, Math.min(written.size(), 200)));
        java.util.Collections.shuffle(sample, random);
        for (String origin : sample.subList(0, 20)) {
          SpanRecord s = firstSpan.get(origin);
          FetchResult f = client.fetch(1, 4 << 20, List.of(new TraceId(s.traceIdHigh(), s.traceIdLow())));
          assertTrue(f.entries().stream().anyMatch(e -> origin.equals(e.fileId() + "@" + e.offset())),
              "FETCH of a trace in " + origin + " misses its block");
        }
      }
    } finally {
      // SIGTERM: an orderly stop. Not Process.destroy(), which also closes the child's stdin and
      // so sets off its orphan guard.
      new ProcessBuilder("kill", "-TERM", Long.toString(last.process.pid())).start().waitFor(10, TimeUnit.SECONDS);
      if (!last.process.waitFor(30, TimeUnit.SECONDS)) {
        last.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        fail("the last shipper did not stop within 30 s of SIGTERM:\n" + stderr(KILLS));
      }
    }
    assertEquals(128 + 15, last.process.exitValue(), () -> "SIGTERM ends the shipper in order:\n" + stderr(KILLS));

    // The replica on its own: with the primary gone, the journal rebuilds it from the replica and
    // serves from the replica; what it serves is what the primary held.
    Path journal = tmp.resolve("journal");
    List<TestJournal.Entry> primary = TestJournal.read(journal);
    Files.move(journal.resolve("primary"), tmp.resolve("primary-was"));
    List<TestJournal.Entry> replica = TestJournal.read(journal);
    assertEquals(primary.size(), replica.size(), "replica entries");
    for (int i = 0; i < primary.size(); i++) {
      assertEquals(primary.get(i).seq(), replica.get(i).seq());
      assertEquals(primary.get(i).origin(), replica.get(i).origin());
      assertArrayEquals(primary.get(i).block(), replica.get(i).block(), "replica block " + primary.get(i).seq());
    }
    assertEquals(written.size(), primary.size());
  }

  private static void assertPulledOnceInOrder(List<BlockEntry> pulled, List<String> written, Map<UUID, Path> paths)
      throws IOException {
    assertTrue(written.size() > 300, "too few blocks to mean anything: " + written.size());
    List<String> origins = new ArrayList<>();
    Map<UUID, Long> lastOffset = new HashMap<>();
    long seq = 0;
    for (BlockEntry e : pulled) {
      String origin = e.fileId() + "@" + e.offset();
      origins.add(origin);
      assertEquals(++seq, e.seq(), "sequence numbers are contiguous");
      Long before = lastOffset.put(e.fileId(), e.offset());
      assertTrue(before == null || before < e.offset(), "out of file order at " + origin);
      try (FileChannel ch = FileChannel.open(paths.get(e.fileId()), StandardOpenOption.READ)) {
        ByteBuffer b = ByteBuffer.allocate(e.block().remaining());
        ch.read(b, e.offset());
        assertArrayEquals(b.array(), bytes(e.block()), "bytes differ at " + origin);
      }
    }
    Set<String> unique = new HashSet<>(origins);
    assertEquals(origins.size(), unique.size(), "blocks pulled twice");
    assertEquals(new HashSet<>(written), unique, "pulled blocks differ from the blocks written");
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static List<BlockEntry> pullAll(PullClient client) throws Exception {
    List<BlockEntry> out = new ArrayList<>();
    long cursor = 1;
    while (true) {
      Batch b = client.pull(cursor, 1 << 20, 0);
      if (b.entries().isEmpty()) {
        return out;
      }
      for (BlockEntry e : b.entries()) {
        out.add(new BlockEntry(e.seq(), e.fileId(), e.offset(), ByteBuffer.wrap(bytes(e.block()))));
      }
      cursor = b.nextCursor();
    }
  }

  /** Appends a block every millisecond or so, rolling to a new file every 150 blocks. */
  private static void writeAndRoll(Path dir, List<String> written, Map<String, SpanRecord> firstSpan,
      Map<UUID, Path> paths, AtomicBoolean stop) {
    Random random = new Random(7);
    int seq = 0;
    try {
      while (!stop.get()) {
        Path p = dir.resolve(String.format("spans-20260101T000000Z-4242-%06d.cairn", seq++));
        try (SpanFileFixture f = SpanFileFixture.create(p)) {
          paths.put(f.id, p);
          for (int i = 0; i < 150 && !stop.get(); i++) {
            long at = f.append(1 + random.nextInt(20));
            String origin = f.id + "@" + at;
            firstSpan.put(origin, f.lastSpans.get(0));
            written.add(origin);
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

  private void awaitLastSeq(String base, long seq) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long last = -1;
    while (System.nanoTime() < deadline) {
      last = lastSeq(base);
      if (last >= seq) {
        return;
      }
      Thread.sleep(50);
    }
    fail("the journal reached seq " + last + ", not " + seq + ", within 60 s");
  }

  private long lastSeq(String base) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return PrometheusParser.parse(r.body()).value("cairn_shipper_journal_last_seq").orElse(-1.0).longValue();
  }

  private Child start(Path config, int run) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), ShipperChild.class.getName(), config.toString()));
    Process p = new ProcessBuilder(command).redirectError(tmp.resolve("child-" + run + ".err").toFile()).start();
    return new Child(p, tmp.resolve("child-" + run + ".err"));
  }

  private String stderr(int run) {
    try {
      return Files.readString(tmp.resolve("child-" + run + ".err"));
    } catch (IOException e) {
      return "(no stderr: " + e + ")";
    }
  }

  /** A running {@link ShipperChild} and the ports it printed. */
  private static final class Child {
    final Process process;
    final Path stderr;
    volatile int pullPort;
    volatile int httpPort;

    Child(Process process, Path stderr) {
      this.process = process;
      this.stderr = stderr;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("started ")) {
              String[] parts = line.split(" ");
              httpPort = Integer.parseInt(parts[2]);
              pullPort = Integer.parseInt(parts[1]);
            }
          }
        } catch (IOException e) {
          // the child is gone
        }
      }, "child-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    void awaitStarted(int seconds) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (pullPort == 0) {
        if (!process.isAlive()) {
          fail("child exited with " + process.exitValue() + ":\n" + Files.readString(stderr));
        }
        if (System.nanoTime() > deadline) {
          fail("child did not start within " + seconds + " s:\n" + Files.readString(stderr));
        }
        Thread.sleep(10);
      }
    }
  }
}
