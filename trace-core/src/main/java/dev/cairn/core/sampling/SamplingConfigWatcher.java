package dev.cairn.core.sampling;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Applies a sampling properties file ({@link SamplingConfigFile}) to a {@link CairnSampler} and
 * re-applies it whenever the file changes, without a restart.
 *
 * <p>{@link #start} reads the file once on the calling thread, then one daemon thread named
 * {@code cairn-sampling-reload} compares the file's modified time and size every reload interval
 * and reloads on a change. Nothing here throws into the application: a file that fails to parse
 * leaves the previous configuration in place and is logged once per bad version; a missing or
 * unreadable file leaves the current configuration in place and is logged once until it is back.
 * Replace the file by an atomic move (write a temporary file, then rename) so a half-written file
 * is never read; a file that changes while being read is read again on the next poll.
 *
 * <pre>{@code
 * CairnSampler sampler = CairnSampler.create(SamplingConfig.defaults());
 * try (SamplingConfigWatcher watcher =
 *     SamplingConfigWatcher.start(Path.of("/etc/cairn/sampling.properties"), sampler)) {
 *   // run the application; edits to the file apply within about two seconds
 * }
 * }</pre>
 */
public final class SamplingConfigWatcher implements AutoCloseable {

  /** Poll interval used by {@link #start(Path, CairnSampler)}. */
  public static final long DEFAULT_RELOAD_INTERVAL_MILLIS = 2000;

  static final String THREAD_NAME = "cairn-sampling-reload";

  private final Path file;
  private final CairnSampler sampler;
  private final long reloadIntervalMillis;
  private final System.Logger log;
  private final Thread thread;
  private volatile boolean closed;

  // Touched only by the thread running check(): the starter, then the reload thread.
  private FileVersion applied; // the version last read (applied or rejected); null: read again
  private String lastProblem; // the last missing/unreadable report, so it is logged once

  private SamplingConfigWatcher(Path file, CairnSampler sampler, long reloadIntervalMillis,
      System.Logger log) {
    this.file = file;
    this.sampler = sampler;
    this.reloadIntervalMillis = reloadIntervalMillis;
    this.log = log;
    this.thread = new Thread(this::run, THREAD_NAME);
    thread.setDaemon(true);
  }

  /** Watches {@code file} with the default reload interval of two seconds. */
  public static SamplingConfigWatcher start(Path file, CairnSampler sampler) {
    return start(file, sampler, DEFAULT_RELOAD_INTERVAL_MILLIS);
  }

  /**
   * Applies {@code file} to {@code sampler} now if it is there and valid, then watches it.
   *
   * @param reloadIntervalMillis how often the file's modified time and size are compared, &ge; 1
   */
  public static SamplingConfigWatcher start(Path file, CairnSampler sampler,
      long reloadIntervalMillis) {
    return start(file, sampler, reloadIntervalMillis,
        System.getLogger(SamplingConfigWatcher.class.getName()));
  }

  static SamplingConfigWatcher start(Path file, CairnSampler sampler, long reloadIntervalMillis,
      System.Logger log) {
    requireNonNull(file, "file");
    requireNonNull(sampler, "sampler");
    requireNonNull(log, "log");
    if (reloadIntervalMillis < 1) {
      throw new IllegalArgumentException(
          "reloadIntervalMillis: " + reloadIntervalMillis + " must be >= 1");
    }
    SamplingConfigWatcher watcher =
        new SamplingConfigWatcher(file, sampler, reloadIntervalMillis, log);
    watcher.check();
    watcher.thread.start();
    return watcher;
  }

  /** The watched file. */
  public Path file() {
    return file;
  }

  /** Stops the reload thread and waits briefly for it to end. The sampler keeps its config. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    if (Thread.currentThread() != thread) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(reloadIntervalMillis);
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
        continue; // interrupted for another reason: keep watching until closed
      }
      try {
        check();
      } catch (RuntimeException e) {
        // Keep the thread alive: losing it would silently freeze the configuration.
        log.log(Level.ERROR, "unexpected failure while reloading sampling config " + file, e);
      }
    }
  }

  /** Reads and applies the file if it changed since it was last read. */
  void check() {
    FileVersion before;
    byte[] bytes;
    try {
      before = FileVersion.of(file);
      if (before.equals(applied)) {
        return;
      }
      bytes = Files.readAllBytes(file);
      if (!before.equals(FileVersion.of(file))) {
        return; // being written: read it once it has settled, on a later poll
      }
    } catch (NoSuchFileException e) {
      applied = null; // when it comes back, read it even if it looks the same
      problem("sampling config " + file + " is missing; keeping the current configuration");
      return;
    } catch (IOException e) {
      applied = null;
      problem("sampling config " + file + " cannot be read (" + e
          + "); keeping the current configuration");
      return;
    }
    lastProblem = null;
    applied = before;

    SamplingConfig config;
    try {
      String text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
      config = SamplingConfigFile.parse(text);
    } catch (CharacterCodingException e) {
      reject("the file is not valid UTF-8");
      return;
    } catch (IllegalArgumentException e) {
      reject(e.getMessage());
      return;
    }
    SamplingConfig previous = sampler.config();
    sampler.update(config);
    if (!previous.equals(config)) {
      log.log(Level.INFO, "sampling config " + file + " applied: " + config);
    }
  }

  // Called once per version read, so each bad version is logged exactly once.
  private void reject(String why) {
    log.log(Level.WARNING, "sampling config " + file + " rejected, keeping the previous one: "
        + why);
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      log.log(Level.WARNING, message);
    }
  }

  /** What a poll compares: a change in either means the file was rewritten. */
  private static final class FileVersion {
    final long modifiedNanos;
    final long size;

    private FileVersion(long modifiedNanos, long size) {
      this.modifiedNanos = modifiedNanos;
      this.size = size;
    }

    static FileVersion of(Path file) throws IOException {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return new FileVersion(
          attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS),
          attributes.size());
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FileVersion
          && ((FileVersion) o).modifiedNanos == modifiedNanos
          && ((FileVersion) o).size == size;
    }

    @Override
    public int hashCode() {
      return Objects.hash(modifiedNanos, size);
    }
  }
}
