package dev.cairn.shipper;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockReader;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.wire.WireMessage.Batch;
import dev.cairn.core.wire.WireMessage.BlockEntry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipper's acceptance test: every part a real process on this machine. Two application JVMs
 * ({@link TracingApp}) trace through real {@code <SpanFile>} appenders into two directories, rolling
 * 40 KB files several times a second each, and never deleting any (no retention), while the real
 * {@link Shipper} ({@link ShipperChild}, built from a shipper.yaml this test writes, the two
 * directories named by two different kinds of pattern) is killed with SIGKILL and restarted again
 * and again, and the test damages span files in every way the shipper must survive. Each damage is
 * made at a moment chosen so that its outcome is known exactly:
 *
 * <ol>
 *   <li><b>Rotation and kill -9.</b> {@value #KILLS} shipper runs while both applications write;
 *       each killed with SIGKILL at a random moment: some after the start, during ingest, some at a
 *       random time after launch (during JVM start, journal repair, recovery or ingest). The last
 *       run lasts long enough for files to finish, then is frozen (SIGSTOP) and killed. While it
 *       is frozen, the test reads its checkpoint (the journal is the truth, but the checkpoint
 *       never runs ahead of it) to choose two files it knows: (a) application B's current file,
 *       waited on until it has grown past its size at the freeze: the shipper is then behind on it
 *       for certain; (b) a rolled file of B the checkpoint records as read to its end. File (a)
 *       must be one the checkpoint names with its writer and number: the tailer learns a file's
 *       number from its name, so a file renamed before any checkpoint recorded it would leave a
 *       gap in its writer's numbers, counted as a loss although its blocks are shipped.
 *   <li><b>Damage while the shipper is down</b>, the applications still writing so that files it
 *       never saw pile up (numbered above the highest number on disk at the kill):
 *       <ul>
 *         <li>the replica, read on its own, must hold the primary's entries as the kills left them
 *             (all, or all but the last when the last kill fell between the two appends); then its
 *             directory is moved away, as if its disk were replaced: the next start must rebuild it
 *             from the primary, and the ingest thread then append to both;
 *         <li>file (a) is renamed, after it rolled, to a name the appender never makes (still
 *             matched): <em>rename rotation while behind</em>. Expected: all its blocks, once;
 *         <li>file (b) is cut in the middle of a block's payload: <em>truncation of a file already
 *             read</em>. Expected: all its original blocks (journaled before), once; counted as a
 *             truncation;
 *         <li>an unseen rolled file of A gets 32 bytes inverted in the middle of one block's
 *             payload: <em>corrupt bytes</em>. Expected: its other blocks; one corrupt region of
 *             exactly that block's length;
 *         <li>an unseen rolled file of B is cut in the middle of a block's payload:
 *             <em>truncation of an unread file</em>. Expected: exactly the blocks below the cut; its
 *             tail counted torn once the file is finished;
 *         <li>an unseen rolled file of A, not its writer's newest, is deleted: <em>a file that
 *             disappears before it was read</em>. Expected: none of its blocks; counted lost once
 *             (a gap in the writer's numbers).
 *       </ul>
 *       Every damaged file is copied first (to a directory no pattern names). Then the shipper
 *       starts again and runs to the end of the test.
 *   <li><b>Deletion while open.</b> The shipper is frozen with SIGSTOP at a moment when it tracks
 *       application A's current file (named in its {@code /metrics} lag gauges) and holds it open
 *       (its {@code /proc/<pid>/fd} shows it); the test waits until the file has grown past its
 *       size at the freeze (so the shipper is behind) and rolled (so it is complete and immutable),
 *       copies it and deletes it, then resumes the shipper with SIGCONT. Expected: all its blocks,
 *       read through the open descriptor, once; the descriptor released afterwards.
 *   <li><b>Catch-up.</b> Both applications stop cleanly (their appenders write their last block
 *       and close), the shipper catches up ({@code /metrics}: journal last seq = the number of
 *       oracle blocks, no file tracked), a puller pulls every block from seq 1, and the shipper is
 *       stopped with SIGTERM.
 * </ol>
 *
 * <p><b>The oracle</b> is the set of valid blocks, (file ID, offset, block bytes), of every span
 * file on disk at the end (read with trace-core's {@link BlockReader}), plus every block of the
 * copies of the file deleted while open and of the file truncated after it was read; the corrupt
 * file and the file truncated unread contribute what is valid on disk, which the test checks
 * against their copies (all blocks but the corrupted one; exactly the blocks below the cut); the
 * file deleted unseen contributes nothing.
 *
 * <p><b>Verdict.</b> The primary and the replica journal are then read each on its own, without
 * the repair {@link ChronicleJournal#open} would make ({@link JournalFixtures#dump}: the journal's
 * own queue reader over one directory): the replica must equal the primary excerpt by excerpt
 * (seq, cycle, bytes: file ID, offset and block); the primary's entries must have contiguous seqs
 * from 1, each (file ID, offset) once, per file in offset order, and their set must equal the
 * oracle exactly, block bytes included; the puller must have received the same entries. The last
 * shipper run's counters must show exactly what was done to it: one journal repair, one file lost,
 * one corrupt region of the corrupted block's length, one torn tail, one truncation, no ingest
 * error; and no span file
 * may still be open in it at the end.
 *
 * <p>Kill moments and the choice of frozen moments are random (the seed is printed, though timing
 * makes no run repeat exactly); every wait is bounded. Linux only: SIGSTOP/SIGCONT through
 * {@code kill} and descriptors through {@code /proc}. Children's stderr goes to files in the
 * temporary directory, printed when the test fails; every child is destroyed in a finally block,
 * and each halts by itself when this JVM goes away (unless it is frozen at that moment).
 */
class ShipperEndToEndIT {
  /** Shipper runs killed with SIGKILL (the last after a freeze); then one more runs to the end. */
  private static final int KILLS = 10;
  private static final String SECRET = "0123456789abcdef0123456789abcdef";
  private static final int SIGKILL_EXIT = 128 + 9;
  private static final int SIGTERM_EXIT = 128 + 15;
  /** The tailer's default {@code finishGraceMillis}, which the daemon does not configure. */
  private static final long FINISH_GRACE_MILLIS = 5_000;
  private static final int APP_MAX_SECONDS = 240;

  @TempDir Path tmp;
  private Path dirA;
  private Path dirB;
  private Path copies;
  private Path state;
  private Path config;
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Child> children = new ArrayList<>();

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void realAppsAndAShipperKilledAgainAndAgain_renameTruncateCorruptDelete_journalHoldsExactlyTheValidBlocksOnce_replicaEqualsPrimary()
      throws Exception {
    long t0 = System.nanoTime();
    try {
      run(t0);
    } catch (Throwable t) {
      System.out.println("ShipperEndToEndIT failed (random seed " + seed + "); children's stderr:");
      for (Child c : children) {
        System.out.println("----- " + c.name + " (" + c.stderr + ") -----");
        System.out.println(tail(c.stderr, 400));
      }
      throw t;
    } finally {
      for (Child c : children) {
        c.destroy();
      }
    }
  }

  private void run(long t0) throws Exception {
    dirA = Files.createDirectories(tmp.resolve("apps/a"));
    dirB = Files.createDirectories(tmp.resolve("apps/b"));
    copies = Files.createDirectories(tmp.resolve("copies"));
    state = tmp.resolve("state");
    config = tmp.resolve("shipper.yaml");
    Files.writeString(config, """
        name: end-to-end
        spans:
          - apps/a/
          - apps/b/*.cairn
        journal:
          primary: journal/primary
          replica: journal/replica
        state: state
        auth: {secret: "%s"}
        listen: 127.0.0.1:0
        http: 127.0.0.1:0
        scanIntervalMillis: 50
        """.formatted(SECRET), UTF_8);

    App appA = startApp("app-a", dirA);
    App appB = startApp("app-b", dirB);
    appA.awaitStarted();
    appB.awaitStarted();
    long appsStarted = System.nanoTime();

    // 1. Rotation and repeated kill -9.
    int killedStarting = 0;
    long startMillis = 1_000;
    for (int run = 0; run < KILLS - 1; run++) {
      long launched = System.nanoTime();
      ShipperProc s = startShipper(run);
      if (run % 3 == 1) {
        // While it starts: JVM start, journal open and repair, reindexing, recovery.
        Thread.sleep(random.nextInt((int) startMillis));
      } else {
        s.awaitStarted();
        startMillis = Math.max(100, (System.nanoTime() - launched) / 1_000_000);
        Thread.sleep(50 + random.nextInt(950));
      }
      s.kill();
      s.reader.join(5_000); // everything it printed before it died
      if (run % 3 == 1 && s.lines.stream().noneMatch(l -> l.startsWith("started "))) {
        killedStarting++;
      }
      Thread.sleep(random.nextInt(400)); // the files grow and roll while no shipper runs
    }
    ShipperProc lastKilled = startShipper(KILLS - 1);
    lastKilled.awaitStarted();
    // Long enough for rolled files to finish (their writer moved on, then the grace period).
    Thread.sleep(FINISH_GRACE_MILLIS + 1_500);
    Known known = freezeChooseAndKill(lastKilled);
    long phase1 = System.nanoTime();

    // 2. Damage while the shipper is down; the replica's disk is replaced.
    int replicatedBeforeSwap = replicaAfterKillsThenNewDisk();
    Damage damage = damageWhileDown(known);
    ShipperProc shipper = startShipper(KILLS);
    shipper.awaitStarted();

    // 3. Deletion while open.
    DeletedWhileOpen deletedWhileOpen = deleteWhileOpen(shipper);
    long phase3 = System.nanoTime();

    // 4. Clean stop of the applications, catch-up, clean stop of the shipper.
    appA.stop();
    appB.stop();
    long appsSeconds = (System.nanoTime() - appsStarted) / 1_000_000_000L;
    Oracle oracle = oracle(damage, deletedWhileOpen);
    PrometheusParser last = awaitCaughtUp(shipper, oracle.blocks.size());
    List<String> stillOpen = openSpanFiles(shipper.process.pid());
    List<JournalRecord> pulled = pullAll(shipper.pullPort);
    shipper.terminate();
    long caughtUp = System.nanoTime();

    // Verdict: the journal as it is on disk, each copy read on its own.
    List<JournalFixtures.Raw> primaryRaw = JournalFixtures.dump(tmp.resolve("journal/primary"));
    List<JournalFixtures.Raw> replicaRaw = JournalFixtures.dump(tmp.resolve("journal/replica"));
    List<JournalRecord> primary = primaryRaw.stream().map(JournalRecord::of).toList();
    long t1 = System.nanoTime();
    long repairs = 0;
    for (Child c : children) {
      if (c instanceof ShipperProc) {
        repairs += Files.readAllLines(c.stderr, UTF_8).stream().filter(l -> l.contains("is repaired")).count();
      }
    }
    int filesA = spanFiles(dirA).size();
    int filesB = spanFiles(dirB).size();
    System.out.printf("ShipperEndToEndIT: seed %d; %d shipper runs (%d killed, %d of them while starting);"
            + " replica repaired at %d starts, %d entries equal before its disk was replaced; files: %d in a, %d in b in %d s; oracle %d blocks;"
            + " journal: primary %d entries, replica %d,"
            + " pulled %d; last run: lost %d, corrupt %d (%d bytes), torn %d, truncations %d, ingest errors %d;"
            + " time: kills %.1f s, damage and deletion while open %.1f s, catch-up %.1f s, verdict %.1f s,"
            + " total %.1f s%n",
        seed, KILLS + 1, KILLS, killedStarting, repairs, replicatedBeforeSwap, filesA, filesB, appsSeconds, oracle.blocks.size(),
        primaryRaw.size(), replicaRaw.size(), pulled.size(),
        counter(last, "cairn_shipper_files_lost_total"),
        counter(last, "cairn_shipper_corrupt_regions_total"),
        counter(last, "cairn_shipper_corrupt_bytes_total"),
        counter(last, "cairn_shipper_torn_tails_total"),
        counter(last, "cairn_shipper_truncations_total"),
        counter(last, "cairn_shipper_ingest_errors_total"),
        (phase1 - t0) / 1e9, (phase3 - phase1) / 1e9, (caughtUp - phase3) / 1e9,
        (t1 - caughtUp) / 1e9, (t1 - t0) / 1e9);

    assertJournalHoldsExactly(oracle, primary);
    JournalFixtures.assertSameEntries(primaryRaw, replicaRaw);
    assertEquals(primary.size(), pulled.size(), "entries pulled from seq 1");
    for (int i = 0; i < primary.size(); i++) {
      assertTrue(primary.get(i).sameAs(pulled.get(i)), "pulled entry " + pulled.get(i)
          + " differs from the journal's " + primary.get(i));
    }

    // The damage made was the damage met, seen through the last run's counters.
    assertEquals(1, counter(last, "cairn_shipper_files_lost_total"),
        "files lost: only the one deleted before the shipper saw it");
    assertEquals(1, counter(last, "cairn_shipper_corrupt_regions_total"), "corrupt regions");
    assertEquals(damage.corruptBlock.bytes.length, counter(last, "cairn_shipper_corrupt_bytes_total"),
        "corrupt bytes: exactly the block the injected bytes spoiled");
    assertEquals(1, counter(last, "cairn_shipper_torn_tails_total"),
        "torn tails: only the file truncated before it was read");
    assertEquals(1, counter(last, "cairn_shipper_truncations_total"),
        "truncations: only the file truncated after it was read");
    assertEquals(1, counter(last, "cairn_shipper_journal_repairs_total"),
        "journal repairs: the replica on its new disk, rebuilt from the primary");
    assertEquals(0, counter(last, "cairn_shipper_unsupported_blocks_total"), "unsupported blocks");
    assertEquals(0, counter(last, "cairn_shipper_ingest_errors_total"), "ingest errors");
    assertEquals(List.of(), stillOpen, "span files still open in the shipper after every file finished");

    // The damage was made where it means something: the shipper was behind on the renamed file and
    // on the one deleted while open, so blocks past where it could have read were read afterwards.
    assertTrue(journaledPast(primary, known.behindId, known.behindSizeAtFreeze),
        "no block of the renamed file past its size at the freeze was journaled");
    assertTrue(journaledPast(primary, deletedWhileOpen.id, deletedWhileOpen.sizeAtFreeze),
        "no block of the file deleted while open past its size at the freeze was journaled");
    assertTrue(filesA >= appsSeconds && filesB >= appsSeconds, "rotation at a high rate: "
        + filesA + " and " + filesB + " files in " + appsSeconds + " s");
  }

  private static boolean journaledPast(List<JournalRecord> journal, UUID id, long offset) {
    return journal.stream().anyMatch(r -> r.fileId.equals(id) && r.offset >= offset);
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 1: the last kill, with the files the checkpoint knows

  /** Files chosen from the checkpoint of the frozen last run of phase 1. */
  private record Known(Path behind, UUID behindId, long behindSizeAtFreeze, Path readToEnd) {}

  /**
   * Freezes the shipper, and from its checkpoint chooses application B's current file (which the
   * checkpoint therefore names with its writer and number) and a rolled file of B it records as
   * read to its end; waits, still frozen, until the current file has grown past its size at the
   * freeze; then kills the shipper. Retried at another moment when B rolled meanwhile.
   */
  private Known freezeChooseAndKill(ShipperProc s) throws Exception {
    for (int attempt = 0; attempt < 50; attempt++) {
      s.signal("STOP");
      Optional<CheckpointStore.Checkpoint> cp = new CheckpointStore(state.resolve("tailer.checkpoint")).load();
      TreeMap<Long, Path> onDisk = spanFiles(dirB);
      Map<String, CheckpointStore.FileState> ofB = new HashMap<>();
      for (CheckpointStore.FileState f : cp.map(CheckpointStore.Checkpoint::files).orElse(List.of())) {
        if (!f.path().isEmpty() && f.writer().isPresent()
            && Path.of(f.path()).getParent().getFileName().toString().equals("b")) {
          ofB.put(Path.of(f.path()).getFileName().toString(), f);
        }
      }
      Path current = onDisk.lastEntry().getValue();
      CheckpointStore.FileState cur = ofB.get(current.getFileName().toString());
      Path readToEnd = null;
      for (Map.Entry<Long, Path> e : onDisk.headMap(onDisk.lastKey(), false).descendingMap().entrySet()) {
        CheckpointStore.FileState f = ofB.get(e.getValue().getFileName().toString());
        if (f != null && f.nextOffset() == Files.size(e.getValue()) && read(e.getValue()).blocks.size() >= 3) {
          readToEnd = e.getValue();
          break;
        }
      }
      if (cur != null && readToEnd != null) {
        long atFreeze = Files.size(current);
        long seq = onDisk.lastKey();
        // The shipper is frozen: it has read at most atFreeze bytes of the file. Once the file has
        // grown past that, the shipper is behind on it, whatever it had read. (A file that rolls
        // instead was full at the freeze: try another moment.)
        await(2_000, () -> sizeOrZero(current) > atFreeze || spanFiles(dirB).lastKey() > seq);
        long atKill = sizeOrZero(current);
        if (atKill > atFreeze) {
          s.kill();
          return new Known(current, read(current).id, atFreeze, readToEnd);
        }
      }
      s.signal("CONT");
      Thread.sleep(50 + random.nextInt(150));
    }
    fail("could not freeze the shipper at a moment its checkpoint named application B's current file");
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 2: damage while the shipper is down

  /**
   * Checks the replica as the kills left it (each copy read on its own): the primary's entries, the
   * last one possibly missing (a kill between the two appends, repaired at the next start). Then
   * replaces the replica's "disk" (moves its directory away), so that the next start rebuilds it
   * from the primary before the ingest thread appends to both. Returns the entries checked.
   */
  private int replicaAfterKillsThenNewDisk() throws IOException {
    Path replica = tmp.resolve("journal/replica");
    List<JournalFixtures.Raw> p = JournalFixtures.dump(tmp.resolve("journal/primary"));
    List<JournalFixtures.Raw> r = JournalFixtures.dump(replica);
    assertTrue(r.size() == p.size() || r.size() == p.size() - 1, "after the kills the replica has "
        + r.size() + " entries, the primary " + p.size());
    JournalFixtures.assertSameEntries(p.subList(0, r.size()), r);
    Files.move(replica, tmp.resolve("replica-old-disk"));
    return r.size();
  }

  /** The damaged files, each with its content before the damage. */
  private record Damage(SpanFile renamed, Path renamedTo, SpanFile truncatedRead, SpanFile corrupt,
      SpanBlock corruptBlock, SpanFile truncatedUnread, long cutAt, SpanFile deletedUnseen) {}

  private Damage damageWhileDown(Known known) throws Exception {
    long aMax = spanFiles(dirA).lastKey();
    long bMax = spanFiles(dirB).lastKey();
    // Files numbered above these were made after the kill: the shipper never saw them.
    assertTrue(await(20_000, () -> spanFiles(dirA).lastKey() >= aMax + 4
            && spanFiles(dirB).lastKey() >= bMax + 2),
        "the applications did not roll enough files while the shipper was down");

    // Rename rotation while behind: the file rolled (its writer made a newer one) before the rename.
    Path behind = known.behind;
    Path renamedTo = dirB.resolve(behind.getFileName().toString().replace(".cairn", ".rotated.cairn"));
    assertTrue(SpanFileName.parse(renamedTo.getFileName().toString()).isEmpty());
    SpanFile renamed = read(behind);
    assertTrue(renamed.size > known.behindSizeAtFreeze, "the file behind grew after the freeze");
    Files.move(behind, renamedTo);

    // Truncation of a file already read to its end.
    SpanFile truncatedRead = read(known.readToEnd);
    Files.copy(known.readToEnd, copies.resolve("truncated-after-read.cairn"));
    long cutRead = cutInsideBlock(truncatedRead);

    // Corrupt bytes in an unseen, rolled file.
    Path corruptPath = spanFiles(dirA).get(aMax + 1);
    SpanFile corrupt = read(corruptPath);
    Files.copy(corruptPath, copies.resolve("corrupt-original.cairn"));
    SpanBlock corruptBlock = corrupt.blocks.get(corrupt.blocks.size() / 2);
    byte[] spoiled = new byte[32];
    long at = corruptBlock.middleOfPayload() - spoiled.length / 2;
    assertTrue(at >= corruptBlock.payloadStart()
        && at + spoiled.length <= corruptBlock.offset + corruptBlock.bytes.length, "a block too small to spoil");
    try (FileChannel ch = FileChannel.open(corruptPath, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      ch.read(ByteBuffer.wrap(spoiled), at);
      for (int i = 0; i < spoiled.length; i++) {
        spoiled[i] = (byte) ~spoiled[i];
      }
      ch.write(ByteBuffer.wrap(spoiled), at);
    }

    // Truncation of an unseen, rolled file in the middle of a block.
    Path truncPath = spanFiles(dirB).get(bMax + 1);
    SpanFile truncatedUnread = read(truncPath);
    Files.copy(truncPath, copies.resolve("truncated-unread.cairn"));
    long cutAt = cutInsideBlock(truncatedUnread);

    // A file deleted before the shipper saw it: not its writer's newest, so the gap in the
    // writer's numbers shows.
    Path deletedPath = spanFiles(dirA).get(aMax + 3);
    SpanFile deletedUnseen = read(deletedPath);
    Files.copy(deletedPath, copies.resolve("deleted-unseen.cairn"));
    Files.delete(deletedPath);

    System.out.printf("damage: renamed %s (%d of %d bytes at the freeze) to %s; truncated after read %s at %d;"
            + " corrupted %s at %d (block at %d, %d bytes); truncated unread %s at %d; deleted unseen %s%n",
        behind.getFileName(), known.behindSizeAtFreeze, renamed.size, renamedTo.getFileName(),
        truncatedRead.path.getFileName(), cutRead, corruptPath.getFileName(), at, corruptBlock.offset,
        corruptBlock.bytes.length, truncPath.getFileName(), cutAt, deletedPath.getFileName());
    return new Damage(renamed, renamedTo, truncatedRead, corrupt, corruptBlock, truncatedUnread, cutAt,
        deletedUnseen);
  }

  /** Cuts the file in the middle of the payload of its middle block; returns the new length. */
  private static long cutInsideBlock(SpanFile f) throws IOException {
    long cut = f.blocks.get(f.blocks.size() / 2).middleOfPayload();
    try (FileChannel ch = FileChannel.open(f.path, StandardOpenOption.WRITE)) {
      ch.truncate(cut);
    }
    return cut;
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 3: deletion while open

  private record DeletedWhileOpen(UUID id, long sizeAtFreeze, Path copy) {}

  /**
   * Freezes the shipper when its lag gauges name application A's current file and it holds the file
   * open; waits, frozen, until the file grew past its size at the freeze and rolled; copies and
   * deletes it; resumes the shipper. Retried at another moment when the moment does not fit.
   */
  private DeletedWhileOpen deleteWhileOpen(ShipperProc s) throws Exception {
    String why = "";
    for (int attempt = 0; attempt < 50; attempt++) {
      Thread.sleep(50 + random.nextInt(150));
      Map<String, UUID> tracked = new HashMap<>();
      PrometheusParser.Family lag = metrics(s).families.get("cairn_shipper_file_lag_bytes");
      for (PrometheusParser.Sample sample : lag == null ? List.<PrometheusParser.Sample>of() : lag.samples()) {
        String file = sample.labels().getOrDefault("file", "");
        if (!file.isEmpty()) {
          tracked.put(Path.of(file).getFileName().toString(), UUID.fromString(sample.labels().get("id")));
        }
      }
      s.signal("STOP");
      TreeMap<Long, Path> onDisk = spanFiles(dirA);
      Path current = onDisk.lastEntry().getValue();
      long seq = onDisk.lastKey();
      UUID id = tracked.get(current.getFileName().toString());
      if (id == null) {
        why = "A's current file " + current.getFileName() + " not among the tracked " + tracked.keySet();
      } else if (!openSpanFiles(s.process.pid()).contains(current.toRealPath().toString())) {
        why = current.getFileName() + " not open in the shipper: " + openSpanFiles(s.process.pid());
      } else {
        long atFreeze = Files.size(current);
        boolean grew = await(2_000, () -> sizeOrZero(current) > atFreeze || spanFiles(dirA).lastKey() > seq)
            && sizeOrZero(current) > atFreeze;
        // Rolled: the appender closes a file before it makes the next, so it is complete now.
        if (grew && await(5_000, () -> spanFiles(dirA).lastKey() > seq)) {
          Path copy = copies.resolve("deleted-while-open.cairn");
          Files.copy(current, copy);
          Files.delete(current);
          s.signal("CONT");
          System.out.printf("deleted while open: %s (%d bytes at the freeze, %d at the deletion)%n",
              current.getFileName(), atFreeze, Files.size(copy));
          return new DeletedWhileOpen(id, atFreeze, copy);
        }
        why = current.getFileName() + " rolled without growing while the shipper was frozen";
      }
      s.signal("CONT");
    }
    fail("could not freeze the shipper while it held application A's current file open: " + why);
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 4: the oracle and the catch-up

  /** The valid blocks the journal must hold, by "file ID@offset", in no particular order. */
  private static final class Oracle {
    final Map<String, SpanBlock> blocks = new HashMap<>();
    final Map<UUID, String> names = new HashMap<>();

    void add(SpanFile f, List<SpanBlock> valid, String what) {
      names.put(f.id, f.path.getFileName() + what);
      for (SpanBlock b : valid) {
        assertTrue(blocks.put(b.key(), b) == null, "two files hold block " + b.key());
      }
    }
  }

  private Oracle oracle(Damage d, DeletedWhileOpen deletedWhileOpen) throws IOException {
    Oracle o = new Oracle();
    Set<Path> damaged = Set.of(d.renamedTo, d.truncatedRead.path, d.corrupt.path, d.truncatedUnread.path);
    for (Path dir : List.of(dirA, dirB)) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.filter(q -> q.toString().endsWith(".cairn")).sorted().toList()) {
          SpanFile f = read(p);
          if (!damaged.contains(p)) {
            assertEquals(List.of(), f.problems, "an application left damage in " + p);
          }
          if (!p.equals(d.truncatedRead.path)) {
            o.add(f, f.blocks, "");
          }
        }
      }
    }
    assertFalse(Files.exists(d.deletedUnseen.path));
    assertEquals(d.renamed.blocks.stream().map(SpanBlock::key).toList(),
        read(d.renamedTo).blocks.stream().map(SpanBlock::key).toList(), "the renamed file's blocks");

    // The damaged files read back as the damage says: the oracle's own check.
    SpanFile corrupt = read(d.corrupt.path);
    List<SpanBlock> withoutSpoiled = new ArrayList<>(d.corrupt.blocks);
    withoutSpoiled.remove(d.corruptBlock);
    assertEquals(keys(withoutSpoiled), keys(corrupt.blocks), "valid blocks of the corrupted file");
    assertEquals(List.of(ReadProblem.Kind.CORRUPT), corrupt.problems.stream().map(ReadProblem::kind).toList());
    assertEquals(d.corruptBlock.offset, corrupt.problems.get(0).offset());
    assertEquals(d.corruptBlock.bytes.length, corrupt.problems.get(0).length());

    SpanFile cut = read(d.truncatedUnread.path);
    assertEquals(keys(d.truncatedUnread.blocks.stream().filter(b -> b.offset + b.bytes.length <= d.cutAt).toList()),
        keys(cut.blocks), "valid blocks of the file truncated unread: those below the cut");
    assertEquals(List.of(ReadProblem.Kind.TORN_TAIL), cut.problems.stream().map(ReadProblem::kind).toList());

    // Files no longer (or no longer wholly) on disk, from their copies.
    o.add(d.truncatedRead, read(copies.resolve("truncated-after-read.cairn")).blocks, " (truncated after read)");
    SpanFile whileOpen = read(deletedWhileOpen.copy);
    assertEquals(deletedWhileOpen.id, whileOpen.id);
    o.add(whileOpen, whileOpen.blocks, " (deleted while open)");
    o.names.put(d.deletedUnseen.id, d.deletedUnseen.path.getFileName() + " (deleted unseen)");
    return o;
  }

  /**
   * Waits (bounded) until the shipper journaled as many blocks as the oracle holds and tracks no file
   * any more; returns its metrics then. Does not fail on timeout: the journal comparison that
   * follows says exactly what is missing or extra.
   */
  private PrometheusParser awaitCaughtUp(ShipperProc s, long blocks) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    PrometheusParser m = metrics(s);
    while (System.nanoTime() < deadline) {
      m = metrics(s);
      if (counter(m, "cairn_shipper_journal_last_seq") >= blocks
          && counter(m, "cairn_shipper_files_tracked") == 0) {
        break;
      }
      Thread.sleep(100);
    }
    Thread.sleep(500); // a duplicate would be journaled after the count was reached
    m = metrics(s);
    System.out.printf("caught up: journal last seq %d of %d oracle blocks, files tracked %d%n",
        counter(m, "cairn_shipper_journal_last_seq"), blocks, counter(m, "cairn_shipper_files_tracked"));
    return m;
  }

  // ---------------------------------------------------------------------------------------------
  // The verdict

  private static void assertJournalHoldsExactly(Oracle oracle, List<JournalRecord> journal) {
    Map<String, JournalRecord> byKey = new LinkedHashMap<>();
    List<String> duplicates = new ArrayList<>();
    Map<UUID, Long> lastOffset = new HashMap<>();
    List<String> outOfOrder = new ArrayList<>();
    for (int i = 0; i < journal.size(); i++) {
      JournalRecord r = journal.get(i);
      assertEquals(i + 1, r.seq, "journal seqs are contiguous from 1");
      if (byKey.put(r.key(), r) != null) {
        duplicates.add(r.key() + " (" + oracle.names.getOrDefault(r.fileId, "?") + ") again at seq " + r.seq);
      }
      Long before = lastOffset.put(r.fileId, r.offset);
      if (before != null && before >= r.offset) {
        outOfOrder.add(r.key() + " after offset " + before);
      }
    }
    assertEquals(List.of(), first(duplicates), duplicates.size() + " blocks journaled twice");
    assertEquals(List.of(), first(outOfOrder), outOfOrder.size() + " blocks out of file order");
    List<String> missing = new ArrayList<>();
    for (SpanBlock b : oracle.blocks.values()) {
      if (!byKey.containsKey(b.key())) {
        missing.add(b.key() + " of " + oracle.names.get(b.fileId));
      }
    }
    List<String> extra = new ArrayList<>();
    for (JournalRecord r : byKey.values()) {
      if (!oracle.blocks.containsKey(r.key())) {
        extra.add(r.key() + " of " + oracle.names.getOrDefault(r.fileId, "an unknown file"));
      }
    }
    missing.sort(null);
    extra.sort(null);
    assertEquals(List.of(), first(missing), missing.size() + " valid blocks missing from the journal");
    assertEquals(List.of(), first(extra), extra.size() + " journal entries that are no valid block");
    for (JournalRecord r : journal) {
      assertArrayEquals(oracle.blocks.get(r.key()).bytes, r.block, "block bytes of " + r.key());
      try {
        Block.wrap(r.offset, r.block);
      } catch (FormatException e) {
        fail("journal entry " + r.seq + " is not a valid block: " + e.getMessage());
      }
    }
    assertEquals(oracle.blocks.size(), journal.size());
  }

  private static List<String> first(List<String> l) {
    return l.subList(0, Math.min(l.size(), 10));
  }

  private static List<String> keys(List<SpanBlock> blocks) {
    return blocks.stream().map(SpanBlock::key).toList();
  }

  /** One journal excerpt: {@code seq | file ID | offset | block}, as docs/shipper-journal.md lays it out. */
  private record JournalRecord(long seq, UUID fileId, long offset, byte[] block) {
    static JournalRecord of(JournalFixtures.Raw raw) {
      ByteBuffer b = ByteBuffer.wrap(raw.bytes());
      long seq = b.getLong();
      assertEquals(raw.seq(), seq);
      UUID id = new UUID(b.getLong(), b.getLong());
      long offset = b.getLong();
      byte[] block = new byte[b.remaining()];
      b.get(block);
      return new JournalRecord(seq, id, offset, block);
    }

    String key() {
      return fileId + "@" + offset;
    }

    boolean sameAs(JournalRecord o) {
      return seq == o.seq && fileId.equals(o.fileId) && offset == o.offset && Arrays.equals(block, o.block);
    }

    @Override
    public String toString() {
      return "seq " + seq + " " + key() + " (" + block.length + " bytes)";
    }
  }

  private static List<JournalRecord> pullAll(int port) throws Exception {
    List<JournalRecord> out = new ArrayList<>();
    try (PullClient client = PullClient.connect(port).login(SECRET.getBytes(UTF_8))) {
      long cursor = 1;
      while (true) {
        Batch b = client.pull(cursor, 4 << 20, 0);
        if (b.entries().isEmpty()) {
          return out;
        }
        for (BlockEntry e : b.entries()) {
          byte[] block = new byte[e.block().remaining()];
          e.block().duplicate().get(block);
          out.add(new JournalRecord(e.seq(), e.fileId(), e.offset(), block));
        }
        cursor = b.nextCursor();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Span files

  /** A valid block of a span file; records compare by identity (the bytes are an array). */
  private record SpanBlock(UUID fileId, long offset, byte[] bytes, int headerLength) {
    String key() {
      return fileId + "@" + offset;
    }

    long payloadStart() {
      return offset + headerLength;
    }

    long middleOfPayload() {
      return payloadStart() + (offset + bytes.length - payloadStart()) / 2;
    }
  }

  /** A span file as read now: its valid blocks and the problems of the bytes that are none. */
  private record SpanFile(Path path, UUID id, long size, List<SpanBlock> blocks, List<ReadProblem> problems) {}

  /** Reads a span file that will not grow any more (so a torn tail is reported). */
  private static SpanFile read(Path p) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
      FileHeader h;
      try {
        h = SpanFileReader.readHeader(ch);
      } catch (FormatException e) {
        throw new AssertionError(p + " has no valid header: " + e.getMessage(), e);
      }
      List<ReadProblem> problems = new ArrayList<>();
      BlockReader r = new BlockReader(ch, h.encode().length, problems::add);
      List<SpanBlock> blocks = new ArrayList<>();
      for (Block b; (b = r.next()) != null; ) {
        byte[] bytes = new byte[b.length()];
        b.bytes().duplicate().get(bytes);
        blocks.add(new SpanBlock(h.fileId(), b.offset(), bytes, b.header().headerLength()));
      }
      r.finish();
      return new SpanFile(p, h.fileId(), ch.size(), List.copyOf(blocks), List.copyOf(problems));
    }
  }

  /** The appender's files in a directory by their number; each directory has one writer. */
  private static TreeMap<Long, Path> spanFiles(Path dir) {
    TreeMap<Long, Path> out = new TreeMap<>();
    Set<Long> pids = new HashSet<>();
    try (Stream<Path> s = Files.list(dir)) {
      for (Path p : s.toList()) {
        Optional<SpanFileName> n = SpanFileName.parse(p.getFileName().toString());
        if (n.isPresent()) {
          out.put(n.get().seq(), p);
          pids.add(n.get().pid());
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list " + dir, e);
    }
    assertTrue(pids.size() <= 1, "one writer per directory: " + pids);
    return out;
  }

  private static long sizeOrZero(Path p) {
    try {
      return Files.size(p);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Span files (under the applications' directories) a process holds open, by real path. */
  private List<String> openSpanFiles(long pid) throws IOException {
    String apps = tmp.resolve("apps").toRealPath().toString();
    List<String> out = new ArrayList<>();
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(apps + "/")) {
            out.add(target);
          }
        } catch (NoSuchFileException e) {
          // closed meanwhile
        }
      }
    }
    out.sort(null);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Processes

  private App startApp(String name, Path dir) throws Exception {
    Path log4j = Path.of(getClass().getResource("/end-to-end-app-log4j2.xml").toURI());
    List<String> command = javaCommand();
    command.addAll(List.of("-Dlog4j2.configurationFile=" + log4j, "-Dspans.dir=" + dir,
        "-Dapp.service=" + name, "-Dapp.maxSeconds=" + APP_MAX_SECONDS, TracingApp.class.getName()));
    App app = new App(name, command);
    children.add(app);
    return app;
  }

  private ShipperProc startShipper(int run) throws Exception {
    Path log4j = Path.of(getClass().getResource("/shipper-child-log4j2.xml").toURI());
    List<String> command = javaCommand();
    command.addAll(List.of("-Dlog4j2.configurationFile=" + log4j, ShipperChild.class.getName(),
        config.toString()));
    ShipperProc s = new ShipperProc("shipper-" + run, command);
    children.add(s);
    return s;
  }

  private static List<String> javaCommand() {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-") || a.startsWith("-Dchronicle")) {
        command.add(a);
      }
    }
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path")));
    return command;
  }

  /** A child JVM: its stdout lines queued, its stderr in a file. */
  private class Child {
    final String name;
    final Process process;
    final Path stderr;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final Thread reader;

    Child(String name, List<String> command) throws IOException {
      this.name = name;
      this.stderr = tmp.resolve(name + ".err");
      this.process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
      reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            if (!line.startsWith("WRITTEN ")) {
              lines.add(line);
            }
          }
        } catch (IOException e) {
          // the child is gone
        }
      }, name + "-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    String awaitLine(Predicate<String> wanted, long seconds) throws Exception {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      while (System.nanoTime() < deadline) {
        String line = lines.poll(20, TimeUnit.MILLISECONDS);
        if (line != null && wanted.test(line)) {
          return line;
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          fail(name + " exited with " + process.exitValue() + ":\n" + tail(stderr, 100));
        }
      }
      fail(name + " did not print the expected line within " + seconds + " s:\n" + tail(stderr, 100));
      return null;
    }

    void signal(String signal) throws Exception {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
          .redirectErrorStream(true).start();
      assertTrue(kill.waitFor(10, TimeUnit.SECONDS), "kill -" + signal + " hung");
      assertEquals(0, kill.exitValue(), () -> "kill -" + signal + " " + name + " failed");
    }

    void destroy() {
      if (process.isAlive()) {
        try {
          signal("CONT"); // a frozen child would otherwise not even notice its stdin closing
        } catch (Exception | AssertionError e) {
          // it died meanwhile
        }
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** A {@link TracingApp}. */
  private final class App extends Child {
    App(String name, List<String> command) throws IOException {
      super(name, command);
    }

    void awaitStarted() throws Exception {
      awaitLine("STARTED"::equals, 60);
    }

    /** A clean stop: the appender writes its last block and closes its file. */
    void stop() throws Exception {
      OutputStream in = process.getOutputStream();
      in.write("STOP\n".getBytes(UTF_8));
      in.flush();
      awaitLine("STOPPED"::equals, 30);
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not exit after STOP");
      assertEquals(0, process.exitValue(), () -> name + " stopped badly:\n" + tail(stderr, 100));
      assertEquals("", Files.readString(stderr).strip(), name + " complained on stderr");
    }
  }

  /** A {@link ShipperChild}: the real shipper from the test's shipper.yaml. */
  private final class ShipperProc extends Child {
    int pullPort;
    int httpPort;

    ShipperProc(String name, List<String> command) throws IOException {
      super(name, command);
    }

    void awaitStarted() throws Exception {
      String[] parts = awaitLine(l -> l.startsWith("started "), 60).split(" ");
      pullPort = Integer.parseInt(parts[1]);
      httpPort = Integer.parseInt(parts[2]);
    }

    void kill() throws Exception {
      process.destroyForcibly(); // SIGKILL
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), name + " did not die within 20 s of SIGKILL");
      assertEquals(SIGKILL_EXIT, process.exitValue(), () -> name + " ended otherwise than by SIGKILL:\n"
          + tail(stderr, 100));
    }

    /** SIGTERM: an orderly stop (not Process.destroy(), which would also close its stdin). */
    void terminate() throws Exception {
      signal("TERM");
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), name + " did not stop within 30 s of SIGTERM");
      assertEquals(SIGTERM_EXIT, process.exitValue(), () -> name + " did not stop in order:\n"
          + tail(stderr, 100));
    }
  }

  private PrometheusParser metrics(ShipperProc s) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + s.httpPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return PrometheusParser.parse(r.body());
  }

  private static long counter(PrometheusParser m, String name) {
    return m.value(name).orElseThrow(() -> new AssertionError("no metric " + name)).longValue();
  }

  private static boolean await(long millis, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, UTF_8);
      return all.subList(Math.max(0, all.size() - lines), all.size()).stream()
          .collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return "(no stderr: " + e + ")";
    }
  }
}
