package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.shipper.JournalReplay;
import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cairn recover} in-process, from the replica of a journal a real shipper wrote. */
class RecoverCommandTest {
  static final int TRACES = 100;
  static final int SPANS_PER_TRACE = 4;

  @TempDir static Path shared;
  static Path replica;
  static long blocks;

  @TempDir Path tmp;

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = CairnCommand.commandLine(new PrintWriter(out), new PrintWriter(err)).execute(args);
    return new Run(status, out.toString(), err.toString());
  }

  @BeforeAll
  static void writeJournal() throws Exception {
    List<Object> records = new ArrayList<>();
    for (long t = 1; t <= TRACES; t++) {
      for (int i = SPANS_PER_TRACE - 1; i >= 0; i--) {
        records.add(SpanRecord.builder().traceId(7, t).spanId(t * 10 + i).parentSpanId(i == 0 ? 0 : t * 10)
            .service(i == 0 ? "web" : "db").name("op").startMicros(1_763_700_000_000_000L + t)
            .durationMicros(10).build());
      }
      records.add(new LogRecord(7, t, t * 10, 1_763_700_000_000_000L + t, "INFO", "app", "main", "m" + t, ""));
    }
    Path spans = Files.createDirectories(shared.resolve("spans"));
    blocks = TestFiles.write(shared.resolve("a.cairn"), records, 25).blockOffsets().size();
    Path config = shared.resolve("shipper.yaml");
    Files.writeString(config, """
        name: recover-test
        spans: spans/
        journal:
          primary: journal/primary
          replica: journal/replica
        auth:
          secret: "0123456789abcdef0123456789abcdef"
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 20
        """, UTF_8);
    replica = shared.resolve("journal/replica");
    try (Shipper shipper = Shipper.start(ShipperConfig.load(config, List.of(), Map.of(), Map.of()))) {
      Files.move(shared.resolve("a.cairn"), spans.resolve("a.cairn"));
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (lastSeq(replica) < blocks) {
        assertTrue(System.nanoTime() < deadline, "shipper did not journal the blocks");
        Thread.sleep(20);
      }
    }
  }

  private static long lastSeq(Path dir) {
    try (JournalReplay r = JournalReplay.open(dir)) {
      return r.lastSeq();
    } catch (IOException e) {
      return 0;
    }
  }

  @Test
  void recover_fillsTheStore_thenEverythingAlreadyPresent_journalUntouched() throws Exception {
    Map<String, String> before = snapshot(replica);
    Path store = tmp.resolve("store");
    int spans = TRACES * SPANS_PER_TRACE;
    Run r = run("recover", "--from", replica.toString(), "--store", store.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("recovered: blocks=" + blocks + " spans=" + spans + " logs=" + TRACES
        + " traces=" + TRACES + " corrupt=0 added=" + spans + " alreadyPresent=0 logsAdded=" + TRACES), r.out());
    assertTrue(r.err().contains("(100.0%)"), r.err());

    Run again = run("recover", "--from", replica.toString(), "--store", store.toString());
    assertEquals(0, again.status(), again.err());
    assertTrue(again.out().contains(" added=0 alreadyPresent=" + spans + " logsAdded=0"), again.out());
    assertEquals(before, snapshot(replica), "the journal is not modified");
  }

  @Test
  void aJournalThatCannotBeRead_exits1() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Run r = run("recover", "--from", empty.toString(), "--store", tmp.resolve("store").toString());
    assertEquals(1, r.status());
    assertTrue(r.err().contains("cannot read the journal"), r.err());
  }

  @Test
  void usageErrors_exit2() {
    assertEquals(2, run("recover").status());
    assertEquals(2, run("recover", "--from", tmp.resolve("nope").toString()).status());
    assertEquals(2, run("recover", "--from", replica.toString(), "--from-seq", "0").status());
  }

  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f)) {
          out.put(root.relativize(f).toString(), Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis()
              + " " + java.util.Arrays.hashCode(Files.readAllBytes(f)));
        }
      }
    }
    return out;
  }
}
