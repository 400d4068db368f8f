package dev.cairn.puller;

import dev.cairn.shipper.Shipper;
import dev.cairn.shipper.ShipperConfig;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A shipper or a puller in a JVM of its own, for {@link ThreeHostIT}: {@code shipper <yaml>}
 * prints {@code started <pull port> <http port>}, {@code puller <yaml>} prints {@code started}.
 * Runs until killed; SIGTERM closes it in order (as {@code cairn shipper}/{@code cairn puller}
 * do); standard input closing (the test is gone) halts it, so no child outlives a test run.
 */
public final class ThreeHostChild {
  private ThreeHostChild() {}

  public static void main(String[] args) throws Exception {
    Thread guard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever sent
        }
      } catch (IOException e) {
        // the parent is gone
      }
      Runtime.getRuntime().halt(4);
    }, "orphan-guard");
    guard.setDaemon(true);
    guard.start();

    Path yaml = Path.of(args[1]);
    Closeable daemon;
    String started;
    if ("shipper".equals(args[0])) {
      Shipper shipper = Shipper.start(ShipperConfig.load(yaml, List.of(), Map.of(), Map.of()));
      daemon = shipper;
      started = "started " + shipper.pullAddress().getPort() + " " + shipper.httpAddress().getPort();
    } else {
      daemon = Puller.start(PullerConfig.load(yaml, List.of(), Map.of(), Map.of()));
      started = "started";
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        daemon.close();
      } catch (IOException e) {
        e.printStackTrace();
      }
    }, "child-shutdown"));
    System.out.println(started);
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
