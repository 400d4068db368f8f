package dev.cairn.shipper;

import java.nio.file.Path;
import java.util.List;

/**
 * The whole shipper in a JVM of its own, as {@code cairn shipper} runs it minus the command line,
 * for {@link ShipperKillIT} to kill with SIGKILL: loads the configuration file given as the only
 * argument, starts the {@link Shipper}, prints {@code started <pull port> <http port>}, and runs
 * until killed (SIGTERM closes it in order). Halts when its standard input closes (the test is
 * gone), so no child outlives a crashed test run.
 */
final class ShipperChild {
  private ShipperChild() {}

  public static void main(String[] args) throws Exception {
    Thread guard = new Thread(() -> {
      try {
        while (System.in.read() >= 0) {
          // nothing is ever sent
        }
      } catch (java.io.IOException e) {
        // the parent is gone
      }
      Runtime.getRuntime().halt(4);
    }, "orphan-guard");
    guard.setDaemon(true);
    guard.start();

    Shipper shipper = Shipper.start(ShipperConfig.load(Path.of(args[0]), List.of()));
    Runtime.getRuntime().addShutdownHook(new Thread(shipper::close, "shipper-child-shutdown"));
    System.out.println("started " + shipper.pullAddress().getPort() + " " + shipper.httpAddress().getPort());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
