package dev.cairn.core.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.sampling.SamplingConfig.GroupBy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SamplingConfigFileTest {

  @Test
  void parse_readsEveryKey() {
    SamplingConfig c = SamplingConfigFile.parse(String.join("\n",
        "# every key",
        "enabled=false",
        "components.disabled = io.opentelemetry.jdbc* , com.example.noisy,",
        "force.enabled=false",
        "force.baggageKey=debug",
        "ratio=0.25",
        "rateLimit.perWindow=100",
        "rateLimit.windowMillis=1000",
        "rateLimit.groupBy=SPAN",
        "rateLimit.group.GET\\ /health=0",
        "rateLimit.group.io.opentelemetry.netty-4.1=500",
        ""));
    SamplingConfig expected = SamplingConfig.builder()
        .enabled(false)
        .disabledComponents(List.of("io.opentelemetry.jdbc*", "com.example.noisy"))
        .forceEnabled(false)
        .forceBaggageKey("debug")
        .ratio(0.25)
        .rateLimitPerWindow(100)
        .rateLimitWindowMillis(1000)
        .rateLimitGroupBy(GroupBy.SPAN)
        .rateLimitGroup("GET /health", 0)
        .rateLimitGroup("io.opentelemetry.netty-4.1", 500)
        .build();
    assertEquals(expected, c);
  }

  @Test
  void parse_emptyFileGivesDefaults() {
    assertEquals(SamplingConfig.defaults(), SamplingConfigFile.parse("# nothing set\n"));
  }

  @Test
  void parse_trimsValuesAndAcceptsBooleansInAnyCase() {
    SamplingConfig c = SamplingConfigFile.parse("enabled = FALSE   \nratio=  0.5  \n");
    assertEquals(false, c.enabled());
    assertEquals(0.5, c.ratio());
  }

  @Test
  void parse_rejectsUnknownKeyNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SamplingConfigFile.parse("ratoi=0.5\n"));
    assertTrue(e.getMessage().contains("unknown key 'ratoi'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SamplingConfigFile.parse("rateLimit.group.=5\n"));
    assertTrue(e.getMessage().contains("unknown key 'rateLimit.group.'"), e.getMessage());
  }

  @Test
  void parse_rejectsBadValuesNamingKeyAndValue() {
    List<List<String>> bad = List.of(
        List.of("enabled", "yes"),
        List.of("force.enabled", "1"),
        List.of("ratio", "1.5"),
        List.of("ratio", "-0.1"),
        List.of("ratio", "NaN"),
        List.of("ratio", "0x1p-2"),
        List.of("ratio", "0.5d"),
        List.of("rateLimit.perWindow", "-1"),
        List.of("rateLimit.perWindow", "ten"),
        List.of("rateLimit.perWindow", "16777216"),
        List.of("rateLimit.windowMillis", "0"),
        List.of("rateLimit.windowMillis", "3s"),
        List.of("rateLimit.groupBy", "host"),
        List.of("rateLimit.group.db", "many"),
        List.of("components.disabled", "a*b"));
    for (List<String> keyValue : bad) {
      assertRejected(keyValue.get(0), keyValue.get(1));
    }
    assertRejected("force.baggageKey", "");
  }

  @Test
  void parse_rejectsGroupLimitsWhenGroupingIsNone() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SamplingConfigFile.parse("rateLimit.groupBy=none\nrateLimit.group.db=5\n"));
    assertTrue(e.getMessage().contains("'rateLimit.group.db'"), e.getMessage());
  }

  @Test
  void parse_rejectsDuplicateKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SamplingConfigFile.parse("ratio=0.5\nratio=0.25\n"));
    assertTrue(e.getMessage().contains("'ratio' appears twice"), e.getMessage());
  }

  @Test
  void parse_properties_rejectsUnknownKeysToo() {
    Properties p = new Properties();
    p.setProperty("ratio", "0.5");
    assertEquals(0.5, SamplingConfigFile.parse(p).ratio());
    p.setProperty("rate", "1");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SamplingConfigFile.parse(p));
    assertTrue(e.getMessage().contains("'rate'"), e.getMessage());
  }

  @Test
  void read_parsesUtf8File(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("sampling.properties");
    Files.writeString(file, "components.disabled=caf\u00e9.http\n");
    assertEquals(Set.of("caf\u00e9.http"), SamplingConfigFile.read(file).disabledComponents());
    assertThrows(NoSuchFileException.class, () -> SamplingConfigFile.read(dir.resolve("none")));
  }

  private static void assertRejected(String key, String value) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SamplingConfigFile.parse(key + "=" + value + "\n"), key + "=" + value);
    assertTrue(e.getMessage().contains("key '" + key + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
  }
}
