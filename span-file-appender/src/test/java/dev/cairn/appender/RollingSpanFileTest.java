package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RollingSpanFileTest {
  private static final long MAX_FILE = 16 * 1024;
  private static final long MAX_TOTAL = 48 * 1024;
  @TempDir Path tmp;

  @Test
  void rollsBySize_deletesOldestPastTotal_remainingFilesReadCleanly() throws Exception {
    Path dir = tmp.resolve("spans");
    Files.createDirectories(dir);
    // Not ours: another prefix, and a name that only starts like ours.
    Path other = Files.writeString(dir.resolve("audit-20200101T000000Z-1-000000.cairn"), "x".repeat(100_000));
    Path lookalike = Files.writeString(dir.resolve("spans-old.cairn"), "x".repeat(100_000));
    Random r = new Random(11);
    List<SpanRecord> input = new ArrayList<>();
    for (int i = 0; i < 1500; i++) {
      input.add(TestSpans.incompressible(r, i, 200));
    }
    SpanFileAppender appender;
    try (TestLog4j log4j = TestLog4j.withSpanFile(tmp, dir,
        "maxFileSize=\"16KB\" maxTotalSize=\"48 KiB\" blockSize=\"4KB\" ringSize=\"4096\"")) {
      appender = log4j.appender("spans");
      for (SpanRecord s : input) {
        while (!appender.manager().offerSpan(s)) {
          Thread.sleep(1); // keep the test's input whole; ring-full drops are tested elsewhere
        }
      }
    }
    SpanFileStats stats = appender.stats();
    assertEquals(1500, stats.spansWritten());
    assertTrue(stats.filesCreated() > 10, "rolled: " + stats);
    assertTrue(Files.exists(other) && Files.exists(lookalike), "other files untouched");
    Files.delete(other);
    Files.delete(lookalike);

    SpanFilesOnDisk disk = SpanFilesOnDisk.read(dir).assertClean();
    assertEquals(stats.filesCreated() - stats.filesDeleted(), disk.files.size());
    for (Path f : disk.files) {
      assertTrue(Files.size(f) <= MAX_FILE, f + " is " + Files.size(f) + " bytes");
    }
    // Enforced at each roll, so the newest file may add up to one file's worth after the last.
    assertTrue(disk.totalBytes() <= MAX_TOTAL + MAX_FILE, "total " + disk.totalBytes());
    assertTrue(disk.files.size() >= 3, "kept about maxTotal/maxFile files: " + disk.files);
    // What is left is the newest spans, in order, with nothing missing at the end.
    List<SpanRecord> tail = input.subList(input.size() - disk.spans.size(), input.size());
    assertEquals(tail, disk.spans);
  }
}
