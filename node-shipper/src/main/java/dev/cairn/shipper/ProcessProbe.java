package dev.cairn.shipper;

import dev.cairn.core.model.ProcessInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Optional;

/**
 * Tells whether the process that wrote a span file (from its header) still runs. Only a process
 * on this host can be checked: the header's host must equal this host's name as the appender
 * computes it, and the pid must belong to the same process (not a later one that reused it).
 */
interface ProcessProbe {
  enum Liveness {
    /** The writer runs on this host. */
    ALIVE,
    /** The writer ran on this host and has exited: it will never append again. */
    DEAD,
    /** Another host, another pid namespace, or checks switched off: cannot tell. */
    UNKNOWN
  }

  Liveness check(ProcessInfo writer);

  /** Never tells; for shippers that do not share the applications' pid namespace. */
  static ProcessProbe unknown() {
    return writer -> Liveness.UNKNOWN;
  }

  /** Checks processes of this host with {@link ProcessHandle}. */
  static ProcessProbe local() {
    String host = localHostName();
    return writer -> {
      if (!writer.host().equals(host) || writer.pid() <= 0) {
        return Liveness.UNKNOWN;
      }
      Optional<ProcessHandle> handle = ProcessHandle.of(writer.pid());
      if (handle.isEmpty() || !handle.get().isAlive()) {
        return Liveness.DEAD;
      }
      Optional<Instant> started = handle.get().info().startInstant();
      if (started.isEmpty() || writer.startMicros() <= 0) {
        return Liveness.ALIVE;
      }
      // The header has the JVM's start (RuntimeMXBean), a little after the process's exec (later
      // still when a script exec'd java). Any process holding this pid that started before the JVM
      // did is the writer itself: a reuser can only start after the writer died. The second of
      // slack covers the two clocks' granularity.
      long startedMillis = started.get().toEpochMilli();
      return startedMillis <= writer.startMicros() / 1_000 + 1_000 ? Liveness.ALIVE : Liveness.DEAD;
    };
  }

  /** This host's name exactly as the appender writes it into file headers. */
  static String localHostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException | RuntimeException e) {
      String env = System.getenv("HOSTNAME");
      return env == null || env.isBlank() ? "unknown-host" : env;
    }
  }
}
