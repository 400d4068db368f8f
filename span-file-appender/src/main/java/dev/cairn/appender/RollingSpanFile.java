package dev.cairn.appender;

import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.ProcessInfo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The span files of one manager: opens them, writes whole blocks, rolls by size and deletes the
 * oldest past the size budget. Only the writer thread calls it, so it holds no locks.
 *
 * <p>A file is {@code <prefix>-<yyyyMMdd'T'HHmmss'Z'>-<pid>-<seq>.cairn}: the UTC time and the
 * process ID keep names from several JVMs sharing a directory apart; the zero-padded sequence
 * orders one process's files created within the same second.
 */
final class RollingSpanFile {
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final Path directory;
  private final String prefix;
  private final Pattern ownFiles;
  private final Counters counters;
  private volatile ChannelOpener opener = ChannelOpener.DEFAULT;
  private volatile Path activeFile;

  private FileChannel channel;
  private long position;
  private long headerLength;
  private int sequence;
  private ProcessInfo identity;
  private String lastError;

  RollingSpanFile(Path directory, String prefix, Counters counters) {
    this.directory = directory;
    this.prefix = prefix;
    this.ownFiles = Pattern.compile(Pattern.quote(prefix) + "-\\d{8}T\\d{6}Z-\\d+-\\d+\\.cairn");
    this.counters = counters;
  }

  void opener(ChannelOpener opener) {
    this.opener = opener;
  }

  /** The file being written, or null before the first block and after an unrecoverable error. */
  Path activeFile() {
    return activeFile;
  }

  /** The last I/O problem as a sentence, or null; reading it clears it. */
  String takeLastError() {
    String e = lastError;
    lastError = null;
    return e;
  }

  /**
   * Writes one whole block (header and payload in {@code block}), rolling first if it would take
   * the file past {@code maxFileSize}. On failure the file is cut back to where the block started,
   * so readers never meet a half-written block in the middle of a file.
   *
   * @return true when the block is in the file
   */
  boolean write(ByteBuffer block, SpanFileConfig settings) {
    int length = block.remaining();
    boolean hasBlocks = position > headerLength;
    if (channel == null || (hasBlocks && position + length > settings.maxFileSize())) {
      try {
        openNext(settings);
      } catch (IOException | RuntimeException e) {
        ioError("cannot create a span file in " + directory, e);
        return false;
      }
    }
    long at = position;
    try {
      writeFully(channel, block, at);
      position = at + length;
      return true;
    } catch (IOException | RuntimeException e) {
      ioError("writing a block to " + activeFile + " failed", e);
      try {
        channel.truncate(at);
      } catch (IOException | RuntimeException t) {
        // The file may now end in a torn block; readers report it as a torn tail. Later blocks go
        // to a fresh file, so nothing valid is ever written after the damage.
        ioError("cannot truncate " + activeFile + " back to " + at + "; rolling to a new file", t);
        closeQuietly();
      }
      return false;
    }
  }

  void close() {
    closeQuietly();
  }

  private void openNext(SpanFileConfig settings) throws IOException {
    closeQuietly();
    Files.createDirectories(directory);
    Instant now = Instant.now();
    long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    byte[] header = new FileHeader(UUID.randomUUID(), micros, processInfo(settings)).encode();
    String stamp = STAMP.format(now);
    long pid = ProcessHandle.current().pid();
    // The header is written under a temporary name and the file appears under its real name
    // only when whole (a hard link refuses an existing name, where a rename would replace it):
    // a crash never leaves a .cairn file without a readable header.
    Path tmp = directory.resolve(String.format("%s-%s-%d.cairn.tmp", prefix, stamp, pid));
    Files.deleteIfExists(tmp);
    FileChannel ch = opener.open(tmp);
    Path file;
    try {
      writeFully(ch, ByteBuffer.wrap(header), 0);
      while (true) {
        file = directory.resolve(String.format("%s-%s-%d-%06d.cairn", prefix, stamp, pid, sequence++));
        try {
          Files.createLink(file, tmp);
          break;
        } catch (FileAlreadyExistsException e) {
          // A previous JVM with the same PID (PID 1 in containers) in the same second: next number.
        }
      }
      Files.delete(tmp);
    } catch (IOException | RuntimeException e) {
      try {
        ch.close();
        Files.deleteIfExists(tmp);
      } catch (IOException | RuntimeException ignored) {
        counters.ioErrors.increment();
      }
      throw e;
    }
    channel = ch;
    headerLength = header.length;
    position = header.length;
    activeFile = file;
    counters.filesCreated.increment();
    enforceRetention(settings.maxTotalSize());
  }

  /**
   * Deletes this prefix's oldest files (by modification time, then name) while the directory's
   * total exceeds {@code maxTotal}; never the active file. Counts files of other JVMs writing the
   * same prefix to the same directory, which is the point: the budget is the directory's.
   */
  void enforceRetention(long maxTotal) {
    record Entry(Path path, long size, FileTime modified) {}
    List<Entry> files = new ArrayList<>();
    long total = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
      for (Path p : entries) {
        if (!ownFiles.matcher(p.getFileName().toString()).matches()) {
          continue;
        }
        try {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          files.add(new Entry(p, a.size(), a.lastModifiedTime()));
          total += a.size();
        } catch (IOException e) {
          // Deleted meanwhile, e.g. by another JVM's retention: nothing to count.
        }
      }
    } catch (IOException | RuntimeException e) {
      ioError("cannot list " + directory + " for retention", e);
      return;
    }
    if (total <= maxTotal) {
      return;
    }
    files.sort(Comparator.comparing(Entry::modified)
        .thenComparing(e -> e.path().getFileName().toString()));
    for (Entry e : files) {
      if (total <= maxTotal) {
        break;
      }
      if (e.path().equals(activeFile)) {
        continue;
      }
      try {
        if (Files.deleteIfExists(e.path())) {
          counters.filesDeleted.increment();
        }
        total -= e.size();
      } catch (IOException | RuntimeException ex) {
        ioError("retention cannot delete " + e.path(), ex);
      }
    }
  }

  private ProcessInfo processInfo(SpanFileConfig settings) {
    if (identity == null) {
      long startMicros = ManagementFactory.getRuntimeMXBean().getStartTime() * 1_000L;
      identity = new ProcessInfo("", hostName(), "", ProcessHandle.current().pid(), startMicros,
          Map.of("java.version", System.getProperty("java.version", ""),
              "java.vendor", System.getProperty("java.vendor", ""),
              "os.name", System.getProperty("os.name", "")));
    }
    // Service and instance may change with a reconfiguration; the rest is the process's own.
    return new ProcessInfo(settings.service(), identity.host(), settings.instance(),
        identity.pid(), identity.startMicros(), identity.tags());
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      String env = System.getenv("HOSTNAME");
      return env == null || env.isBlank() ? "unknown-host" : env;
    }
  }

  private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
    long p = at;
    while (b.hasRemaining()) {
      p += ch.write(b, p);
    }
  }

  private void closeQuietly() {
    FileChannel ch = channel;
    channel = null;
    activeFile = null;
    position = 0;
    headerLength = 0;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException | RuntimeException e) {
        ioError("cannot close a span file", e);
      }
    }
  }

  private void ioError(String what, Throwable e) {
    counters.ioErrors.increment();
    lastError = what + ": " + e;
  }
}
