package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.model.ProcessInfo;
import dev.cairn.shipper.ProcessProbe.Liveness;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcessProbeTest {
  private static final String HOST = ProcessProbe.localHostName();
  private static final long JVM_START_MICROS =
      ManagementFactory.getRuntimeMXBean().getStartTime() * 1_000L;

  private static ProcessInfo writer(String host, long pid, long startMicros) {
    return new ProcessInfo("svc", host, "", pid, startMicros, Map.of());
  }

  @Test
  void thisJvm_asTheAppenderDescribesIt_isAlive() {
    assertEquals(Liveness.ALIVE,
        ProcessProbe.local().check(writer(HOST, ProcessHandle.current().pid(), JVM_START_MICROS)));
  }

  @Test
  void exitedProcess_isDead() throws Exception {
    Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-version")
        .redirectErrorStream(true).start();
    try {
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    } finally {
      p.destroyForcibly();
    }
    assertEquals(Liveness.DEAD, ProcessProbe.local().check(writer(HOST, p.pid(), JVM_START_MICROS)));
  }

  @Test
  void pidNowHeldByAProcessStartedAfterTheWriter_isDead() {
    // The header's writer started an hour before the process that holds its pid now: reused.
    long anHourEarlier = JVM_START_MICROS - TimeUnit.HOURS.toMicros(1);
    assertEquals(Liveness.DEAD,
        ProcessProbe.local().check(writer(HOST, ProcessHandle.current().pid(), anHourEarlier)));
  }

  @Test
  void writerOnAnotherHost_cannotBeTold() {
    assertEquals(Liveness.UNKNOWN, ProcessProbe.local()
        .check(writer(HOST + "-elsewhere", ProcessHandle.current().pid(), JVM_START_MICROS)));
    assertEquals(Liveness.UNKNOWN, ProcessProbe.unknown()
        .check(writer(HOST, ProcessHandle.current().pid(), JVM_START_MICROS)));
  }
}
