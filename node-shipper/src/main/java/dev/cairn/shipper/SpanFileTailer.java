package dev.cairn.shipper;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockReader;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.model.ProcessInfo;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Tails span files into the journal: finds the files the globs name, reads every complete new
 * block of each with trace-core's {@link BlockReader}, appends it to the {@link Journal} and hands
 * it to the {@link TraceIndex}, and checkpoints how far each file got.
 *
 * <p><b>Exactly once across kill -9.</b> A block is journaled, then the file's next offset moves
 * past it; a checkpoint ({@link CheckpointStore}) records the offsets as of the journal's last
 * sequence number, and is only written after the appends it reflects returned. {@link #recover()}
 * loads the checkpoint and replays the journal entries after its sequence number, so each file
 * resumes just after its last journaled block even when the checkpoint lagged or is missing.
 *
 * <p><b>Files</b> are known by the file ID in their header, never by path or inode: a renamed file
 * keeps being read through its open descriptor and its path is updated; a second path with the
 * same ID (a copy, a hard link) is not read again; a deleted file is read to its end before its
 * descriptor is released; a file that shrank below the offset read is counted and logged as a
 * truncation, and reading continues from its new end (or, when another file's header is there
 * now, that is a new file). A file is <em>finished</em> when its writer will not append again:
 * the writing process (same host) has exited, or it started a newer file, or the file was deleted,
 * and it has not grown for {@link TailerOptions#finishGraceMillis}; or it has not grown for
 * {@link TailerOptions#idleFinishMillis} and its writer is not known to run. Only then is a torn
 * tail reported, and the descriptor closed. A finished file that still exists and grows after all
 * is read on from where it was finished. See {@code docs/shipper-tailer.md}.
 *
 * <p><b>Threads.</b> {@link #recover()}, {@link #pollOnce()}, {@link #checkpointIfDue()},
 * {@link #checkpoint()} and {@link #close()} are called from the ingest thread only. {@link #lag()}
 * and {@link #filesTracked()} may be called from any thread; they return what the last poll saw.
 *
 * <pre>{@code
 * SpanFileTailer tailer = new SpanFileTailer(List.of("/var/log/cairn/*" + "/"), journal, index,
 *     new CheckpointStore(stateDir.resolve("tailer.checkpoint")), metrics, TailerOptions.defaults());
 * tailer.recover();
 * while (running) {
 *   if (tailer.pollOnce() == 0) { Thread.sleep(10); }
 *   tailer.checkpointIfDue();
 * }
 * tailer.checkpoint();
 * tailer.close();
 * }</pre>
 */
final class SpanFileTailer implements Closeable {
  private static final Logger log = LogManager.getLogger(SpanFileTailer.class);
  /** A writer none of whose files was listed for this long is forgotten. */
  private static final long WRITER_FORGET_MILLIS = 24 * 3_600_000L;
  /** {@link #lag()} and {@link #filesTracked()} are refreshed at least this often. */
  private static final long PUBLISH_INTERVAL_MILLIS = 100;
  /** A caught-up file that has not grown for this long gives its reader's buffer back. */
  private static final long READER_IDLE_MILLIS = 10_000;
  private static final long ERROR_LOG_INTERVAL_MILLIS = 10_000;
  /** A time long ago that still subtracts from now without overflowing. */
  static final long NEVER = Long.MIN_VALUE / 4;
  /** More missing file numbers than this in one gap are counted without looking for each name. */
  private static final long MAX_GAP_NAMES = 100_000;

  private final List<SpanGlob> globs;
  private final Journal journal;
  private final TraceIndex index;
  private final CheckpointStore checkpoints;
  private final ShipperMetrics metrics;
  private final TailerOptions options;

  private final Map<UUID, TrackedFile> files = new LinkedHashMap<>();
  /** The files not finished, polled each time; rebuilt after scans and when a file finishes. */
  private final List<TrackedFile> active = new ArrayList<>();
  private boolean activeDirty = true;
  private long lastPublishMillis = NEVER;
  private final Map<Path, PathInfo> paths = new HashMap<>();
  private final Map<WriterKey, WriterState> writers = new HashMap<>();
  /** Paths listed but not identified that were gone at the next scan; decided one scan later. */
  private final List<Vanished> vanished = new ArrayList<>();
  /** Names of files already counted lost, so a gap in their writer's numbers is not counted twice. */
  private final Map<NameKey, Long> lostNames = new HashMap<>();

  private long lastSeq;
  private long watchingSinceMillis;
  private long lastScanMillis = Long.MIN_VALUE;
  private long lastCheckpointMillis = Long.MIN_VALUE;
  private long lastCheckpointErrorLogMillis = NEVER;
  private long lastJournalErrorLogMillis = NEVER;
  private long lastScanErrorLogMillis = NEVER;
  private boolean dirty = true;
  private int openFiles;
  /** Files known only by ID that the last scan did not find (logged as one line). */
  private int unfound;

  private volatile List<FileLag> lag = List.of();
  private volatile int tracked;

  SpanFileTailer(List<String> globs, Journal journal, TraceIndex index, CheckpointStore checkpoints,
      ShipperMetrics metrics, TailerOptions options) {
    requireNonNull(globs, "globs");
    if (globs.isEmpty()) {
      throw new IllegalArgumentException("globs: at least one span file pattern is needed");
    }
    List<SpanGlob> parsed = new ArrayList<>();
    for (String g : globs) {
      parsed.add(SpanGlob.parse(g));
    }
    this.globs = List.copyOf(parsed);
    this.journal = requireNonNull(journal, "journal");
    this.index = requireNonNull(index, "index");
    this.checkpoints = requireNonNull(checkpoints, "checkpoints");
    this.metrics = requireNonNull(metrics, "metrics");
    this.options = requireNonNull(options, "options");
    this.watchingSinceMillis = options.clock.getAsLong();
  }

  // ---------------------------------------------------------------------------------------------
  // Recovery

  /**
   * Restores every file's position: loads the checkpoint, then replays the journal entries after
   * its sequence number (all retained entries when there is no usable checkpoint), so each file
   * resumes right after its last journaled block. Writes a fresh checkpoint. Call once, before the
   * first {@link #pollOnce()}.
   */
  void recover() {
    long started = System.nanoTime();
    long now = options.clock.getAsLong();
    long journalLast = journal.lastSeq();
    Optional<CheckpointStore.Checkpoint> loaded = checkpoints.load();
    long from = 1;
    if (loaded.isPresent() && loaded.get().lastSeq() <= journalLast) {
      CheckpointStore.Checkpoint c = loaded.get();
      restore(c);
      lastSeq = c.lastSeq();
      watchingSinceMillis = c.watchingSinceMillis();
      from = c.lastSeq() + 1;
    } else {
      if (loaded.isPresent()) {
        // The journal is the truth: it lost entries the checkpoint counts (it was wiped or
        // repaired from a lagging copy). Positions come from what it holds; files it does not
        // know are read again from their start.
        log.error("The tailer checkpoint {} is at journal sequence {} but the journal ends at {}: "
            + "ignoring the checkpoint and rebuilding file positions from the journal",
            checkpoints.file(), loaded.get().lastSeq(), journalLast);
      } else if (journalLast > 0) {
        log.warn("No tailer checkpoint at {}: rebuilding file positions from the journal "
            + "(sequence {} to {})", checkpoints.file(), journal.firstSeq(), journalLast);
      }
      watchingSinceMillis = now;
    }
    long replayed = 0;
    if (journalLast >= from) {
      try (Journal.Reader reader = journal.reader()) {
        long first = reader.seek(from);
        if (first > from && loaded.isPresent() && from > 1) {
          log.warn("Journal entries {} to {} expired before the checkpoint covered them; files "
              + "whose last blocks were among them resume from the checkpoint's older offsets",
              from, first - 1);
        }
        for (JournalEntry e; (e = reader.next()) != null; ) {
          TrackedFile f = files.computeIfAbsent(e.fileId(), TrackedFile::new);
          // Assigned, not maxed: after a truncation a file's later blocks lie at lower offsets.
          f.nextOffset = e.offset() + e.block().remaining();
          f.size = Math.max(f.size, f.nextOffset);
          f.finished = false;
          f.missingSinceMillis = -1;
          lastSeq = e.seq();
          replayed++;
        }
      }
    }
    if (lastSeq != journalLast) {
      log.warn("After replay the tailer is at journal sequence {} but the journal reports {}",
          lastSeq, journalLast);
      lastSeq = Math.max(lastSeq, journalLast);
    }
    long unfinished = files.values().stream().filter(f -> !f.finished).count();
    log.info("Tailer recovered: checkpoint {} {}, {} journal entries replayed, journal at sequence "
        + "{}; {} files known ({} unfinished) in {} ms; watching {}", checkpoints.file(),
        loaded.isPresent() ? "at sequence " + loaded.get().lastSeq() : "absent", replayed, lastSeq,
        files.size(), unfinished, (System.nanoTime() - started) / 1_000_000, globs);
    dirty = true;
    checkpoint();
  }

  private void restore(CheckpointStore.Checkpoint c) {
    for (CheckpointStore.FileState s : c.files()) {
      TrackedFile f = new TrackedFile(s.fileId());
      f.path = s.path().isEmpty() ? null : Path.of(s.path());
      f.nextOffset = s.nextOffset();
      f.size = s.size();
      f.finished = s.finished();
      f.missingSinceMillis = s.missingSinceMillis();
      f.writer = s.writer().orElse(null);
      f.writerSeq = s.writerSeq();
      f.lastGrowthMillis = options.clock.getAsLong();
      files.put(f.id, f);
    }
    for (CheckpointStore.WriterState w : c.writers()) {
      WriterState state = new WriterState(w.maxSeq(), w.lastSeenMillis());
      state.newestCreatedMicros = w.newestCreatedMicros();
      writers.put(w.key(), state);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Polling

  /**
   * Lists the globs when a scan is due, then reads every complete new block of every tracked file
   * (at most {@link TailerOptions#maxBytesPerFilePerPoll} per file), journals and indexes each, and
   * finishes files whose writers are done. Never throws for a file's or the journal's trouble: it
   * logs, counts and carries on (a block that could not be journaled is retried next poll).
   *
   * @return blocks journaled
   */
  int pollOnce() {
    long now = options.clock.getAsLong();
    boolean scanned = false;
    if (lastScanMillis == Long.MIN_VALUE || now - lastScanMillis >= options.scanIntervalMillis) {
      lastScanMillis = now;
      scanned = true;
      try {
        scan(now);
      } catch (RuntimeException e) {
        metrics.ingestErrors.increment();
        if (now - lastScanErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
          lastScanErrorLogMillis = now;
          log.error("Scanning for span files failed; trying again at the next scan", e);
        }
      }
    }
    if (activeDirty) {
      active.clear();
      for (TrackedFile f : files.values()) {
        if (!f.finished) {
          active.add(f);
        }
      }
      activeDirty = false;
    }
    int blocks = 0;
    for (TrackedFile f : active) {
      if (f.finished) {
        continue; // finished during this poll
      }
      try {
        blocks += poll(f, now);
      } catch (JournalFailure e) {
        break;
      } catch (IOException | RuntimeException e) {
        metrics.ingestErrors.increment();
        f.freshReader = true;
        f.sizeAtLastRead = -1;
        if (now - f.lastErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
          f.lastErrorLogMillis = now;
          log.error("Reading {} at offset {} failed: {}; trying again", f.describe(), f.nextOffset,
              e.toString());
        }
      }
    }
    // Idle polls (the daemon's loop may poll every millisecond) publish only now and then.
    if (scanned || blocks > 0 || activeDirty
        || now - lastPublishMillis >= PUBLISH_INTERVAL_MILLIS) {
      publish(now);
    }
    return blocks;
  }

  private int poll(TrackedFile f, long now) throws IOException {
    if (!f.isOpen()) {
      if (f.path == null || f.deletedSinceMillis >= 0) {
        return 0; // not found yet, or gone: the scan decides
      }
      // Reopened when it grew, or to learn its writer (restored from a checkpoint).
      if (f.size <= f.nextOffset && f.header != null) {
        maybeFinish(f, now);
        return 0;
      }
      if (!reopen(f, now)) {
        return 0;
      }
    }
    long size = f.channel.size();
    if (size > f.size) {
      f.lastGrowthMillis = now;
    } else if (size < f.size) {
      f.freshReader = true;
      f.sizeAtLastRead = -1;
    }
    f.size = size;
    if (size < f.nextOffset) {
      truncated(f, size, now);
      if (!f.isOpen()) {
        return 0;
      }
    }
    if (size > f.nextOffset && f.behindSinceMillis < 0) {
      f.behindSinceMillis = now;
    }
    int n = 0;
    if (f.freshReader || size != f.sizeAtLastRead) {
      n = read(f, size, options.maxBytesPerFilePerPoll);
    }
    if (f.nextOffset >= f.size) {
      f.behindSinceMillis = -1;
      if (f.reader != null && f.pendingAt < 0 && now - f.lastGrowthMillis >= READER_IDLE_MILLIS) {
        f.reader = null; // its buffer is 256 KB; a new reader starts at nextOffset when it grows
      }
    }
    maybeFinish(f, now);
    return n;
  }

  /** Reads and journals blocks of an open file, at most about {@code budget} bytes of them. */
  private int read(TrackedFile f, long size, long budget) throws IOException {
    int n = 0;
    long bytes = 0;
    boolean stopped = false;
    long before = f.nextOffset;
    for (Block b; (b = nextBlock(f)) != null; ) {
      journal(f, b);
      n++;
      bytes += b.length();
      f.nextOffset = f.reader.position();
      if (bytes >= budget) {
        stopped = true;
        break;
      }
    }
    f.nextOffset = f.reader.position();
    f.caughtUp = !stopped;
    f.sizeAtLastRead = stopped ? -1 : size;
    // Bytes after the last block that are not a block yet: usually one being written. The reader
    // keeps what it buffered of them; see nextBlock for when that is stale.
    f.pendingAt = !stopped && size > f.nextOffset ? f.nextOffset : -1;
    if (f.nextOffset != before) {
      dirty = true;
    }
    return n;
  }

  /**
   * The reader's next block, through a fresh reader when needed. A write the appender cut back
   * after a failure (disk full) and wrote again can leave the reader holding bytes of the failed
   * write; the region those bytes make up is then reported corrupt exactly where the last read
   * left unfinished bytes. Such a report is not trusted at once: the region is read again through
   * a fresh reader, once, and only counted if it is still corrupt. The block the old reader
   * returned after the region comes again from the fresh reader.
   */
  private Block nextBlock(TrackedFile f) throws IOException {
    if (f.reader == null || f.freshReader) {
      f.reader = new BlockReader(f.channel, f.nextOffset, p -> problem(f, p));
      f.freshReader = false;
    }
    while (true) {
      Block b = f.reader.next();
      if (f.retryFrom < 0) {
        return b;
      }
      long from = f.retryFrom;
      f.retryFrom = -1;
      f.retriedAt = from;
      f.reader = new BlockReader(f.channel, from, p -> problem(f, p));
    }
  }

  private void journal(TrackedFile f, Block b) {
    long seq;
    try {
      seq = journal.append(f.id, b.offset(), b.bytes());
    } catch (RuntimeException e) {
      long last;
      try {
        last = journal.lastSeq();
      } catch (RuntimeException again) {
        last = lastSeq;
      }
      if (last <= lastSeq) {
        metrics.ingestErrors.increment();
        // Not journaled: resume at this block next poll, through a fresh reader.
        f.nextOffset = b.offset();
        f.freshReader = true;
        f.sizeAtLastRead = -1;
        long now = options.clock.getAsLong();
        if (now - lastJournalErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
          lastJournalErrorLogMillis = now;
          log.error("Cannot journal the block at offset {} of {}: {}; retrying", b.offset(),
              f.describe(), e.toString());
        }
        throw new JournalFailure();
      }
      // The append got through before it failed (e.g. while closing): it is journaled.
      log.warn("Journal append of the block at offset {} of {} reported {} but the journal holds "
          + "sequence {}; counting it as journaled", b.offset(), f.describe(), e.toString(), last);
      seq = last;
    }
    lastSeq = seq;
    dirty = true;
    metrics.blocksJournaled.increment();
    metrics.recordsJournaled.add(b.header().recordCount());
    metrics.bytesRead.add(b.length());
    try {
      index.add(seq, b.bytes());
    } catch (RuntimeException e) {
      metrics.ingestErrors.increment();
      long now = options.clock.getAsLong();
      if (now - lastJournalErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
        lastJournalErrorLogMillis = now;
        log.error("Cannot index journal sequence {} (offset {} of {}): {}", seq, b.offset(),
            f.describe(), e.toString());
      }
    }
  }

  private void problem(TrackedFile f, ReadProblem p) {
    if (p.kind() == ReadProblem.Kind.CORRUPT && p.offset() == f.pendingAt
        && f.retriedAt != p.offset()) {
      f.retryFrom = p.offset(); // see nextBlock
      return;
    }
    switch (p.kind()) {
      case CORRUPT -> {
        metrics.corruptRegions.increment();
        metrics.corruptBytes.add(p.length());
      }
      case UNSUPPORTED_VERSION -> metrics.unsupportedBlocks.increment();
      case TORN_TAIL -> metrics.tornTails.increment();
    }
    log.warn("{}: {}", f.describe(), p.message());
  }

  /**
   * The file is smaller than the offset already read. Same header (or none left): continue from
   * the new end. Another file's header: the old file ends here; the scan finds the new one.
   */
  private void truncated(TrackedFile f, long size, long now) throws IOException {
    metrics.truncations.increment();
    dirty = true;
    long readTo = f.nextOffset;
    byte[] prefix = new byte[FileHeader.FILE_ID_OFFSET + 16];
    int n = readFully(f.channel, prefix, 0);
    UUID now28 = n == prefix.length && startsWithMagic(prefix) ? uuidAt(prefix) : null;
    if (now28 != null && !now28.equals(f.id)) {
      log.warn("{} shrank to {} bytes after being read up to offset {} and now holds another span "
          + "file ({}): the old file ends here", f.describe(), size, readTo, now28);
      f.size = size;
      f.nextOffset = size;
      closeChannel(f);
      f.finished = true;
      activeDirty = true;
      f.caughtUp = true;
      f.missingSinceMillis = -1;
      metrics.filesFinished.increment();
      return;
    }
    long resume = now28 != null && f.headerLength > 0 ? Math.max(size, f.headerLength) : size;
    log.warn("{} was truncated: it shrank to {} bytes after being read up to offset {}{}; "
        + "continuing from offset {}", f.describe(), size, readTo,
        now28 == null ? " and its header is gone" : "", resume);
    f.nextOffset = resume;
    f.freshReader = true;
    f.sizeAtLastRead = -1;
    f.pendingAt = -1;
    f.behindSinceMillis = -1;
    f.lastGrowthMillis = now;
  }

  private void maybeFinish(TrackedFile f, long now) throws IOException {
    if (!f.caughtUp && f.isOpen()) {
      return;
    }
    if (now - f.lastFinishCheckMillis < Math.min(options.scanIntervalMillis, 1_000)) {
      return;
    }
    f.lastFinishCheckMillis = now;
    String reason = finishReason(f, now - f.lastGrowthMillis);
    if (reason != null) {
      finish(f, reason, now);
    }
  }

  private String finishReason(TrackedFile f, long quietMillis) {
    ProcessProbe.Liveness writer = f.header == null ? ProcessProbe.Liveness.UNKNOWN
        : options.processProbe.check(f.header.process());
    if (writer == ProcessProbe.Liveness.DEAD) {
      ProcessInfo p = f.header.process();
      return "its writer (pid " + p.pid() + " on " + p.host() + ") has exited";
    }
    if (quietMillis >= options.finishGraceMillis) {
      WriterState w = f.writer == null ? null : writers.get(f.writer);
      // Newer by creation time; by number only without a header. A writer that restarted its
      // numbering (a new appender manager) makes lower numbers that are still newer files.
      boolean newer = w != null && (f.header != null && w.newestCreatedMicros >= 0
          ? w.newestCreatedMicros > f.header.createdMicros()
          : w.maxSeq > f.writerSeq);
      if (newer) {
        return "its writer has moved on to a newer file";
      }
      if (f.deletedSinceMillis >= 0) {
        return "it was deleted or moved away";
      }
    }
    if (quietMillis >= options.idleFinishMillis && writer != ProcessProbe.Liveness.ALIVE) {
      return "it has not grown for " + quietMillis / 1000 + " s";
    }
    return null;
  }

  /** Reads what is left, classifies the tail (torn or corrupt), releases the descriptor. */
  private void finish(TrackedFile f, String reason, long now) throws IOException {
    if (!f.isOpen() && f.size > f.nextOffset && f.deletedSinceMillis < 0 && f.path != null) {
      if (!reopen(f, now)) {
        return;
      }
    }
    if (f.isOpen()) {
      for (Block b; (b = nextBlock(f)) != null; ) {
        journal(f, b);
        f.nextOffset = f.reader.position();
      }
      f.pendingAt = -1; // what finish() reports about the tail is final
      f.reader.finish();
      f.nextOffset = f.reader.position();
      f.size = Math.max(f.size, f.nextOffset);
      closeChannel(f);
    }
    f.finished = true;
    activeDirty = true;
    f.caughtUp = true;
    f.behindSinceMillis = -1;
    dirty = true;
    metrics.filesFinished.increment();
    log.debug("Finished {} at offset {}: {}", f.describe(), f.nextOffset, reason);
  }

  // ---------------------------------------------------------------------------------------------
  // Scanning

  private void scan(long now) {
    Map<Path, BasicFileAttributes> listed = new TreeMap<>();
    boolean complete = true;
    for (SpanGlob g : globs) {
      try {
        g.list(listed);
      } catch (IOException | RuntimeException e) {
        complete = false;
        metrics.ingestErrors.increment();
        if (now - lastScanErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
          lastScanErrorLogMillis = now;
          log.error("Cannot list span files for '{}': {}", g, e.toString());
        }
      }
    }
    Set<Object> listedKeys = new HashSet<>();
    Map<NameKey, Path> listedNames = new HashMap<>();
    for (Map.Entry<Path, BasicFileAttributes> e : listed.entrySet()) {
      if (e.getValue().fileKey() != null) {
        listedKeys.add(e.getValue().fileKey());
      }
      NameKey k = NameKey.of(e.getKey());
      if (k != null) {
        listedNames.put(k, e.getKey());
      }
    }

    if (complete) {
      decideVanished(listedKeys, now);
    }
    for (Iterator<Map.Entry<Path, PathInfo>> it = paths.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<Path, PathInfo> e = it.next();
      if (!listed.containsKey(e.getKey())) {
        it.remove();
        PathInfo info = e.getValue();
        if (complete && (info.status == PathStatus.NEW || info.status == PathStatus.WAITING)) {
          vanished.add(new Vanished(e.getKey(), info.fileKey, info.size));
        }
      }
    }

    // Pass 1: identify every listed path (a header read only for paths new or changed).
    Map<Path, Opened> opened = new HashMap<>();
    Map<UUID, List<Path>> byId = new LinkedHashMap<>();
    for (Map.Entry<Path, BasicFileAttributes> e : listed.entrySet()) {
      Path p = e.getKey();
      BasicFileAttributes a = e.getValue();
      PathInfo info = paths.get(p);
      Object key = a.fileKey();
      if (info == null || key == null || !key.equals(info.fileKey) || a.size() < info.size) {
        info = new PathInfo(key, a.size(), now);
        paths.put(p, info);
      } else if (a.size() > info.size) {
        info.size = a.size();
        info.lastGrowthMillis = now;
        if (info.status == PathStatus.DONE) {
          info.status = PathStatus.NEW; // counted torn at creation, and yet it got a header
        }
      }
      boolean changed = info.status == PathStatus.WAITING && info.size != info.triedSize;
      if (info.status == PathStatus.NEW || changed) {
        identify(p, info, now, opened);
      } else if (info.status == PathStatus.WAITING) {
        waitingTooLong(p, info, now);
      }
      if (info.status == PathStatus.IDENTIFIED) {
        byId.computeIfAbsent(info.fileId, id -> new ArrayList<>()).add(p);
      }
    }

    // Pass 2: bind file IDs to tracked files: new files, renames, copies, revivals.
    for (TrackedFile f : files.values()) {
      f.seenThisScan = false;
    }
    List<TrackedFile> discovered = new ArrayList<>();
    for (Map.Entry<UUID, List<Path>> e : byId.entrySet()) {
      TrackedFile f = files.get(e.getKey());
      List<Path> at = e.getValue();
      if (f == null) {
        f = discover(at, opened, now);
        if (f == null) {
          continue;
        }
        discovered.add(f);
      } else {
        bind(f, at, now);
      }
      f.seenThisScan = true;
      for (Path alias : at) {
        PathInfo info = paths.get(alias);
        if (!alias.equals(f.path) && !info.aliasLogged) {
          info.aliasLogged = true;
          log.info("{} has the same file ID as {} (a copy or another link): read once, from {}",
              alias, f.path, f.path);
        }
      }
      if (f.writer != null) {
        WriterState w = writers.get(f.writer);
        if (w != null) {
          w.lastSeenMillis = now;
        }
      }
    }
    for (Opened o : opened.values()) {
      closeQuietly(o.channel);
    }

    // Pass 3: tracked files not listed under any path. A listing that failed proves no absence.
    unfound = 0;
    for (Iterator<TrackedFile> it = files.values().iterator(); complete && it.hasNext(); ) {
      TrackedFile f = it.next();
      if (f.seenThisScan) {
        f.missingSinceMillis = -1;
        continue;
      }
      if (f.finished) {
        if (f.missingSinceMillis < 0) {
          f.missingSinceMillis = now;
          dirty = true;
        } else if (now - f.missingSinceMillis >= options.forgetAfterMillis) {
          it.remove();
          dirty = true;
        }
        continue;
      }
      if (headerGoneButSameFile(f, listed)) {
        continue;
      }
      pathGone(f, now);
    }
    if (unfound > 0) {
      log.info("{} span files known only from the journal are not under the watched paths; "
          + "assuming they were read to their end", unfound);
    }

    checkSequences(discovered, listedNames, now);
    // Writers are kept much longer than files: forgetting one that still writes would make its
    // next file look like the first of a new writer, and every earlier number a loss.
    writers.values().removeIf(w -> now - w.lastSeenMillis >= WRITER_FORGET_MILLIS);
    lostNames.values().removeIf(t -> now - t >= WRITER_FORGET_MILLIS);
    activeDirty = true;
  }

  /** Reads the header of a listed path; on success leaves its open channel in {@code opened}. */
  private void identify(Path p, PathInfo info, long now, Map<Path, Opened> opened) {
    info.triedSize = info.size;
    FileChannel ch = null;
    try {
      ch = FileChannel.open(p, StandardOpenOption.READ);
      long size = ch.size();
      byte[] prefix = new byte[FileHeader.PREFIX_LENGTH];
      int n = readFully(ch, prefix, 0);
      if (!magicSoFar(prefix, n)) {
        info.status = PathStatus.BAD;
        metrics.ingestErrors.increment();
        log.warn("{} is not a Cairn span file (bad magic at offset 0); ignored", p);
        return;
      }
      if (n < prefix.length) {
        info.status = PathStatus.WAITING;
        waitingTooLong(p, info, now);
        return;
      }
      int length;
      try {
        length = FileHeader.length(prefix, 0);
      } catch (FormatException e) {
        badHeader(p, info, size, e);
        return;
      }
      if (size < length) {
        info.status = PathStatus.WAITING;
        waitingTooLong(p, info, now);
        return;
      }
      byte[] all = new byte[length];
      if (readFully(ch, all, 0) < length) {
        info.status = PathStatus.WAITING;
        return;
      }
      FileHeader header;
      try {
        header = FileHeader.decode(all, 0, length);
      } catch (FormatException e) {
        badHeader(p, info, size, e);
        return;
      }
      info.status = PathStatus.IDENTIFIED;
      info.fileId = header.fileId();
      info.headerLength = length;
      // Kept open for a new file, so one deleted right after this scan can still be read; but
      // never more descriptors than the limit, even while thousands of files are identified.
      long kept = opened.values().stream().filter(o -> o.channel != null).count();
      if (openFiles + kept < options.maxOpenFiles) {
        opened.put(p, new Opened(ch, header, length));
        ch = null;
      } else {
        opened.put(p, new Opened(null, header, length));
      }
    } catch (NoSuchFileException e) {
      paths.remove(p);
      vanished.add(new Vanished(p, info.fileKey, info.size));
    } catch (IOException | RuntimeException e) {
      // Left NEW: tried again at the next scan, not in a loop.
      info.status = PathStatus.NEW;
      metrics.ingestErrors.increment();
      if (now - info.lastErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
        info.lastErrorLogMillis = now;
        log.warn("Cannot read the header of {}: {}", p, e.toString());
      }
    } finally {
      closeQuietly(ch);
    }
  }

  private void badHeader(Path p, PathInfo info, long size, FormatException e) {
    // Never retried while the file stays the same (same file key, not shrunk): no loop on it.
    info.status = PathStatus.BAD;
    if (e.getMessage() != null && e.getMessage().contains("newer than this reader")) {
      metrics.unsupportedBlocks.increment();
      log.warn("{}: {}; the file is skipped", p, e.getMessage());
    } else {
      metrics.corruptRegions.increment();
      metrics.corruptBytes.add(size);
      log.error("{}: {}; the file ({} bytes) cannot be identified and is skipped", p,
          e.getMessage(), size);
    }
  }

  /** A listed file without a whole header: the writer may be creating it; count it once it is
   *  clearly abandoned. */
  private void waitingTooLong(Path p, PathInfo info, long now) {
    if (now - info.lastGrowthMillis >= options.idleFinishMillis) {
      info.status = PathStatus.DONE;
      metrics.tornTails.increment();
      log.warn("{} has {} bytes and no complete span file header after {} s: torn at creation; "
          + "skipped", p, info.size, (now - info.lastGrowthMillis) / 1000);
    }
  }

  private TrackedFile discover(List<Path> at, Map<Path, Opened> opened, long now) {
    // Two paths with one file ID from the start: read the larger, likely the original that grows.
    Path p = null;
    for (Path candidate : at) {
      if (opened.containsKey(candidate)
          && (p == null || paths.get(candidate).size > paths.get(p).size)) {
        p = candidate;
      }
    }
    Opened o = p == null ? null : opened.remove(p);
    if (o == null) {
      // Identified by an earlier scan but no longer tracked: read its header again next scan.
      for (Path candidate : at) {
        paths.get(candidate).status = PathStatus.NEW;
      }
      return null;
    }
    PathInfo info = paths.get(p);
    TrackedFile f = new TrackedFile(o.header.fileId());
    f.path = p;
    f.fileKey = info.fileKey;
    f.header = o.header;
    f.headerLength = o.headerLength;
    f.nextOffset = o.headerLength;
    f.size = info.size;
    f.lastGrowthMillis = now;
    SpanFileName name = SpanFileName.parse(p.getFileName().toString()).orElse(null);
    ProcessInfo process = o.header.process();
    if (name != null && name.pid() == process.pid() && p.getParent() != null) {
      f.writer = new WriterKey(p.getParent().toString(), name.prefix(), process.pid(),
          process.startMicros());
      f.writerSeq = name.seq();
    }
    files.put(f.id, f);
    dirty = true;
    metrics.filesDiscovered.increment();
    if (o.channel != null && (openFiles < options.maxOpenFiles || evictIdle())) {
      f.channel = o.channel;
      openFiles++;
    } else {
      closeQuietly(o.channel); // read later, through a descriptor opened by path
    }
    log.debug("Tailing {} from offset {} (written by {} pid {} on {})", f.describe(),
        f.nextOffset, process.service(), process.pid(), process.host());
    return f;
  }

  private void bind(TrackedFile f, List<Path> at, long now) {
    Path p = f.path != null && at.contains(f.path) ? f.path : at.get(0);
    for (Path other : at) {
      if (paths.get(other).size > paths.get(p).size) {
        p = other;
      }
    }
    PathInfo info = paths.get(p);
    if (f.path != null && at.contains(f.path) && !p.equals(f.path)) {
      // Same file ID at two paths and the other one has more: it is the one being written (the
      // path read so far was a copy). Same bytes up to here, so reading goes on at the same offset.
      log.info("{}: {} has the same file ID and more bytes; reading on from there", f.describe(),
          p);
      closeChannel(f);
      f.path = p;
      dirty = true;
    } else if (!p.equals(f.path)) {
      if (f.path != null && !f.finished) {
        log.info("{} was renamed to {}{}", f.describe(), p,
            f.isOpen() ? "; reading on through the open descriptor" : "");
      }
      f.path = p;
      dirty = true;
    }
    f.fileKey = info.fileKey;
    if (info.headerLength > 0) {
      f.headerLength = info.headerLength;
    }
    if (f.deletedSinceMillis >= 0) {
      f.deletedSinceMillis = -1;
    }
    if (!f.isOpen() && info.size < f.nextOffset) {
      // Same header, fewer bytes than were read: truncated while no descriptor was open.
      metrics.truncations.increment();
      long resume = Math.max(info.size, f.headerLength);
      log.warn("{} was truncated: it shrank to {} bytes after being read up to offset {}; "
          + "continuing from offset {}", f.describe(), info.size, f.nextOffset, resume);
      f.nextOffset = resume;
      f.size = info.size;
      f.freshReader = true;
      f.sizeAtLastRead = -1;
      dirty = true;
    }
    if (f.finished) {
      if (info.size > f.nextOffset) {
        log.info("{} grew after it was finished; reading on from offset {}", f.describe(),
            f.nextOffset);
        f.finished = false;
        activeDirty = true;
        f.lastGrowthMillis = now;
        f.freshReader = true;
        f.sizeAtLastRead = -1;
        f.size = info.size;
        dirty = true;
      }
    } else if (!f.isOpen()) {
      if (info.size > f.size) {
        f.lastGrowthMillis = now;
      }
      f.size = info.size;
    }
  }

  /** A tracked file's path is listed but its header is unreadable now (truncated or zeroed in
   *  place); the descriptor still holds the same file, so it stays bound. */
  private boolean headerGoneButSameFile(TrackedFile f, Map<Path, BasicFileAttributes> listed) {
    if (f.path == null || !f.isOpen() || !listed.containsKey(f.path)) {
      return false;
    }
    PathInfo info = paths.get(f.path);
    return info != null && info.status != PathStatus.IDENTIFIED && f.fileKey != null
        && f.fileKey.equals(info.fileKey);
  }

  private void pathGone(TrackedFile f, long now) {
    if (f.isOpen()) {
      if (f.deletedSinceMillis < 0) {
        f.deletedSinceMillis = now;
        // Routine with rotation and retention: the appender deletes old files.
        log.debug("{} was deleted or moved out of the watched paths; reading it to its end "
            + "through the open descriptor", f.describe());
      }
      return;
    }
    // No descriptor: nothing more can be read from it.
    f.finished = true;
    activeDirty = true;
    f.caughtUp = true;
    f.missingSinceMillis = now;
    dirty = true;
    metrics.filesFinished.increment();
    if (f.size > f.nextOffset) {
      metrics.filesLost.increment();
      log.warn("{} disappeared with {} bytes unread (read up to offset {} of at least {}): they "
          + "are lost", f.describe(), f.size - f.nextOffset, f.nextOffset, f.size);
    } else if (f.path == null) {
      unfound++;
    } else {
      log.debug("{} is gone; it was read to offset {}", f.describe(), f.nextOffset);
    }
  }

  private void decideVanished(Set<Object> listedKeys, long now) {
    for (Vanished v : vanished) {
      if (v.fileKey != null && listedKeys.contains(v.fileKey)) {
        continue; // renamed: the scan identifies it under its new name
      }
      metrics.filesLost.increment();
      NameKey k = NameKey.of(v.path);
      if (k != null) {
        lostNames.put(k, now);
      }
      log.warn("{} ({} bytes) disappeared before its header could be read: lost", v.path, v.size);
    }
    vanished.clear();
  }

  /** Counts files a writer numbered but nobody saw (deleted before any scan listed them). */
  private void checkSequences(List<TrackedFile> discovered, Map<NameKey, Path> listedNames,
      long now) {
    Map<WriterKey, List<Long>> seqs = new HashMap<>();
    Map<WriterKey, Long> created = new HashMap<>();
    for (TrackedFile f : discovered) {
      if (f.writer != null) {
        seqs.computeIfAbsent(f.writer, k -> new ArrayList<>()).add(f.writerSeq);
        created.merge(f.writer, f.header.createdMicros(), Math::max);
      }
    }
    for (Map.Entry<WriterKey, List<Long>> e : seqs.entrySet()) {
      WriterKey w = e.getKey();
      List<Long> s = e.getValue();
      s.sort(null);
      WriterState state = writers.get(w);
      boolean count = true;
      if (state == null) {
        // A writer that started before the shipper watched: gaps in the files it left before are
        // not the shipper's losses. One that started later must have had all its files seen.
        count = w.startMicros() / 1_000 >= watchingSinceMillis;
        state = new WriterState(-1, now);
        writers.put(w, state);
      }
      long expected = state.maxSeq + 1;
      for (long seq : s) {
        if (count && seq > expected) {
          countGap(w, expected, seq - 1, listedNames, now);
        }
        // A lower number than seen before: the writer restarted its numbering (a new manager).
        expected = Math.max(expected, seq + 1);
        state.maxSeq = Math.max(state.maxSeq, seq);
      }
      state.newestCreatedMicros = Math.max(state.newestCreatedMicros, created.get(w));
      state.lastSeenMillis = now;
      dirty = true;
    }
  }

  private void countGap(WriterKey w, long from, long to, Map<NameKey, Path> listedNames, long now) {
    long lost = 0;
    long first = -1;
    long last = -1;
    for (long k = from; k <= to; k++) {
      if (to - from < MAX_GAP_NAMES) {
        NameKey name = new NameKey(w.directory(), w.prefix(), w.pid(), k);
        // Already counted as vanished, or the number is taken by a file listed now (another JVM
        // with the same pid made that name in the same second, or it is not identified yet).
        if (lostNames.containsKey(name) || listedNames.containsKey(name)) {
          continue;
        }
        lostNames.put(name, now);
      }
      lost++;
      if (first < 0) {
        first = k;
      }
      last = k;
    }
    if (lost > 0) {
      metrics.filesLost.add(lost);
      log.warn("{} span file(s) of writer pid {} ('{}' files in {}) numbered {} to {} were deleted "
          + "before the shipper saw them: lost", lost, w.pid(), w.prefix(), w.directory(), first,
          last);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Descriptors

  private boolean reopen(TrackedFile f, long now) throws IOException {
    if (openFiles >= options.maxOpenFiles && !evictIdle()) {
      return false;
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(f.path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      pathGone(f, now);
      return false;
    }
    FileHeader header;
    int length;
    try {
      byte[] prefix = new byte[FileHeader.PREFIX_LENGTH];
      if (readFully(ch, prefix, 0) < prefix.length) {
        throw new FormatException("no header");
      }
      length = FileHeader.length(prefix, 0);
      byte[] all = new byte[length];
      if (readFully(ch, all, 0) < length) {
        throw new FormatException("header cut short");
      }
      header = FileHeader.decode(all, 0, length);
    } catch (FormatException e) {
      closeQuietly(ch);
      // The scan re-identifies the path; until then there is nothing to read here.
      paths.remove(f.path);
      return false;
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
    if (!header.fileId().equals(f.id)) {
      closeQuietly(ch);
      paths.remove(f.path);
      return false;
    }
    f.channel = ch;
    f.header = header;
    f.headerLength = length;
    f.nextOffset = Math.max(f.nextOffset, length);
    f.reader = null;
    f.freshReader = true;
    f.sizeAtLastRead = -1;
    openFiles++;
    if (f.writer == null && f.path.getParent() != null) {
      SpanFileName name = SpanFileName.parse(f.path.getFileName().toString()).orElse(null);
      if (name != null && name.pid() == header.process().pid()) {
        f.writer = new WriterKey(f.path.getParent().toString(), name.prefix(),
            header.process().pid(), header.process().startMicros());
        f.writerSeq = name.seq();
      }
    }
    WriterState w = f.writer == null ? null : writers.get(f.writer);
    if (w != null) {
      w.newestCreatedMicros = Math.max(w.newestCreatedMicros, header.createdMicros());
    }
    return true;
  }

  /** Closes the descriptor of the idlest file that is fully read and still on disk. */
  private boolean evictIdle() {
    TrackedFile victim = null;
    for (TrackedFile f : files.values()) {
      if (f.isOpen() && !f.finished && f.caughtUp && f.deletedSinceMillis < 0 && f.path != null
          && f.sizeAtLastRead == f.size && f.nextOffset >= f.size
          && (victim == null || f.lastGrowthMillis < victim.lastGrowthMillis)) {
        victim = f;
      }
    }
    if (victim == null) {
      return false;
    }
    closeChannel(victim);
    return true;
  }

  private void closeChannel(TrackedFile f) {
    if (f.channel != null) {
      closeQuietly(f.channel);
      f.channel = null;
      openFiles--;
    }
    f.reader = null;
    f.freshReader = true;
    f.sizeAtLastRead = -1;
    f.pendingAt = -1;
  }

  // ---------------------------------------------------------------------------------------------
  // Checkpoints

  /** Writes a checkpoint when something changed and the last one is older than the interval. */
  void checkpointIfDue() {
    long now = options.clock.getAsLong();
    if (dirty && (lastCheckpointMillis == Long.MIN_VALUE
        || now - lastCheckpointMillis >= options.checkpointIntervalMillis)) {
      checkpoint();
    }
  }

  /**
   * Writes the checkpoint now (atomically: temp file, fsync, rename, fsync of the directory).
   * Failures are logged and counted; the next call tries again.
   */
  void checkpoint() {
    long now = options.clock.getAsLong();
    lastCheckpointMillis = now;
    List<CheckpointStore.FileState> states = new ArrayList<>(files.size());
    for (TrackedFile f : files.values()) {
      states.add(new CheckpointStore.FileState(f.id, f.path == null ? "" : f.path.toString(),
          f.nextOffset, f.size, f.finished, f.missingSinceMillis, Optional.ofNullable(f.writer),
          f.writer == null ? -1 : f.writerSeq));
    }
    List<CheckpointStore.WriterState> ws = new ArrayList<>(writers.size());
    for (Map.Entry<WriterKey, WriterState> e : writers.entrySet()) {
      WriterState w = e.getValue();
      ws.add(new CheckpointStore.WriterState(e.getKey(), w.maxSeq, w.newestCreatedMicros,
          w.lastSeenMillis));
    }
    try {
      checkpoints.save(new CheckpointStore.Checkpoint(lastSeq, watchingSinceMillis, states, ws));
      dirty = false;
    } catch (IOException | RuntimeException e) {
      metrics.ingestErrors.increment();
      if (now - lastCheckpointErrorLogMillis >= ERROR_LOG_INTERVAL_MILLIS) {
        lastCheckpointErrorLogMillis = now;
        log.error("Cannot write the tailer checkpoint {}: {}", checkpoints.file(), e.toString());
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Gauges (any thread)

  /** Per file still tailed: how much is unread and for how long, as of the last poll. */
  List<FileLag> lag() {
    return lag;
  }

  /** Files being tailed (not finished), as of the last poll. */
  int filesTracked() {
    return tracked;
  }

  /** Descriptors open now; ingest thread only. */
  int openFiles() {
    return openFiles;
  }

  /** The journal sequence number of the last block journaled (or replayed at recovery). */
  long lastSeq() {
    return lastSeq;
  }

  private void publish(long now) {
    lastPublishMillis = now;
    List<FileLag> out = new ArrayList<>();
    for (TrackedFile f : files.values()) {
      if (!f.finished) {
        out.add(new FileLag(Optional.ofNullable(f.path), f.id, f.unreadBytes(),
            f.behindSinceMillis < 0 ? 0 : Math.max(0, now - f.behindSinceMillis)));
      }
    }
    tracked = out.size();
    lag = List.copyOf(out);
  }

  /** Closes every descriptor. Call {@link #checkpoint()} first on a clean stop. */
  @Override
  public void close() {
    for (TrackedFile f : files.values()) {
      closeChannel(f);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private static int readFully(FileChannel ch, byte[] into, long at) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(into);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) <= 0) {
        break;
      }
    }
    return b.position();
  }

  private static boolean magicSoFar(byte[] prefix, int n) {
    for (int i = 0; i < Math.min(n, 8); i++) {
      if (prefix[i] != (byte) (FileHeader.MAGIC >>> (56 - 8 * i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsWithMagic(byte[] b) {
    return b.length >= 8 && magicSoFar(b, 8);
  }

  private static UUID uuidAt(byte[] b) {
    ByteBuffer buf = ByteBuffer.wrap(b, FileHeader.FILE_ID_OFFSET, 16);
    return new UUID(buf.getLong(), buf.getLong());
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        log.debug("Closing a span file failed: {}", e.toString());
      }
    }
  }

  /** Thrown to stop a poll when the journal refuses an append. */
  private static final class JournalFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JournalFailure() {
      super(null, null, false, false);
    }
  }

  private enum PathStatus {
    /** Listed, header not read yet. */
    NEW,
    /** Shorter than its header: the writer may be creating it. */
    WAITING,
    /** Header read: {@link PathInfo#fileId} is set. */
    IDENTIFIED,
    /** Not a span file, or its header is corrupt or of a newer version; counted once. */
    BAD,
    /** Never got a header; counted as torn at creation. */
    DONE
  }

  /** What the last scans learnt about one listed path. Replaced when the path's file key changes
   *  or it shrinks, so a new file at a path is always identified afresh. */
  private static final class PathInfo {
    final Object fileKey;
    long size;
    long triedSize = -1;
    long lastGrowthMillis;
    long lastErrorLogMillis = NEVER;
    PathStatus status = PathStatus.NEW;
    UUID fileId;
    int headerLength = -1;
    boolean aliasLogged;

    PathInfo(Object fileKey, long size, long now) {
      this.fileKey = fileKey;
      this.size = size;
      this.lastGrowthMillis = now;
    }
  }

  private record Opened(FileChannel channel, FileHeader header, int headerLength) {}

  private record Vanished(Path path, Object fileKey, long size) {}

  /** A writer's file number, by name: directory, prefix, pid, sequence number. */
  private record NameKey(String directory, String prefix, long pid, long seq) {
    static NameKey of(Path p) {
      if (p.getParent() == null) {
        return null;
      }
      return SpanFileName.parse(p.getFileName().toString())
          .map(n -> new NameKey(p.getParent().toString(), n.prefix(), n.pid(), n.seq()))
          .orElse(null);
    }
  }

  private static final class WriterState {
    long maxSeq;
    /** The latest creation time among its files' headers; -1 when none was read. */
    long newestCreatedMicros = -1;
    long lastSeenMillis;

    WriterState(long maxSeq, long lastSeenMillis) {
      this.maxSeq = maxSeq;
      this.lastSeenMillis = lastSeenMillis;
    }
  }
}
