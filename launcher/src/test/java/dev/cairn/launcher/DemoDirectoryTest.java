package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoDirectoryTest {
  @TempDir Path tmp;

  @Test
  void missingDirectory_isCreatedAndMarked() throws Exception {
    Path dir = tmp.resolve("a/b");

    assertFalse(DemoDirectory.prepare(dir));

    assertEquals(List.of(DemoDirectory.MARKER), names(dir));
  }

  @Test
  void markedDirectory_isEmptiedKeepingWhatLinksPointTo() throws Exception {
    Path dir = tmp.resolve("demo");
    DemoDirectory.prepare(dir);
    Files.createDirectories(dir.resolve("data/store"));
    Files.writeString(dir.resolve("data/store/x"), "x", UTF_8);
    Path outside = Files.writeString(tmp.resolve("outside"), "keep", UTF_8);
    Files.createSymbolicLink(dir.resolve("link"), outside);

    assertTrue(DemoDirectory.prepare(dir));

    assertEquals(List.of(DemoDirectory.MARKER), names(dir));
    assertEquals("keep", Files.readString(outside, UTF_8));
  }

  @Test
  void foreignFiles_areRefusedAndKept() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(dir.resolve("thesis.tex"), "precious", UTF_8);

    DemoDirectory.Refused e = assertThrows(DemoDirectory.Refused.class,
        () -> DemoDirectory.prepare(dir));

    assertTrue(e.getMessage().contains("was not written by cairn demo"), e.getMessage());
    assertEquals(List.of("thesis.tex"), names(dir));
  }

  @Test
  void aFile_isRefused() throws Exception {
    Path file = Files.writeString(tmp.resolve("f"), "", UTF_8);

    assertThrows(DemoDirectory.Refused.class, () -> DemoDirectory.prepare(file));
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
