package dev.cairn.core.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigSourcesTest {
  static final class Bad extends RuntimeException {
    Bad(String key, String source, String problem) {
      super(key + (source.isEmpty() ? "" : " (" + source + ")") + ": " + problem);
    }
  }

  @TempDir Path tmp;

  private ConfigSources sources() {
    return new ConfigSources(List.of("a.b", "list", "auth.secret", "port"), "CAIRN_T_", "cairn.t.", Bad::new)
        .listKey("list", ConfigSources::plainItems);
  }

  private Path yaml(String text) throws Exception {
    Path f = tmp.resolve("t.yaml");
    Files.writeString(f, text, UTF_8);
    return f;
  }

  @Test
  void laterSourcesOverride_andAnEmptyValueTakesBack() throws Exception {
    ConfigSources s = sources();
    s.readFile(yaml("a:\n  b: from-file\nport: on\nlist: [x, y]\n"));
    s.readEnv(Map.of("CAIRN_T_A_B", "from-env", "OTHER", "ignored"));
    s.readProperties(Map.of("cairn.t.port", "", "java.home", "ignored"));
    s.readSets(List.of("a.b=from-set"));
    Map<String, ConfigSources.Raw> v = s.values();
    assertEquals("from-set", v.get("a.b").value());
    assertEquals("--set a.b", v.get("a.b").source().description());
    assertFalse(v.containsKey("port"), "an empty -D took back the file's value");
    assertEquals(List.of("x", "y"), v.get("list").value());
    assertEquals(tmp, v.get("list").source().baseDir(), "relative paths resolve against the file's directory");
  }

  @Test
  void yamlScalarsStayText() throws Exception {
    ConfigSources s = sources();
    s.readFile(yaml("port: 0750\na.b: on\n"));
    assertEquals("0750", s.values().get("port").value());
    assertEquals("on", s.values().get("a.b").value());
  }

  @Test
  void mistakesNameTheKeyAndSource() throws Exception {
    assertEquals("prot (--set prot): unknown key; did you mean port?",
        assertThrows(Bad.class, () -> sources().readSets(List.of("prot=1"))).getMessage());
    assertTrue(assertThrows(Bad.class, () -> sources().readEnv(Map.of("CAIRN_T_PROT", "1"))).getMessage()
        .endsWith("did you mean CAIRN_T_PORT?"));
    assertTrue(assertThrows(Bad.class, () -> sources().readFile(yaml("port: [1, 2]\n"))).getMessage()
        .contains("port (" + tmp.resolve("t.yaml") + "): takes one value, not a list"));
    assertTrue(assertThrows(Bad.class, () -> sources().readFile(yaml("a.b: 1\na:\n  b: 2\n"))).getMessage()
        .contains("a.b (" + tmp.resolve("t.yaml") + "): is set twice"));
    assertTrue(assertThrows(Bad.class, () -> sources().readFile(yaml("- 1\n"))).getMessage()
        .contains("must be a mapping"));
    assertTrue(assertThrows(Bad.class, () -> sources().readFile(tmp.resolve("none.yaml"))).getMessage()
        .contains("does not exist"));
    String secret = assertThrows(Bad.class, () -> sources().readSets(List.of("auth.secretHUNTER2"))).getMessage();
    assertFalse(secret.contains("HUNTER2"), secret);
  }
}
