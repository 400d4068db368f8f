package dev.cairn.core.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.testing.TestFiles;
import dev.cairn.core.testing.TestSpans;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanFileReaderTest {
  @TempDir Path dir;

  private List<Object> records(int n) {
    TestSpans gen = new TestSpans(11);
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      SpanRecord s = i % 10 == 0 ? gen.fullSpan() : gen.httpServerSpan();
      out.add(s);
      if (i % 4 == 0) {
        out.add(gen.log(s));
      }
    }
    return out;
  }

  private record Read(SpanFileReader.Result result, List<Object> records, List<ReadProblem> problems) {}

  /** Reads a file; the file header, when the visitor gets it, is the first element of records. */
  private static Read read(Path file) throws Exception {
    List<Object> got = new ArrayList<>();
    List<ReadProblem> problems = new ArrayList<>();
    SpanFileReader.Result r = SpanFileReader.read(file, new RecordVisitor() {
      @Override
      public void fileHeader(FileHeader header) {
        assertTrue(got.isEmpty(), "the header comes before every record");
        got.add(header);
      }

      @Override
      public void span(SpanRecord span) {
        got.add(span);
      }

      @Override
      public void log(LogRecord log) {
        got.add(log);
      }
    }, problems::add);
    assertEquals(r.header(), got.remove(0));
    return new Read(r, got, problems);
  }

  @Test
  void read_returnsEveryRecordOfACleanFile() throws Exception {
    List<Object> in = records(500);
    Path f = dir.resolve("clean.cairn");
    TestFiles.Written w = TestFiles.write(f, in, 40);
    Read r = read(f);
    assertEquals(in, r.records());
    assertEquals(w.blockOffsets().size(), r.result().blocks());
    assertEquals(0, r.result().corrupt() + r.result().torn() + r.result().unsupported());
    assertTrue(r.problems().isEmpty());
    assertEquals(TestSpans.process(), r.result().header().process());
  }

  @Test
  void randomByteFlips_areDetectedNeverCrashAndNeverYieldAWrongRecord() throws Exception {
    List<Object> in = records(300);
    Path f = dir.resolve("flip.cairn");
    TestFiles.Written w = TestFiles.write(f, in, 25);
    Set<Object> originals = new HashSet<>(in);
    Random random = new Random(99);
    for (int round = 0; round < 400; round++) {
      byte[] bytes = w.bytes().clone();
      int flips = 1 + random.nextInt(3);
      int firstFlip = Integer.MAX_VALUE;
      for (int i = 0; i < flips; i++) {
        int at = w.headerLength() + random.nextInt(bytes.length - w.headerLength());
        bytes[at] ^= (byte) (1 << random.nextInt(8));
        firstFlip = Math.min(firstFlip, at);
      }
      Path g = dir.resolve("flip-" + round + ".cairn");
      Files.write(g, bytes);
      Read r = read(g);
      for (Object rec : r.records()) {
        assertTrue(originals.contains(rec), "round " + round + ": decoded a record that was never written: " + rec);
      }
      assertTrue(r.records().size() < in.size(), "round " + round + ": a flip went unnoticed");
      assertTrue(r.result().corrupt() >= 1, "round " + round + ": corruption not counted");
      assertEquals(0, r.result().unsupported());
      // Every block that lies wholly before the first flip is still read.
      int flipAt = firstFlip;
      long intactBlocks = w.blockOffsets().stream().filter(o -> o < flipAt).count() - 1;
      assertTrue(r.result().blocks() >= intactBlocks, "round " + round);
      Files.delete(g);
    }
  }

  @Test
  void truncationAtAnyPoint_yieldsAPrefixOfTheRecordsAndATornTail() throws Exception {
    List<Object> in = records(120);
    Path f = dir.resolve("trunc.cairn");
    TestFiles.Written w = TestFiles.write(f, in, 10);
    Random random = new Random(5);
    for (int round = 0; round < 200; round++) {
      int cut = w.headerLength() + random.nextInt(w.bytes().length - w.headerLength());
      Path g = dir.resolve("t" + round + ".cairn");
      Files.write(g, Arrays.copyOf(w.bytes(), cut));
      Read r = read(g);
      assertEquals(in.subList(0, r.records().size()), r.records(), "a prefix, in order");
      boolean onBoundary = w.blockOffsets().contains(cut);
      assertEquals(onBoundary ? 0 : 1, r.result().torn(), "cut at " + cut);
      assertEquals(0, r.result().corrupt(), "a torn tail is not corruption");
      if (!onBoundary) {
        ReadProblem p = r.problems().get(0);
        assertEquals(ReadProblem.Kind.TORN_TAIL, p.kind());
        assertEquals(cut, p.offset() + p.length());
      }
      Files.delete(g);
    }
  }

  @Test
  void garbageBetweenBlocks_isSkippedAndTheReaderResynchronises() throws Exception {
    List<Object> in = records(60);
    Path f = dir.resolve("g.cairn");
    TestFiles.Written w = TestFiles.write(f, in, 20);
    int second = w.blockOffsets().get(1);
    byte[] junk = new byte[777];
    new Random(1).nextBytes(junk);
    junk[100] = 'C';
    junk[101] = 'R';
    junk[102] = 'N';
    junk[103] = 'B';
    byte[] bytes = new byte[w.bytes().length + junk.length];
    System.arraycopy(w.bytes(), 0, bytes, 0, second);
    System.arraycopy(junk, 0, bytes, second, junk.length);
    System.arraycopy(w.bytes(), second, bytes, second + junk.length, w.bytes().length - second);
    Files.write(f, bytes);
    Read r = read(f);
    assertEquals(in, r.records());
    assertEquals(1, r.result().corrupt());
    assertEquals(ReadProblem.Kind.CORRUPT, r.problems().get(0).kind());
    assertEquals(second, r.problems().get(0).offset());
    assertEquals(junk.length, r.problems().get(0).length());
  }

  @Test
  void blockOfNewerVersion_isSkippedCountedAndTheRestIsRead() throws Exception {
    List<Object> in = records(30);
    Path f = dir.resolve("v2.cairn");
    TestFiles.Written w = TestFiles.write(f, in, 10);
    byte[] bytes = w.bytes().clone();
    int at = w.blockOffsets().get(1);
    bytes[at + 4] = 2;
    ByteWriter.putInt(bytes, at + 40, BlockHeader.crc(bytes, at, 40));
    Files.write(f, bytes);
    Read r = read(f);
    assertEquals(1, r.result().unsupported());
    assertEquals(w.blockOffsets().size() - 1, r.result().blocks());
    assertTrue(r.problems().get(0).message().contains("format version 2, newer than this reader"),
        r.problems().get(0).message());
    assertEquals(ReadProblem.Kind.UNSUPPORTED_VERSION, r.problems().get(0).kind());
  }

  @Test
  void notASpanFile_isRefusedWithAClearMessage() throws Exception {
    Path f = dir.resolve("x.cairn");
    Files.writeString(f, "hello, this is not a span file at all");
    FormatException e = assertThrows(FormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("not a Cairn span file"), e.getMessage());
    Files.write(f, new byte[3]);
    e = assertThrows(FormatException.class, () -> read(f));
    assertTrue(e.getMessage().contains("too short"), e.getMessage());
  }

  @Test
  void blockReader_waitsForABlockThatIsStillBeingWrittenThenReturnsIt() throws Exception {
    List<Object> in = records(40);
    Path full = dir.resolve("full.cairn");
    TestFiles.Written w = TestFiles.write(full, in, 20);
    Path growing = dir.resolve("growing.cairn");
    int secondBlock = w.blockOffsets().get(1);
    Files.write(growing, Arrays.copyOf(w.bytes(), secondBlock + 30));
    List<ReadProblem> problems = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(growing, StandardOpenOption.READ)) {
      BlockReader reader = new BlockReader(ch, w.headerLength(), problems::add);
      Block first = reader.next();
      assertEquals(w.headerLength(), first.offset());
      assertNull(reader.next(), "the second block is incomplete");
      assertEquals(secondBlock, reader.position(), "resume point is the incomplete block");
      Files.write(growing, Arrays.copyOfRange(w.bytes(), secondBlock + 30, w.bytes().length),
          StandardOpenOption.APPEND);
      Block second = reader.next();
      assertEquals(secondBlock, second.offset());
      int blocks = 2;
      while (reader.next() != null) {
        blocks++;
      }
      assertEquals(w.blockOffsets().size(), blocks);
      reader.finish();
    }
    assertTrue(problems.isEmpty(), problems.toString());
  }
}
