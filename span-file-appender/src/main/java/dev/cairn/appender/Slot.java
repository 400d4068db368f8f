package dev.cairn.appender;

import dev.cairn.core.model.LogView;
import dev.cairn.core.model.SpanView;
import java.io.PrintWriter;
import java.io.Writer;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.util.StringBuilderFormattable;

/**
 * One preallocated ring entry. It holds either a reference to a finished span (spans are immutable
 * once handed over, so the reference is enough) or a copy of a business log line, because a
 * LogEvent may be reused by Log4j2 as soon as {@code append} returns. The copy goes into reusable
 * StringBuilders so a steady stream of log lines allocates nothing.
 *
 * <p>Written by one producer between claim and publish, then read and cleared by the writer
 * thread; the ring's sequence barrier orders the two.
 *
 * <p>The builders are made on a slot's first log line: a ring that only carries spans then holds
 * small slots next to each other in memory, so the application thread that fills one touches
 * fewer cache lines and GC cards than with each slot's builders in between.
 */
final class Slot implements LogView {
  static final byte EMPTY = 0;
  static final byte SPAN = 1;
  static final byte LOG = 2;

  /**
   * Builders grown past this many chars are shrunk when the slot is cleared: one huge message must
   * not pin its buffer in every slot for the life of the ring.
   */
  private static final int KEEP_CAPACITY = 1024;

  byte kind;
  SpanView span;

  private long traceIdHigh;
  private long traceIdLow;
  private long spanId;
  private long timeMicros;
  private String level;
  private String logger;
  private String thread;
  private StringBuilder message;
  private StringBuilder thrown;

  void setSpan(SpanView s) {
    span = s;
    kind = SPAN;
  }

  /** Copies a log line. May throw if the message's own formatting throws; the caller handles it. */
  void setLog(long traceHigh, long traceLow, long spanId, long timeMicros, String level,
      String logger, String thread, Message msg, Throwable error, int maxMessageChars,
      int maxThrownChars) {
    this.traceIdHigh = traceHigh;
    this.traceIdLow = traceLow;
    this.spanId = spanId;
    this.timeMicros = timeMicros;
    this.level = level;
    this.logger = logger == null ? "" : logger;
    this.thread = thread == null ? "" : thread;
    if (message == null) {
      message = new StringBuilder();
      thrown = new StringBuilder();
    }
    message.setLength(0);
    thrown.setLength(0);
    if (msg instanceof StringBuilderFormattable f) {
      f.formatTo(message);
    } else if (msg != null) {
      message.append(msg.getFormattedMessage());
    }
    if (message.length() > maxMessageChars) {
      message.setLength(maxMessageChars);
    }
    if (error != null) {
      // Stack traces are rare; printing them allocates, which is accepted for the rare case.
      error.printStackTrace(new PrintWriter(new BoundedWriter(thrown, maxThrownChars)));
    }
    kind = LOG;
  }

  void clear() {
    if (kind == SPAN) {
      // Only what setSpan wrote: the other fields' cache lines stay clean.
      span = null;
      kind = EMPTY;
      return;
    }
    kind = EMPTY;
    span = null;
    level = null;
    logger = null;
    thread = null;
    if (message != null) {
      shrink(message);
      shrink(thrown);
    }
  }

  private static void shrink(StringBuilder b) {
    b.setLength(0);
    if (b.capacity() > KEEP_CAPACITY) {
      b.trimToSize();
    }
  }

  @Override public long traceIdHigh() { return traceIdHigh; }
  @Override public long traceIdLow() { return traceIdLow; }
  @Override public long spanId() { return spanId; }
  @Override public long timeMicros() { return timeMicros; }
  @Override public String level() { return level; }
  @Override public String logger() { return logger; }
  @Override public String thread() { return thread; }
  @Override public CharSequence message() { return message; }
  @Override public CharSequence thrown() { return thrown; }

  /** Appends to a StringBuilder up to a limit and silently drops the rest. */
  private static final class BoundedWriter extends Writer {
    private final StringBuilder out;
    private final int limit;

    BoundedWriter(StringBuilder out, int limit) {
      this.out = out;
      this.limit = limit;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      int n = Math.min(len, limit - out.length());
      if (n > 0) {
        out.append(cbuf, off, n);
      }
    }

    @Override
    public void write(String s, int off, int len) {
      int n = Math.min(len, limit - out.length());
      if (n > 0) {
        out.append(s, off, off + n);
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }
}
