package dev.cairn.puller;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A puller in a process of its own, for {@link PullerKillIT}: runs until killed. */
public final class PullerChild {
  private PullerChild() {}

  public static void main(String[] args) throws Exception {
    Puller.start(PullerConfig.load(Path.of(args[0]), List.of(), Map.of(), Map.of()));
    System.out.println("started");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
