package dev.cairn.core.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.Consumer;

/**
 * Reads a whole span file: header, every valid block, every record; skips and reports what is
 * corrupt. For files that are still growing use {@link BlockReader} directly.
 *
 * <pre>{@code
 * SpanFileReader.Result r = SpanFileReader.read(path, span -> print(span), problem -> warn(problem));
 * if (r.corrupt() > 0) { ... }
 * }</pre>
 */
public final class SpanFileReader {
  private SpanFileReader() {}

  /**
   * What a whole-file read found.
   *
   * @param header the file header
   * @param blocks valid blocks whose records decoded
   * @param spans span records handed out
   * @param logs log records handed out
   * @param corrupt corrupt regions skipped, plus blocks whose CRCs matched but whose records did
   *     not parse
   * @param unsupported blocks of a newer format version skipped
   * @param torn 1 when the file ends inside a block
   * @param skippedBytes bytes not decoded
   */
  public record Result(FileHeader header, long blocks, long spans, long logs, long corrupt,
      long unsupported, long torn, long skippedBytes) {}

  /** Reads the file header; the message of the exception says why a file is not readable. */
  public static FileHeader readHeader(FileChannel ch) throws IOException, FormatException {
    byte[] prefix = new byte[FileHeader.PREFIX_LENGTH];
    if (readFully(ch, prefix, 0) < prefix.length) {
      throw new FormatException("file is " + ch.size() + " bytes: too short for a span file header "
          + "(torn at creation?)");
    }
    int len = FileHeader.length(prefix, 0);
    byte[] all = new byte[len];
    int n = readFully(ch, all, 0);
    if (n < len) {
      throw new FormatException("file header truncated: " + n + " of " + len + " bytes");
    }
    return FileHeader.decode(all, 0, len);
  }

  private static int readFully(FileChannel ch, byte[] into, long at) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(into);
    while (b.hasRemaining()) {
      if (ch.read(b, at + b.position()) <= 0) {
        break;
      }
    }
    return b.position();
  }

  /**
   * Reads every record of a span file that will not grow any more.
   *
   * @throws FormatException when the file header is missing, corrupt or of a newer version
   */
  public static Result read(Path file, RecordVisitor visitor, Consumer<ReadProblem> problems)
      throws IOException, FormatException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      FileHeader header = readHeader(ch);
      byte[] prefix = new byte[FileHeader.PREFIX_LENGTH];
      readFully(ch, prefix, 0);
      int headerLength = FileHeader.length(prefix, 0);
      visitor.fileHeader(header);
      BlockReader reader = new BlockReader(ch, headerLength, problems);
      BlockDecoder decoder = new BlockDecoder();
      long[] counts = new long[3];
      RecordVisitor counting = new RecordVisitor() {
        @Override
        public void span(dev.cairn.core.model.SpanRecord span) {
          counts[0]++;
          visitor.span(span);
        }

        @Override
        public void log(dev.cairn.core.model.LogRecord log) {
          counts[1]++;
          visitor.log(log);
        }
      };
      long good = 0;
      for (Block b; (b = reader.next()) != null; ) {
        try {
          decoder.decode(b, counting);
          good++;
        } catch (FormatException e) {
          counts[2]++;
          problems.accept(new ReadProblem(ReadProblem.Kind.CORRUPT, b.offset(), b.length(),
              e.getMessage() + ": block skipped"));
        }
      }
      reader.finish();
      ReadStats s = reader.stats();
      return new Result(header, good, counts[0], counts[1], s.corrupt() + counts[2],
          s.unsupported(), s.torn(), s.skippedBytes());
    }
  }
}
