package dev.cairn.core.testing;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Writes span files for tests: a header, then blocks of the given records. */
public final class TestFiles {
  private TestFiles() {}

  /** The offsets at which each block of a written file starts, and the file's bytes. */
  public record Written(byte[] bytes, List<Integer> blockOffsets, int headerLength) {}

  /**
   * Encodes {@code records} (SpanRecord or LogRecord) into blocks of {@code perBlock} records each
   * behind a fresh file header, and writes them to {@code file}.
   */
  public static Written write(Path file, List<?> records, int perBlock) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] header = new FileHeader(UUID.randomUUID(), 1_763_700_000_000_000L, TestSpans.process()).encode();
    out.write(header);
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    List<Integer> offsets = new ArrayList<>();
    int inBlock = 0;
    for (Object r : records) {
      boolean ok = r instanceof SpanRecord s ? enc.addSpan(s) : enc.addLog((LogRecord) r);
      if (!ok) {
        throw new IllegalStateException("could not encode " + r);
      }
      if (++inBlock == perBlock) {
        offsets.add(out.size());
        put(out, enc.finish());
        inBlock = 0;
      }
    }
    if (inBlock > 0) {
      offsets.add(out.size());
      put(out, enc.finish());
    }
    byte[] bytes = out.toByteArray();
    Files.write(file, bytes);
    return new Written(bytes, offsets, header.length);
  }

  private static void put(ByteArrayOutputStream out, ByteBuffer b) {
    out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
  }
}
