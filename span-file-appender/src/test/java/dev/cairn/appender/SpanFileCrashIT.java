package dev.cairn.appender;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.BlockReader;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application side's crash guarantee, end to end: a real application JVM ({@link CrashingApp})
 * writes spans and captured business logs through a {@code <SpanFile>} appender configured from
 * XML, and is killed with SIGKILL in the middle of the stream. Then:
 *
 * <ul>
 *   <li>everything the appender reported as written before the kill decodes;
 *   <li>no file has a corrupt region or an unsupported block; the only damage a kill may leave is
 *       a torn tail (or a header cut short) at the very end of the newest file;
 *   <li>every record read back is one the application made, in the order each of its threads made
 *       them: spans and logs check themselves, and per thread the records form an unbroken prefix
 *       of what the thread did, so nothing flushed was lost, duplicated or reordered, and the only
 *       logs without their span are those of the iteration in flight at the kill.
 * </ul>
 *
 * <p>A kill rarely lands inside a write, so the torn-tail path is then also proved
 * deterministically: the newest file is copied and cut inside its last block (in the block header,
 * and half-way through its payload), and the copy must read as the original minus exactly that
 * block, with one torn tail where the block starts. The two rare outcomes of a kill (the newest
 * file ending in a torn block; an empty newest file, killed before its header) are rebuilt from
 * the run's files, and the same checks must accept them, so a run that meets one passes for the
 * right reason.
 *
 * <p>The child prints the appender's counters ({@link SpanFiles#stats(String)}) on stdout; its
 * stderr goes to a file in the test's temporary directory and is shown on failure.
 */
class SpanFileCrashIT {
  /** Enough for several files (256 KB each) and a thousand-odd 8 KB blocks. */
  private static final long SPAN_TARGET = 30_000;
  private static final long RUN_DEADLINE_SECONDS = 60;
  private static final Pattern SPAN_FILE =
      Pattern.compile("spans-\\d{8}T\\d{6}Z-(\\d+)-(\\d+)\\.cairn");
  private static final int SIGKILL_EXIT = 128 + 9;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 110, unit = TimeUnit.SECONDS)
  void killMinus9MidStream_everyFlushedBlockDecodes_onlyTheNewestFileMayEndTorn() throws Exception {
    Path dir = tmp.resolve("spans");
    Path stderr = tmp.resolve("child-stderr.txt");
    Path config = Path.of(SpanFileCrashIT.class.getResource("/crash-log4j2.xml").toURI());

    List<String> command = new ArrayList<>();
    command.add(javaCommand());
    command.addAll(moduleFlagsOfThisJvm());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("-Dlog4j2.configurationFile=" + config);
    command.add("-Dcrash.dir=" + dir);
    command.add(CrashingApp.class.getName());

    Process child = new ProcessBuilder(command)
        .redirectError(stderr.toFile())
        .start();
    List<Written> reports = new ArrayList<>();
    int killedAfter;
    try {
      BlockingQueue<String> lines = readLines(child);
      awaitTarget(child, lines, reports, stderr);
      killedAfter = reports.size() - 1;
      // SIGKILL on Linux: no shutdown hook, no final flush; the writer thread dies where it is.
      child.destroyForcibly();
      assertTrue(child.waitFor(20, TimeUnit.SECONDS), "child did not die within 20 s of SIGKILL");
      assertEquals(SIGKILL_EXIT, child.exitValue(),
          () -> "child ended otherwise than by SIGKILL; stderr:\n" + read(stderr));
      // Lines the child printed before it died, still in the pipe: also written before the kill.
      drain(lines, reports);
    } finally {
      child.destroyForcibly();
      child.waitFor(20, TimeUnit.SECONDS);
    }
    Written last = reports.get(reports.size() - 1);
    Written atKill = reports.get(killedAfter);
    Written beforeKill = reports.get(killedAfter - 1);
    assertTrue(atKill.spans() > beforeKill.spans(),
        "the child was still writing when it was killed: " + beforeKill + " then " + atKill);
    assertEquals(0, last.dropped(), "the appender dropped records; the ring or the disk could not"
        + " keep up, which this test does not exercise: " + last);
    assertEquals("", read(stderr).strip(), "Log4j2 status or JVM complaints on the child's stderr");

    Disk disk = readAll(dir, child.pid());

    // Everything flushed before the kill decodes.
    assertTrue(disk.files.size() >= 3, "rolled over several files: " + disk.files);
    assertTrue(disk.files.size() >= last.files(), "files reported created: " + last);
    assertTrue(disk.blocks >= last.blocks(), disk.blocks + " blocks decoded, reported " + last);
    assertTrue(disk.spans.size() >= last.spans(),
        disk.spans.size() + " spans decoded, reported written " + last);
    assertTrue(disk.logs.size() >= last.logs(),
        disk.logs.size() + " logs decoded, reported written " + last);

    int inFlightLogs = checkRecords(disk);

    // The torn tail, made on purpose: cut the newest file inside its last block.
    Path cutFrom = disk.newestWithBlocks();
    TornCopy mid = cutInsideLastBlock(cutFrom, tmp.resolve("cut-payload.cairn"), false);
    TornCopy head = cutInsideLastBlock(cutFrom, tmp.resolve("cut-header.cairn"), true);

    // The two rare things a kill can leave, which this run may not have met: the same checks
    // accept them (and only at the end), so a run that does meet them passes for the right reason.
    Disk tornByKill = readAll(afterKillInsideAWrite(disk, tmp.resolve("sim-torn"), mid.copy()),
        child.pid());
    assertEquals(mid.tornAt(), tornByKill.tornTail == null ? -1 : tornByKill.tornTail.offset(),
        "simulated kill inside a block write: torn tail reported");
    checkRecords(tornByKill);
    Disk tornAtCreation = readAll(afterKillAtFileCreation(disk, tmp.resolve("sim-empty")),
        child.pid());
    assertTrue(tornAtCreation.tornAtCreation, "simulated kill before the header: recognised");
    assertEquals(disk.spans, tornAtCreation.spans, "simulated kill before the header: spans");
    checkRecords(tornAtCreation);

    System.out.printf("SpanFileCrashIT: files=%d blocks=%d spans=%d logs=%d inFlightLogs=%d"
            + " reportedBeforeKill=[spans=%d logs=%d blocks=%d] tornByKill=%s"
            + " tornAtCreation=%s cutCopies=[%s, %s]%n",
        disk.files.size(), disk.blocks, disk.spans.size(), disk.logs.size(), inFlightLogs,
        last.spans(), last.logs(), last.blocks(), disk.tornTail != null ? "yes" : "no",
        disk.tornAtCreation ? "yes" : "no", mid, head);
  }

  /**
   * Asserts that every record is one the application made, once, and that per worker thread the
   * records are an unbroken prefix of what the thread did; returns the logs of the iterations in
   * flight at the kill, whose spans had not reached a block.
   */
  private static int checkRecords(Disk disk) {
    Set<String> ids = new HashSet<>();
    for (SpanRecord s : disk.spans) {
      assertSelfChecking(s);
      assertTrue(ids.add(s.traceIdHex() + "/" + s.spanIdHex()), () -> "span read twice: " + s);
    }
    for (LogRecord l : disk.logs) {
      assertEquals(CrashingApp.HANDLING + Ids.spanIdHex(l.spanId()), l.message(),
          () -> "log line does not carry the ID of the span it was written in: " + l);
      assertEquals("INFO", l.level(), l::toString);
      assertEquals(CrashingApp.LOGGER, l.logger(), l::toString);
    }
    int inFlightLogs = 0;
    Map<String, Replay> replays = new LinkedHashMap<>();
    for (int t = 0; t < CrashingApp.WORKERS; t++) {
      String thread = CrashingApp.THREAD_PREFIX + t;
      Replay r = Replay.of(thread, disk.ofThread(thread));
      replays.put(thread, r);
      assertTrue(r.iterations > 100, thread + " wrote almost nothing: " + r.iterations);
      inFlightLogs += r.logsWithoutSpan;
    }
    long replayed = replays.values().stream().mapToLong(r -> r.records).sum();
    assertEquals(disk.spans.size() + disk.logs.size(), replayed,
        "records that belong to no worker thread");
    assertRootSequencesContiguous(disk.spans, replays);
    return inFlightLogs;
  }

  /** A copy of the span directory whose newest file ends in {@code torn} instead. */
  private static Path afterKillInsideAWrite(Disk disk, Path to, Path torn) throws IOException {
    Files.createDirectories(to);
    Path newest = disk.newestWithBlocks();
    for (Path f : disk.files) {
      if (f.equals(newest)) {
        Files.copy(torn, to.resolve(f.getFileName()));
        break; // files after it (a header cut short) would make it not the newest any more
      }
      Files.copy(f, to.resolve(f.getFileName()));
    }
    return to;
  }

  /**
   * A copy of the span directory up to the end of its last complete block, then an empty newest
   * file: created, header never written.
   */
  private static Path afterKillAtFileCreation(Disk disk, Path to) throws Exception {
    Files.createDirectories(to);
    Path newest = disk.newestWithBlocks();
    for (Path f : disk.files) {
      if (f.equals(newest)) {
        BlockRecords last = lastBlock(blocksOf(f));
        copyPrefix(f, to.resolve(f.getFileName()), last.offset() + last.length());
        break;
      }
      Files.copy(f, to.resolve(f.getFileName()));
    }
    Matcher m = SPAN_FILE.matcher(newest.getFileName().toString());
    assertTrue(m.matches(), newest::toString);
    String name = newest.getFileName().toString();
    String next = name.substring(0, m.start(2))
        + String.format("%06d", Long.parseLong(m.group(2)) + 1) + ".cairn";
    Files.createFile(to.resolve(next));
    return to;
  }

  // ---- the child and its protocol ----

  /** {@code WRITTEN <spans> <logs> <blocks> <dropped> <filesCreated>} from the child. */
  record Written(long spans, long logs, long blocks, long dropped, long files) {
    static Written parse(String line) {
      String[] f = line.split(" ");
      if (f.length != 6 || !f[0].equals("WRITTEN")) {
        return null;
      }
      long[] v = new long[5];
      try {
        for (int i = 0; i < 5; i++) {
          v[i] = Long.parseLong(f[i + 1]);
        }
      } catch (NumberFormatException e) {
        return null;
      }
      return new Written(v[0], v[1], v[2], v[3], v[4]);
    }
  }

  private static final String EOF = "\u0000EOF";

  /** The child's stdout, line by line, on a daemon thread; {@link #EOF} at the end. */
  private static BlockingQueue<String> readLines(Process child) {
    BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in =
          new BufferedReader(new InputStreamReader(child.getInputStream(), UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          lines.add(line);
        }
      } catch (IOException e) {
        // The pipe broke with the child: the end of its output.
      } finally {
        lines.add(EOF);
      }
    }, "crash-child-stdout");
    reader.setDaemon(true);
    reader.start();
    return lines;
  }

  /** Reads reports until one shows {@link #SPAN_TARGET} spans written. */
  private static void awaitTarget(Process child, BlockingQueue<String> lines,
      List<Written> reports, Path stderr) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_DEADLINE_SECONDS);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
      if (line == null) {
        fail("child did not report " + SPAN_TARGET + " spans written within "
            + RUN_DEADLINE_SECONDS + " s; last report " + lastOf(reports) + "; stderr:\n"
            + read(stderr));
      }
      if (line.equals(EOF)) {
        fail("child ended before it was killed (alive=" + child.isAlive() + "); last report "
            + lastOf(reports) + "; stderr:\n" + read(stderr));
      }
      Written w = Written.parse(line);
      if (w == null) {
        fail("unexpected line on the child's stdout: '" + line + "'; stderr:\n" + read(stderr));
      }
      reports.add(w);
      // Killed only at a moment it demonstrably writes: progress since the previous report.
      if (w.spans() >= SPAN_TARGET && reports.size() >= 2
          && w.spans() > reports.get(reports.size() - 2).spans()) {
        return;
      }
    }
  }

  /**
   * Takes the reports still in the pipe after the child died. Only the very last line may be
   * malformed: the kill can cut the child's last {@code println} short.
   */
  private static void drain(BlockingQueue<String> lines, List<Written> reports)
      throws InterruptedException {
    List<String> rest = new ArrayList<>();
    for (String line; (line = lines.poll(10, TimeUnit.SECONDS)) != null && !line.equals(EOF); ) {
      rest.add(line);
    }
    for (int i = 0; i < rest.size(); i++) {
      Written w = Written.parse(rest.get(i));
      if (w != null) {
        reports.add(w);
      } else if (i < rest.size() - 1) {
        fail("unexpected line on the child's stdout: '" + rest.get(i) + "'");
      }
    }
  }

  private static Object lastOf(List<Written> reports) {
    return reports.isEmpty() ? "(none)" : reports.get(reports.size() - 1);
  }

  /** The --add-opens/--add-exports this JVM got (the build's cairn.jvm.flags), for the child. */
  private static List<String> moduleFlagsOfThisJvm() {
    List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
    List<String> out = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      String a = in.get(i);
      if (a.startsWith("--add-opens=") || a.startsWith("--add-exports=")) {
        out.add(a);
      } else if ((a.equals("--add-opens") || a.equals("--add-exports")) && i + 1 < in.size()) {
        out.add(a);
        out.add(in.get(++i));
      }
    }
    return out;
  }

  private static String javaCommand() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, UTF_8) : "";
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  // ---- reading the files back ----

  /** Every record of a directory's span files, in the order the child wrote them. */
  static final class Disk {
    final List<Path> files = new ArrayList<>();
    final List<Object> records = new ArrayList<>();
    final List<SpanRecord> spans = new ArrayList<>();
    final List<LogRecord> logs = new ArrayList<>();
    final Map<Path, Long> blocksPerFile = new LinkedHashMap<>();
    long blocks;
    ReadProblem tornTail;
    boolean tornAtCreation;

    List<Object> ofThread(String thread) {
      List<Object> out = new ArrayList<>();
      for (Object r : records) {
        if (r instanceof SpanRecord s ? thread.equals(s.attribute("thread").orElse(null))
            : thread.equals(((LogRecord) r).thread())) {
          out.add(r);
        }
      }
      return out;
    }

    Path newestWithBlocks() {
      for (int i = files.size() - 1; i >= 0; i--) {
        if (blocksPerFile.getOrDefault(files.get(i), 0L) > 0) {
          return files.get(i);
        }
      }
      throw new AssertionError("no file with a complete block: " + files);
    }
  }

  /**
   * Reads every {@code *.cairn} file in creation order (the sequence number in its name) and
   * asserts what a kill may and may not leave in each.
   */
  private static Disk readAll(Path dir, long childPid) throws Exception {
    Disk d = new Disk();
    List<Path> sorted;
    try (Stream<Path> s = Files.list(dir)) {
      sorted = s.filter(p -> p.getFileName().toString().endsWith(".cairn"))
          .sorted(Comparator.comparingLong(SpanFileCrashIT::fileSequence))
          .toList();
    }
    for (Path f : sorted) {
      Matcher m = SPAN_FILE.matcher(f.getFileName().toString());
      assertTrue(m.matches() && Long.parseLong(m.group(1)) == childPid,
          () -> "not a file of the child (pid " + childPid + "): " + f);
    }
    d.files.addAll(sorted);
    for (int i = 0; i < sorted.size(); i++) {
      Path f = sorted.get(i);
      boolean newest = i == sorted.size() - 1;
      List<ReadProblem> problems = new ArrayList<>();
      SpanFileReader.Result r;
      try {
        r = SpanFileReader.read(f, new RecordVisitor() {
          @Override
          public void span(SpanRecord span) {
            d.records.add(span);
            d.spans.add(span);
          }

          @Override
          public void log(LogRecord log) {
            d.records.add(log);
            d.logs.add(log);
          }
        }, problems::add);
      } catch (FormatException e) {
        // Killed between creating the newest file and writing its header: it holds nothing.
        assertTrue(newest && headerCutShort(f),
            () -> f + " (" + size(f) + " bytes) has no readable header: " + e.getMessage());
        d.tornAtCreation = true;
        d.blocksPerFile.put(f, 0L);
        continue;
      }
      long size = Files.size(f);
      assertEquals(CrashingApp.SERVICE, r.header().process().service(), "service in the header of " + f);
      assertEquals(childPid, r.header().process().pid(), "pid in the header of " + f);
      assertEquals(0, r.corrupt(), () -> "corrupt regions in " + f + ": " + problems);
      assertEquals(0, r.unsupported(), () -> "unsupported blocks in " + f + ": " + problems);
      if (r.torn() > 0) {
        assertTrue(newest, () -> "torn tail in " + f + ", which is not the newest file of "
            + sorted + ": " + problems);
        assertEquals(1, r.torn(), () -> "torn tails in " + f + ": " + problems);
        ReadProblem p = problems.get(0);
        assertEquals(ReadProblem.Kind.TORN_TAIL, p.kind(), p::toString);
        assertEquals(size, p.offset() + p.length(), () -> "a torn tail ends the file: " + p);
        d.tornTail = p;
      }
      assertEquals(r.torn(), problems.size(), () -> "problems in " + f + ": " + problems);
      d.blocksPerFile.put(f, r.blocks());
      d.blocks += r.blocks();
    }
    return d;
  }

  private static long fileSequence(Path f) {
    Matcher m = SPAN_FILE.matcher(f.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(2)) : Long.MAX_VALUE;
  }

  /** Whether the file is a prefix of a span file header: created, header not (fully) written. */
  private static boolean headerCutShort(Path f) throws IOException {
    byte[] b = Files.readAllBytes(f);
    byte[] magic = "CAIRN-SF".getBytes(UTF_8);
    int n = Math.min(b.length, magic.length);
    if (!Arrays.equals(Arrays.copyOf(b, n), Arrays.copyOf(magic, n))) {
      return false;
    }
    if (b.length < FileHeader.PREFIX_LENGTH) {
      return true;
    }
    try {
      return b.length < FileHeader.length(b, 0);
    } catch (FormatException e) {
      return false;
    }
  }

  private static long size(Path f) {
    try {
      return Files.size(f);
    } catch (IOException e) {
      return -1;
    }
  }

  // ---- what a record must be ----

  private static void assertSelfChecking(SpanRecord s) {
    assertEquals(CrashingApp.SERVICE, s.service(), () -> "service of " + s);
    Object seq = s.attribute("seq").orElse(null);
    Object check = s.attribute("check").orElse(null);
    Object thread = s.attribute("thread").orElse(null);
    assertTrue(seq instanceof Long && check instanceof String && thread instanceof String,
        () -> "span without its self-check attributes: " + s);
    assertEquals(CrashingApp.check(s.traceIdHex(), s.spanIdHex(), (Long) seq), check,
        () -> "span whose check attribute does not match its IDs and seq: " + s);
    if (s.isRoot()) {
      assertEquals(CrashingApp.ROOT_NAME, s.name(), () -> "root span " + s);
      assertEquals(SpanKind.SERVER, s.kind(), () -> "root span " + s);
    } else {
      assertEquals(CrashingApp.CHILD_NAME, s.name(), () -> "child span " + s);
      assertEquals(SpanKind.INTERNAL, s.kind(), () -> "child span " + s);
      assertTrue(CrashingApp.hasChild((Long) seq), () -> "child span in an iteration without: " + s);
    }
  }

  /**
   * One worker's records in file order, replayed against what the worker does per iteration:
   * log(root), [log(child), span(child)], span(root). Records must follow that order exactly and
   * may stop anywhere, but only once: after the stop there is nothing of that thread. The ring
   * keeps each thread's records in its order and the writer writes the ring in order, so what
   * reached the files before a kill is such a prefix, with the stop in the iteration in flight.
   */
  static final class Replay {
    final String thread;
    long iterations;
    int records;
    /** Logs of the iteration in flight at the kill, whose spans had not reached a block. */
    int logsWithoutSpan;
    final List<Long> rootSpanIds = new ArrayList<>();

    private Replay(String thread) {
      this.thread = thread;
    }

    static Replay of(String thread, List<Object> records) {
      Replay r = new Replay(thread);
      r.records = records.size();
      int i = 0;
      for (long seq = 0; i < records.size(); seq++) {
        LogRecord rootLog = r.log(records, i++, seq, "log of the root span");
        if (i == records.size()) {
          r.logsWithoutSpan = 1;
          break;
        }
        if (CrashingApp.hasChild(seq)) {
          LogRecord childLog = r.log(records, i++, seq, "log of the child span");
          r.expect(rootLog.traceIdHigh() == childLog.traceIdHigh()
              && rootLog.traceIdLow() == childLog.traceIdLow()
              && rootLog.spanId() != childLog.spanId(), i - 1, seq,
              "child log in the root's trace with its own span ID", childLog);
          if (i == records.size()) {
            r.logsWithoutSpan = 2;
            break;
          }
          SpanRecord child = r.span(records, i++, seq, "child span");
          r.expect(!child.isRoot() && child.parentSpanId() == rootLog.spanId()
              && child.spanId() == childLog.spanId() && sameTrace(child, childLog), i - 1, seq,
              "child span of the root with the child log's IDs", child);
          if (i == records.size()) {
            r.logsWithoutSpan = 1;
            break;
          }
        }
        SpanRecord root = r.span(records, i++, seq, "root span");
        r.expect(root.isRoot() && root.spanId() == rootLog.spanId() && sameTrace(root, rootLog),
            i - 1, seq, "root span with the root log's IDs", root);
        r.rootSpanIds.add(root.spanId());
        r.iterations = seq + 1;
      }
      return r;
    }

    private LogRecord log(List<Object> records, int i, long seq, String what) {
      Object o = records.get(i);
      expect(o instanceof LogRecord, i, seq, what, o);
      return (LogRecord) o;
    }

    private SpanRecord span(List<Object> records, int i, long seq, String what) {
      Object o = records.get(i);
      expect(o instanceof SpanRecord s && s.attribute("seq").orElse(null) instanceof Long n
          && n == seq, i, seq, what + " with seq=" + seq, o);
      return (SpanRecord) o;
    }

    private void expect(boolean ok, int i, long seq, String what, Object found) {
      if (!ok) {
        throw new AssertionError(thread + ": record " + i + " (iteration " + seq + ") should be the "
            + what + " but is " + found);
      }
    }

    private static boolean sameTrace(SpanRecord s, LogRecord l) {
      return s.traceIdHigh() == l.traceIdHigh() && s.traceIdLow() == l.traceIdLow();
    }
  }

  /**
   * What the replay implies, said directly: per thread the decoded root spans are iterations 0 to
   * n-1, each once.
   */
  private static void assertRootSequencesContiguous(List<SpanRecord> spans,
      Map<String, Replay> replays) {
    for (Replay r : replays.values()) {
      List<Long> seqs = new ArrayList<>();
      for (SpanRecord s : spans) {
        if (s.isRoot() && r.thread.equals(s.attribute("thread").orElse(null))) {
          seqs.add((Long) s.attribute("seq").orElseThrow());
        }
      }
      List<Long> expected = new ArrayList<>();
      for (long n = 0; n < r.iterations; n++) {
        expected.add(n);
      }
      assertEquals(expected, seqs, r.thread + ": root span seq values");
    }
  }

  // ---- the torn tail, made on purpose ----

  record TornCopy(Path copy, String cut, int blocks, int spansKept, int spansCut, long tornAt,
      long tornLength) {
    @Override
    public String toString() {
      return cut + ": " + blocks + " blocks, kept " + spansKept + " spans, cut " + spansCut
          + ", torn " + tornLength + " bytes at " + tornAt;
    }
  }

  /**
   * Copies {@code original} up to a point inside its last complete block (inside its header, or
   * half-way through its payload) and asserts the copy reads as the original minus that block,
   * with exactly one torn tail where the block starts.
   */
  private static TornCopy cutInsideLastBlock(Path original, Path copy, boolean insideHeader)
      throws Exception {
    List<BlockRecords> blocks = blocksOf(original);
    BlockRecords last = lastBlock(blocks);
    long cut = insideHeader ? last.offset + 20 : last.offset + last.headerLength
        + (last.length - last.headerLength) / 2;
    assertTrue(cut > last.offset && cut < last.offset + last.length, "cut inside the block");
    copyPrefix(original, copy, cut);

    List<SpanRecord> expectedSpans = new ArrayList<>();
    List<LogRecord> expectedLogs = new ArrayList<>();
    for (BlockRecords b : blocks.subList(0, blocks.size() - 1)) {
      expectedSpans.addAll(b.spans);
      expectedLogs.addAll(b.logs);
    }
    List<SpanRecord> spans = new ArrayList<>();
    List<LogRecord> logs = new ArrayList<>();
    List<ReadProblem> problems = new ArrayList<>();
    SpanFileReader.Result r = SpanFileReader.read(copy, new RecordVisitor() {
      @Override
      public void span(SpanRecord span) {
        spans.add(span);
      }

      @Override
      public void log(LogRecord log) {
        logs.add(log);
      }
    }, problems::add);

    String what = (insideHeader ? "cut inside the last block's header" : "cut inside the last"
        + " block's payload") + " of " + original.getFileName();
    assertEquals(1, problems.size(), () -> what + ": " + problems);
    ReadProblem p = problems.get(0);
    assertEquals(ReadProblem.Kind.TORN_TAIL, p.kind(), () -> what + ": " + p);
    assertEquals(last.offset, p.offset(), () -> what + ": the torn tail starts at the cut block");
    assertEquals(cut - last.offset, p.length(), () -> what + ": the torn tail runs to the end");
    assertEquals(1, r.torn(), what);
    assertEquals(0, r.corrupt(), what);
    assertEquals(0, r.unsupported(), what);
    assertEquals(blocks.size() - 1, r.blocks(), what);
    assertNotEquals(0, last.spans.size() + last.logs.size(), what + ": the cut block held records");
    assertEquals(expectedSpans, spans, what + ": spans = the original's minus the cut block's");
    assertEquals(expectedLogs, logs, what + ": logs = the original's minus the cut block's");
    return new TornCopy(copy, insideHeader ? "header" : "payload", blocks.size() - 1,
        spans.size(), last.spans.size(), p.offset(), p.length());
  }

  /** Copies the first {@code length} bytes of {@code from}. */
  private static void copyPrefix(Path from, Path to, long length) throws IOException {
    try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ);
        FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
      long done = 0;
      while (done < length) {
        done += in.transferTo(done, length - done, out);
      }
    }
    assertEquals(length, Files.size(to), "copied prefix of " + from);
  }

  private static BlockRecords lastBlock(List<BlockRecords> blocks) {
    assertFalse(blocks.isEmpty(), "no complete block");
    return blocks.get(blocks.size() - 1);
  }

  /** One block of a file and the records it decodes to. */
  record BlockRecords(long offset, int length, int headerLength, List<SpanRecord> spans,
      List<LogRecord> logs) {}

  /** The complete blocks of a file, each decoded on its own. */
  private static List<BlockRecords> blocksOf(Path file) throws Exception {
    List<BlockRecords> out = new ArrayList<>();
    List<ReadProblem> problems = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      SpanFileReader.readHeader(ch); // checks it
      byte[] prefix = new byte[FileHeader.PREFIX_LENGTH];
      ch.read(java.nio.ByteBuffer.wrap(prefix), 0);
      int headerLength = FileHeader.length(prefix, 0);
      BlockReader reader = new BlockReader(ch, headerLength, problems::add);
      BlockDecoder decoder = new BlockDecoder();
      for (Block b; (b = reader.next()) != null; ) {
        List<SpanRecord> spans = new ArrayList<>();
        List<LogRecord> logs = new ArrayList<>();
        decoder.decode(b, new RecordVisitor() {
          @Override
          public void span(SpanRecord span) {
            spans.add(span);
          }

          @Override
          public void log(LogRecord log) {
            logs.add(log);
          }
        });
        out.add(new BlockRecords(b.offset(), b.length(), b.header().headerLength(), spans, logs));
      }
    }
    assertTrue(problems.isEmpty() || problems.stream()
        .allMatch(p -> p.kind() == ReadProblem.Kind.TORN_TAIL), () -> file + ": " + problems);
    return out;
  }
}
