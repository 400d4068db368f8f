package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.*;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.apache.logging.log4j.core.config.plugins.processor.PluginCache;
import org.apache.logging.log4j.core.config.plugins.processor.PluginEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code bin/cairn} script as a process against the shaded jar that {@code package}
 * just built, and checks what the shade plugin put into that jar.
 */
class BinCairnIT {
  private static final Path SCRIPT = Path.of(System.getProperty("cairn.script", "../bin/cairn"));
  private static final Path JAR = Path.of(System.getProperty("cairn.jar", "target/cairn.jar"));
  private static final String PLUGIN_CACHE =
      "META-INF/org/apache/logging/log4j/core/config/plugins/Log4j2Plugins.dat";

  @TempDir Path dir;

  record Proc(int status, String out, String err) {}

  private Proc cairn(Map<String, String> env, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString()));
    command.addAll(Arrays.asList(args));
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("CAIRN_JAVA_OPTS");
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    // A non-UTF-8 locale: the JSON must come out as UTF-8 all the same.
    pb.environment().put("LC_ALL", "C");
    pb.environment().put("LANG", "C");
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("bin/cairn " + String.join(" ", args) + " did not finish in 120 s");
    }
    Proc result = new Proc(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    // package built the jar just before this test: the script must run it, not rebuild it.
    assertFalse(result.err().contains("cairn: building"), result.err());
    return result;
  }

  private Proc cairn(String... args) throws Exception {
    return cairn(Map.of(), args);
  }

  @Test
  void verify_cleanFileExitsZeroAndPrintsItsCounts() throws Exception {
    Path file = write(dir.resolve("spans/a.cairn"), spansBlock(1, 2), block(fullSpan(), log()));

    Proc run = cairn("verify", file.toString());

    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().startsWith(file + ": OK blocks=2 records=4 spans=3 logs=1 "), run.out());
    assertTrue(run.out().contains("\ntotal: files=1 clean=1 torn=0 failed=0 "), run.out());
  }

  @Test
  void verify_corruptFileExitsOneThroughTheScript() throws Exception {
    byte[] middle = spansBlock(10, 3);
    middle[middle.length / 2] ^= 0x04;
    Path file = write(dir.resolve("a.cairn"), spansBlock(1, 1), middle, spansBlock(20, 1));

    Proc run = cairn("verify", file.toString());

    assertEquals(1, run.status(), run.err());
    assertTrue(run.out().startsWith(file + ": CORRUPT "), run.out());
    assertTrue(run.err().contains(": corrupt: "), run.err());
  }

  @Test
  void verify_withoutPathExitsTwo() throws Exception {
    Proc run = cairn("verify");

    assertEquals(2, run.status());
    assertTrue(run.err().contains("Missing required parameter"), run.err());
  }

  @Test
  void inspect_printsUtf8JsonLinesWhateverTheLocale() throws Exception {
    Path file = write(dir.resolve("a.cairn"), block(fullSpan(), log()));

    Proc run = cairn("inspect", file.toString());

    assertEquals(0, run.status(), run.err());
    List<String> lines = run.out().lines().toList();
    assertEquals(2, lines.size(), run.out());
    Map<String, Object> span = MiniJson.object(lines.get(0));
    assertEquals("b7ad6b7169203331", span.get("spanId"));
    assertEquals("żółw 🐢 \u0001 \\", ((Map<?, ?>) span.get("attributes")).get("unicode"));
    assertEquals(List.of("order.id", "user.id"), span.get("businessKeys"));
    Map<String, Object> log = MiniJson.object(lines.get(1));
    assertEquals("log", log.get("type"));
    assertEquals("cart \"full\"\ttab ünïcode", log.get("message"));
  }

  @Test
  void script_runsJavaFromJavaHomeWithCairnJavaOpts() throws Exception {
    // -XshowSettings prints the JVM's properties on stderr and lets the program run on.
    Proc run = cairn(Map.of("CAIRN_JAVA_OPTS", "-XshowSettings:properties -Xmx96m"), "--version");

    assertEquals(0, run.status(), run.err());
    assertTrue(run.err().contains("java.home = " + System.getProperty("java.home")), run.err());
    assertTrue(run.out().startsWith("cairn "), run.out());
  }

  @Test
  void jarManifest_opensAndExportsWhatTheParentPomsJvmFlagsDo() throws IOException {
    String flags = System.getProperty("cairn.jvm.flags");
    assertNotNull(flags, "failsafe passes cairn.jvm.flags from the parent pom");
    Set<String> opens = new TreeSet<>();
    Set<String> exports = new TreeSet<>();
    for (String flag : flags.trim().split("\\s+")) {
      if (flag.startsWith("--add-opens=")) {
        opens.add(target(flag));
      } else if (flag.startsWith("--add-exports=")) {
        exports.add(target(flag));
      }
    }
    assertFalse(opens.isEmpty() && exports.isEmpty(), flags);

    try (JarFile jar = new JarFile(JAR.toFile())) {
      Attributes main = jar.getManifest().getMainAttributes();
      assertEquals("dev.cairn.launcher.CairnCommand", main.getValue("Main-Class"));
      assertEquals(opens, words(main.getValue("Add-Opens")));
      assertEquals(exports, words(main.getValue("Add-Exports")));
    }
  }

  /** "--add-opens=java.base/java.lang=ALL-UNNAMED" to "java.base/java.lang". */
  private static String target(String flag) {
    String value = flag.substring(flag.indexOf('=') + 1);
    assertTrue(value.endsWith("=ALL-UNNAMED"), "manifest entries only open to ALL-UNNAMED: " + flag);
    return value.substring(0, value.length() - "=ALL-UNNAMED".length());
  }

  private static Set<String> words(String s) {
    return s == null ? Set.of() : new TreeSet<>(Arrays.asList(s.trim().split("\\s+")));
  }

  @Test
  void shadedJar_mergesTheLog4jPluginCachesOfEveryModule() throws IOException {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertNotNull(jar.getEntry(PLUGIN_CACHE), "shaded jar has no " + PLUGIN_CACHE);
    }
    // Read it the way Log4j does at startup.
    PluginCache cache = new PluginCache();
    cache.loadCacheFiles(Collections.enumeration(List.of(
        new URL("jar:" + JAR.toUri() + "!/" + PLUGIN_CACHE))));

    Map<String, PluginEntry> core = cache.getCategory("core");
    assertEntry(core, "console", "org.apache.logging.log4j.core.appender.ConsoleAppender");
    assertEntry(core, "patternlayout", "org.apache.logging.log4j.core.layout.PatternLayout");
    // Keys are the lower-cased plugin names; an entry's "name" is its element type.
    PluginEntry spanFile = core.get("spanfile");
    assertNotNull(spanFile, "the SpanFile appender plugin is missing from the merged cache");
    assertTrue(spanFile.getClassName().startsWith("dev.cairn."), spanFile.getClassName());
    assertTrue(cache.getCategory("converter").values().stream()
            .anyMatch(e -> e.getClassName().startsWith("dev.cairn.")),
        "no dev.cairn pattern converter in the merged cache");
  }

  private static void assertEntry(Map<String, PluginEntry> category, String key, String className) {
    PluginEntry e = category.get(key);
    assertNotNull(e, key + " missing from the merged plugin cache");
    assertEquals(className, e.getClassName());
  }
}
