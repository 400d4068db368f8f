package dev.cairn.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigValuesTest {
  @Test
  void duration_readsUnitsAndCombinations() {
    assertEquals(Duration.ofHours(72), ConfigValues.duration("72h"));
    assertEquals(Duration.ofMinutes(30), ConfigValues.duration("30m"));
    assertEquals(Duration.ofMinutes(90), ConfigValues.duration("1h30m"));
    assertEquals(Duration.ofMillis(500), ConfigValues.duration("500ms"));
    assertEquals(Duration.ofSeconds(45), ConfigValues.duration(" 45s "));
    assertEquals(Duration.ofDays(7), ConfigValues.duration("7d"));
    assertEquals(Duration.ofDays(7), ConfigValues.duration("7D"));
    assertEquals(Duration.ofHours(72), ConfigValues.duration("PT72H"));
  }

  @Test
  void duration_refusesMissingUnitsAndGarbage() {
    for (String bad : new String[] {"72", "", "h", "3 days", "1h 30m", "-5m", "1.5h", "72x", "P-1D",
        "99999999999999999999d"}) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> ConfigValues.duration(bad), bad);
      assertTrue(e.getMessage().contains(bad.strip().isEmpty() ? "\"" : bad), e.getMessage());
    }
  }

  @Test
  void size_readsPowersOf1024WithOptionalBAndI() {
    assertEquals(50L << 30, ConfigValues.size("50GB"));
    assertEquals(50L << 30, ConfigValues.size("50 gb"));
    assertEquals(512L << 20, ConfigValues.size("512MB"));
    assertEquals(512L << 20, ConfigValues.size("512M"));
    assertEquals(1L << 30, ConfigValues.size("1GiB"));
    assertEquals(3L << 39, ConfigValues.size("1.5TB"));
    assertEquals(64L << 10, ConfigValues.size("64KB"));
    assertEquals(1234, ConfigValues.size("1234"));
    assertEquals(1234, ConfigValues.size("1234B"));
  }

  @Test
  void size_refusesGarbageFractionsOfBytesAndOverflow() {
    for (String bad : new String[] {"", "GB", "50 PB", "-1GB", "1.5", "10000000TB", "5 G B"}) {
      assertThrows(IllegalArgumentException.class, () -> ConfigValues.size(bad), bad);
    }
  }

  @Test
  void formatSizeAndDuration_readBackToTheSameValue() {
    for (long v : new long[] {10L << 30, 512L << 20, 64L << 10, 1234, 3L << 39}) {
      assertEquals(v, ConfigValues.size(ConfigValues.formatSize(v)));
    }
    for (String d : new String[] {"72h", "30m", "1h30m", "500ms", "7d", "1m5s"}) {
      assertEquals(ConfigValues.duration(d), ConfigValues.duration(ConfigValues.formatDuration(ConfigValues.duration(d))));
    }
    assertEquals("72h", ConfigValues.formatDuration(Duration.ofHours(72)));
    assertEquals("14d", ConfigValues.formatDuration(Duration.ofDays(14)));
    assertEquals("1h30m", ConfigValues.formatDuration(Duration.ofMinutes(90)));
  }

  @Test
  void hostPort_readsIpv4Ipv6AndNames() {
    InetSocketAddress a = ConfigValues.hostPort("127.0.0.1:7390");
    assertEquals(7390, a.getPort());
    assertTrue(a.getAddress().isLoopbackAddress());
    assertEquals("[0:0:0:0:0:0:0:1]:7391", ConfigValues.formatAddress(ConfigValues.hostPort("[::1]:7391")));
    assertTrue(ConfigValues.hostPort("localhost:0").getAddress().isLoopbackAddress());
    assertTrue(ConfigValues.hostPort("0.0.0.0:7390").getAddress().isAnyLocalAddress());
  }

  @Test
  void hostPort_refusesMissingHostPortOrRange() {
    for (String bad : new String[] {"7390", ":7390", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:65536",
        "::1:7390", "[::1]7390", "no-such-host.invalid:7390"}) {
      assertThrows(IllegalArgumentException.class, () -> ConfigValues.hostPort(bad), bad);
    }
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ConfigValues.hostPort(":7390"));
    assertTrue(e.getMessage().contains("0.0.0.0:7390"), e.getMessage());
  }

  @Test
  void globList_splitsOnCommasOutsideBracesAndBrackets() {
    assertEquals(List.of("/a/*", "/b/{x,y}/*.cairn", "/c/[a,b]*"),
        ConfigValues.globList(" /a/* , /b/{x,y}/*.cairn,/c/[a,b]*,, "));
    assertEquals(List.of("/a\\,b"), ConfigValues.globList("/a\\,b"));
  }

  @Test
  void distance_isCaseInsensitiveEditDistance() {
    assertEquals(1, ConfigValues.distance("journal.primry", "journal.primary"));
    assertEquals(0, ConfigValues.distance("journal.rollcycle", "journal.rollCycle"));
  }
}
