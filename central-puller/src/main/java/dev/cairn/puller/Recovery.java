package dev.cairn.puller;

import static java.util.Objects.requireNonNull;

import dev.cairn.core.format.Block;
import dev.cairn.core.format.BlockDecoder;
import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import dev.cairn.store.SpanReader;
import dev.cairn.store.SpanWriter;
import dev.cairn.store.StoreException;
import dev.cairn.store.WriteBatch;
import dev.cairn.store.WriteResult;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Fills a store from a shipper's journal offline ({@code cairn recover}): every block is decoded,
 * its spans and log lines are assembled into traces by the puller's own {@link TraceAssembler}
 * (same completeness rules, same {@code parentService}, same notes) and written in batches. The
 * store's idempotency does the rest: spans already there are left as they are and counted.
 *
 * <p>The assembler runs on a clock of <em>blocks read</em>, not of time: a trace is written once
 * it is complete and {@code quietBlocks} blocks passed without a new span of it, or, incomplete,
 * {@code maxWaitBlocks} blocks after its first record (nothing can be fetched offline: it is
 * written as it is, with a partial note, unless the store already holds its missing parents). At
 * the end everything still held is written.
 *
 * <p>A block that does not verify or decode is counted {@code corrupt} and skipped; it never stops
 * the recovery. A store write that fails stops it ({@link StoreException}): the store is local and
 * recovering again is safe.
 *
 * <pre>{@code
 * Recovery.Result r = Recovery.builder(store.writer())
 *     .reader(store.reader())
 *     .progress(p -> System.err.println(p.blocks() + " blocks"), 1000)
 *     .build()
 *     .run(source, 1);
 * }</pre>
 */
public final class Recovery {
  private static final Logger LOG = LogManager.getLogger(Recovery.class);
  /** Recoveries are not pulls: the host name only keys the assembler's cursor bookkeeping. */
  private static final String HOST = "recovery";

  private final SpanWriter writer;
  private final SpanReader reader;
  private final int batchRecords;
  private final long quietBlocks;
  private final long maxWaitBlocks;
  private final int maxHeldRecords;
  private final Consumer<Result> progress;
  private final long progressMillis;

  /** Where the blocks come from: a journal copy read in sequence order. */
  public interface Source {
    /** The oldest entry's sequence number. */
    long firstSeq();

    /** The newest entry's sequence number; 0 when empty. */
    long lastSeq();

    /** Positions the source at {@code seq} (or the oldest entry); returns the next entry's seq. */
    long seek(long seq);

    /**
     * The next entry, or null at the end. Its block is valid until the next call.
     */
    Entry next();

    /** Entries the source itself had to skip (unreadable), counted as corrupt. */
    default long skipped() {
      return 0;
    }
  }

  /** One entry of a {@link Source}: its sequence number and the whole block (header and payload). */
  public record Entry(long seq, ByteBuffer block) {}

  /**
   * Counts of a recovery, final or so far.
   *
   * @param blocks blocks read (corrupt ones included)
   * @param spans spans decoded
   * @param logs log lines decoded
   * @param traces distinct trace IDs among the spans and log lines decoded
   * @param corrupt blocks that did not verify or decode, skipped
   * @param spansAdded spans the store did not have and now has
   * @param spansAlreadyPresent spans the store already had (or that appeared twice in the journal)
   * @param logsAdded log lines the store did not have
   * @param seq the sequence number of the last block read (0 before the first)
   * @param firstSeq the first sequence number to read
   * @param lastSeq the last sequence number to read
   * @param millis time since the start
   */
  public record Result(long blocks, long spans, long logs, long traces, long corrupt,
      long spansAdded, long spansAlreadyPresent, long logsAdded, long seq, long firstSeq,
      long lastSeq, long millis) {
    /** Share of the sequence range read, 0 … 100. */
    public double percent() {
      long total = lastSeq - firstSeq + 1;
      if (total <= 0) {
        return 100;
      }
      return seq < firstSeq ? 0 : Math.min(100, 100.0 * (seq - firstSeq + 1) / total);
    }
  }

  private Recovery(Builder b) {
    writer = b.writer;
    reader = b.reader;
    batchRecords = b.batchRecords;
    quietBlocks = b.quietBlocks;
    maxWaitBlocks = b.maxWaitBlocks;
    maxHeldRecords = b.maxHeldRecords;
    progress = b.progress;
    progressMillis = b.progressMillis;
  }

  public static Builder builder(SpanWriter writer) {
    return new Builder(writer);
  }

  /**
   * Reads {@code source} from {@code fromSeq} (or its oldest entry) to its end and writes what it
   * holds. One thread; not re-entrant.
   *
   * @throws StoreException when a store write fails (counts so far are in the log)
   */
  public Result run(Source source, long fromSeq) throws StoreException {
    return new Run(source).run(fromSeq);
  }

  /** One recovery's state. */
  private final class Run implements RecordVisitor {
    private final Source source;
    private final long startNanos = System.nanoTime();
    private final BlockDecoder decoder = new BlockDecoder();
    private final Set<TraceId> traces = new HashSet<>();
    private final TraceAssembler assembler;
    /** The assembler's clock: one "millisecond" per block read. */
    private long blockClock;
    private long blocks;
    private long spans;
    private long logs;
    private long corrupt;
    private long spansAdded;
    private long spansAlreadyPresent;
    private long logsAdded;
    private long seq;
    private long firstSeq;
    private long lastSeq;
    private StoreException failure;

    Run(Source source) {
      this.source = requireNonNull(source, "source");
      SpanWriter counting = batch -> write(batch);
      TraceAssembler.Builder b = TraceAssembler.builder(counting)
          .clock(() -> blockClock)
          .quietMillis(quietBlocks)
          .maxWaitMillis(maxWaitBlocks)
          .gapFetchMillis(0)
          .maxHeldRecords(maxHeldRecords)
          .maxBatchRecords(batchRecords);
      if (reader != null) {
        b.reader(reader);
      }
      assembler = b.build();
    }

    private WriteResult write(WriteBatch batch) throws StoreException {
      try {
        WriteResult r = writer.write(batch);
        spansAdded += r.spansStored();
        spansAlreadyPresent += r.spansAlreadyPresent();
        logsAdded += r.logsStored();
        return r;
      } catch (StoreException e) {
        failure = e;
        throw e;
      } catch (RuntimeException e) {
        failure = new StoreException("store write failed: " + e, e);
        throw e;
      }
    }

    Result run(long fromSeq) throws StoreException {
      lastSeq = source.lastSeq();
      firstSeq = lastSeq == 0 ? 1 : source.seek(Math.max(fromSeq, source.firstSeq()));
      long nextProgress = System.nanoTime() + progressMillis * 1_000_000L;
      for (Entry e; (e = source.next()) != null; ) {
        read(e);
        blockClock++;
        if ((blocks & 63) == 0) {
          assembler.tick();
          checkFailure();
        }
        if (progress != null && System.nanoTime() - nextProgress >= 0) {
          nextProgress = System.nanoTime() + progressMillis * 1_000_000L;
          progress.accept(result());
        }
      }
      assembler.flushAll();
      checkFailure();
      Result r = result();
      if (progress != null) {
        progress.accept(r);
      }
      return r;
    }

    private void read(Entry e) {
      seq = e.seq();
      blocks++;
      ByteBuffer b = e.block();
      byte[] bytes = new byte[b.remaining()];
      b.duplicate().get(bytes);
      try {
        decoder.decode(Block.wrap(e.seq(), bytes), this);
      } catch (FormatException ex) {
        corrupt++;
        LOG.warn("journal seq {}: block skipped, it does not decode: {}", e.seq(), ex.getMessage());
      }
      assembler.blockDone(HOST, e.seq());
    }

    @Override
    public void span(SpanRecord span) {
      spans++;
      traces.add(TraceId.of(span));
      assembler.add(span, HOST, seq);
    }

    @Override
    public void log(LogRecord log) {
      logs++;
      if (log.traceIdHigh() != 0 || log.traceIdLow() != 0) {
        traces.add(new TraceId(log.traceIdHigh(), log.traceIdLow()));
      }
      assembler.add(log, HOST, seq);
    }

    private void checkFailure() throws StoreException {
      if (failure != null) {
        throw failure;
      }
    }

    private Result result() {
      return new Result(blocks, spans, logs, traces.size(), corrupt + source.skipped(), spansAdded,
          spansAlreadyPresent + assembler.stats().duplicateSpans(), logsAdded, seq, firstSeq,
          lastSeq, (System.nanoTime() - startNanos) / 1_000_000L);
    }
  }

  /**
   * Options of a {@link Recovery}. Defaults: batches of 5,000 records, quiet 256 blocks, maximum
   * wait 4,096 blocks, 1,000,000 held records, no reader, no progress.
   */
  public static final class Builder {
    private final SpanWriter writer;
    private SpanReader reader;
    private int batchRecords = 5_000;
    private long quietBlocks = 256;
    private long maxWaitBlocks = 4_096;
    private int maxHeldRecords = 1_000_000;
    private Consumer<Result> progress;
    private long progressMillis = 1_000;

    Builder(SpanWriter writer) {
      this.writer = requireNonNull(writer, "writer");
    }

    /** Lets an incomplete trace be judged with the spans the store already holds. */
    public Builder reader(SpanReader reader) {
      this.reader = requireNonNull(reader, "reader");
      return this;
    }

    /** Spans plus log lines per store write. */
    public Builder batchRecords(int n) {
      this.batchRecords = positive(n, "batchRecords");
      return this;
    }

    /** Blocks read after a complete trace's last span before it is written (stragglers join). */
    public Builder quietBlocks(long n) {
      this.quietBlocks = positive(n, "quietBlocks");
      return this;
    }

    /** Blocks read after an incomplete trace's first record before it is written as it is. */
    public Builder maxWaitBlocks(long n) {
      this.maxWaitBlocks = positive(n, "maxWaitBlocks");
      return this;
    }

    /** Spans plus log lines held while assembling before the oldest traces are written early. */
    public Builder maxHeldRecords(int n) {
      this.maxHeldRecords = positive(n, "maxHeldRecords");
      return this;
    }

    /** Receives the counts so far every {@code intervalMillis}, and the final counts. */
    public Builder progress(Consumer<Result> callback, long intervalMillis) {
      this.progress = requireNonNull(callback, "progress");
      this.progressMillis = positive(intervalMillis, "intervalMillis");
      return this;
    }

    public Recovery build() {
      return new Recovery(this);
    }

    private static int positive(long v, String name) {
      if (v <= 0 || v > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(name + " must be positive: " + v);
      }
      return (int) v;
    }
  }
}
