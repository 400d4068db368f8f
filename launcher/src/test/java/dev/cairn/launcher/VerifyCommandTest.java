package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifyCommandTest {
  @TempDir Path dir;

  private final byte[] first = spansBlock(10, 2);
  private final byte[] second = block(fullSpan(), log());
  private final byte[] third = spansBlock(30, 1);

  @Test
  void verify_cleanFileCountsBlocksAndRecordsAndExitsZero() throws IOException {
    Path file = write(dir.resolve("a.cairn"), first, second, third);

    Run run = run("verify", file.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(List.of(
        file + ": OK blocks=3 records=5 spans=4 logs=1 corrupt=0 unsupported=0 torn=no skippedBytes=0",
        "total: files=1 clean=1 torn=0 failed=0 blocks=3 records=5 spans=4 logs=1 corrupt=0 "
            + "unsupported=0 skippedBytes=0"), run.outLines());
    assertEquals("", run.err());
  }

  @Test
  void verify_flippedByteInsideABlockIsCorruptAndExitsOne() throws IOException {
    byte[] flipped = second.clone();
    flipped[flipped.length / 2] ^= 0x01;
    Path file = write(dir.resolve("a.cairn"), first, flipped, third);

    Run run = run("verify", file.toString());

    assertEquals(1, run.status());
    assertEquals(file + ": CORRUPT blocks=2 records=3 spans=3 logs=0 corrupt=1 unsupported=0 "
        + "torn=no skippedBytes=" + second.length, run.outLines().get(0));
    long offset = headerLength() + first.length;
    assertEquals(List.of("cairn verify: " + file + ": corrupt: " + second.length + " bytes at offset "
        + offset + " are not a valid block (bad magic, header or payload CRC): skipped"),
        run.errLines());
  }

  @Test
  void verify_truncatedFileIsATornTailAndExitsZero() throws IOException {
    Path file = dir.resolve("a.cairn");
    byte[] whole = fileBytes(HEADER, first, second, third);
    Files.write(file, Arrays.copyOf(whole, whole.length - 7));

    Run run = run("verify", file.toString());

    assertEquals(0, run.status(), run.err());
    long offset = headerLength() + first.length + second.length;
    int tail = third.length - 7;
    assertEquals(List.of(
        file + ": TORN blocks=2 records=4 spans=3 logs=1 corrupt=0 unsupported=0 torn=" + tail + "B@"
            + offset + " skippedBytes=" + tail,
        "total: files=1 clean=0 torn=1 failed=0 blocks=2 records=4 spans=3 logs=1 corrupt=0 "
            + "unsupported=0 skippedBytes=" + tail), run.outLines());
    assertTrue(run.err().contains(": torn-tail: incomplete block at offset " + offset), run.err());
  }

  @Test
  void verify_strictFailsOnATornTail() throws IOException {
    Path file = dir.resolve("a.cairn");
    byte[] whole = fileBytes(HEADER, first, second);
    Files.write(file, Arrays.copyOf(whole, whole.length - 1));

    assertEquals(1, run("verify", "--strict", file.toString()).status());
    assertEquals(0, run("verify", file.toString()).status());
  }

  @Test
  void verify_blockOfNewerFormatVersionIsUnsupportedAndExitsOne() throws IOException {
    Path file = write(dir.resolve("a.cairn"), first, withVersion(second, 2), third);

    Run run = run("verify", file.toString());

    assertEquals(1, run.status());
    assertEquals(file + ": UNSUPPORTED blocks=2 records=3 spans=3 logs=0 corrupt=0 unsupported=1 "
        + "torn=no skippedBytes=" + second.length, run.outLines().get(0));
    assertEquals(1, run.errLines().size(), run.err());
    assertTrue(run.errLines().get(0).contains(": unsupported-version: block at offset "
        + (headerLength() + first.length) + " has format version 2, newer than this reader "
        + "supports (1)"), run.err());
  }

  @Test
  void verify_nonCairnFileIsInvalidAndExitsOne() throws IOException {
    Path file = Files.writeString(dir.resolve("a.cairn"), "2024-01-01 INFO just a log file\n");

    Run run = run("verify", file.toString());

    assertEquals(1, run.status());
    assertEquals(List.of(file + ": INVALID not a Cairn span file (bad magic at offset 0)",
        "total: files=1 clean=0 torn=0 failed=1 blocks=0 records=0 spans=0 logs=0 corrupt=0 "
            + "unsupported=0 skippedBytes=0"), run.outLines());
  }

  @Test
  void verify_fileHeaderOfNewerVersionSaysToUpgrade() throws IOException {
    byte[] bytes = fileBytes(HEADER, first);
    bytes[8] = 2;
    Path file = Files.write(dir.resolve("a.cairn"), bytes);

    Run run = run("verify", file.toString());

    assertEquals(1, run.status());
    assertEquals(file + ": INVALID span file format version 2 is newer than this reader supports (1);"
        + " upgrade Cairn to read it", run.outLines().get(0));
  }

  @Test
  void verify_emptyFileIsInvalid() throws IOException {
    Path file = Files.createFile(dir.resolve("a.cairn"));

    Run run = run("verify", file.toString());

    assertEquals(1, run.status());
    assertTrue(run.outLines().get(0).startsWith(file + ": INVALID file is 0 bytes"), run.out());
  }

  @Test
  void verify_totalsAddUpOverEveryFileOfADirectory() throws IOException {
    write(dir.resolve("1-clean.cairn"), first, second);
    byte[] torn = fileBytes(HEADER, third, first);
    Files.write(dir.resolve("2-torn.cairn"), Arrays.copyOf(torn, torn.length - 3));
    byte[] flipped = first.clone();
    flipped[flipped.length - 1] ^= 0x10;
    write(dir.resolve("sub/3-corrupt.cairn"), flipped, third);

    Run run = run("verify", dir.toString());

    assertEquals(1, run.status());
    List<String> lines = run.outLines();
    assertEquals(4, lines.size(), run.out());
    assertTrue(lines.get(0).startsWith(dir.resolve("1-clean.cairn") + ": OK "), lines.get(0));
    assertTrue(lines.get(1).startsWith(dir.resolve("2-torn.cairn") + ": TORN "), lines.get(1));
    assertTrue(lines.get(2).startsWith(dir.resolve("sub/3-corrupt.cairn") + ": CORRUPT "), lines.get(2));
    assertEquals("total: files=3 clean=1 torn=1 failed=1 blocks=4 records=6 spans=5 logs=1 "
        + "corrupt=1 unsupported=0 skippedBytes=" + (first.length - 3 + first.length), lines.get(3));
  }

  @Test
  void verify_directoryWithoutSpanFilesWarnsAndExitsZero() throws IOException {
    Files.writeString(dir.resolve("readme.txt"), "nothing here");

    Run run = run("verify", dir.toString());

    assertEquals(0, run.status());
    assertTrue(run.err().contains(dir + ": no *.cairn files in this directory"), run.err());
    assertTrue(run.out().startsWith("total: files=0 "), run.out());
  }

  @Test
  void verify_withoutPathIsUsageError() {
    Run run = run("verify", "--strict");

    assertEquals(2, run.status());
    assertTrue(run.err().contains("Missing required parameter"), run.err());
  }

  @Test
  void verify_nonexistentPathIsUsageError() {
    Run run = run("verify", dir.resolve("nope").toString());

    assertEquals(2, run.status());
    assertTrue(run.err().contains("no such file or directory: " + dir.resolve("nope")), run.err());
    assertEquals("", run.out());
  }
}
