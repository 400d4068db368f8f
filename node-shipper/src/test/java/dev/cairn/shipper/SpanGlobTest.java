package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanGlobTest {
  @TempDir Path tmp;

  @BeforeEach
  void tree() throws IOException {
    for (String f : List.of("checkout/a.cairn", "checkout/b.cairn", "checkout/b.cairn.tmp",
        "checkout/notes.txt", "payments/eu/c.cairn", "payments/us/d.cairn", "top.cairn",
        "payments/eu/deeper/e.cairn")) {
      Path p = tmp.resolve(f);
      Files.createDirectories(p.getParent());
      Files.createFile(p);
    }
  }

  private List<String> list(String pattern) throws IOException {
    Map<Path, BasicFileAttributes> out = new TreeMap<>();
    SpanGlob.parse(pattern).list(out);
    return out.keySet().stream().map(p -> tmp.relativize(p).toString()).toList();
  }

  @Test
  void trailingSlash_namesDirectoriesWhoseCairnFilesAreTailed() throws IOException {
    assertEquals(List.of("checkout/a.cairn", "checkout/b.cairn"), list(tmp + "/*/"));
    assertEquals(List.of("payments/eu/c.cairn", "payments/us/d.cairn"), list(tmp + "/payments/*/"));
  }

  @Test
  void literalDirectory_isTheSameAsWithATrailingSlash() throws IOException {
    assertEquals(List.of("checkout/a.cairn", "checkout/b.cairn"), list(tmp + "/checkout"));
  }

  @Test
  void doubleStar_matchesAnyNumberOfDirectoriesIncludingNone() throws IOException {
    assertEquals(List.of("checkout/a.cairn", "checkout/b.cairn", "payments/eu/c.cairn",
        "payments/eu/deeper/e.cairn", "payments/us/d.cairn", "top.cairn"),
        list(tmp + "/**/*.cairn"));
    assertEquals(List.of("payments/eu/c.cairn", "payments/eu/deeper/e.cairn"),
        list(tmp + "/payments/eu/**/*.cairn"));
  }

  @Test
  void singleStarQuestionMarkSetsAndAlternatives_stayWithinOneSegment() throws IOException {
    assertEquals(List.of("top.cairn"), list(tmp + "/*.cairn"));
    assertEquals(List.of("checkout/a.cairn", "checkout/b.cairn"), list(tmp + "/checkout/?.cairn"));
    assertEquals(List.of("checkout/a.cairn"), list(tmp + "/checkout/[a].cairn"));
    assertEquals(List.of("checkout/b.cairn"), list(tmp + "/checkout/[!a].cairn"));
    assertEquals(List.of("payments/eu/c.cairn", "payments/us/d.cairn"),
        list(tmp + "/payments/{eu,us}/*.cairn"));
  }

  @Test
  void temporaryHeaderFiles_neverListed() throws IOException {
    assertEquals(List.of("checkout/a.cairn", "checkout/b.cairn", "checkout/notes.txt"),
        list(tmp + "/checkout/*"));
  }

  @Test
  void literalFile_andMissingBase_areFine() throws IOException {
    assertEquals(List.of("top.cairn"), list(tmp + "/top.cairn"));
    assertEquals(List.of(), list(tmp + "/nowhere/*/"));
  }

  @Test
  void badPatterns_rejectedWithTheReason() {
    assertEquals("span file pattern '/a/[b' : '[' without a closing ']'".replace(" :", ":"),
        assertThrows(IllegalArgumentException.class, () -> SpanGlob.parse("/a/[b")).getMessage());
    assertThrows(IllegalArgumentException.class, () -> SpanGlob.parse(" "));
    assertThrows(IllegalArgumentException.class, () -> SpanGlob.parse("/a/{b,c"));
  }
}
