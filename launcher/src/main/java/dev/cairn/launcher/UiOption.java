package dev.cairn.launcher;

import dev.cairn.core.internal.ConfigValues;
import java.net.InetSocketAddress;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The {@code --ui <host:port>} option of the commands that serve the UI themselves (a picocli mixin). */
final class UiOption {
  @Option(names = "--ui", paramLabel = "<host:port>", defaultValue = "127.0.0.1:16686",
      description = "Where the UI and its API listen (default: ${DEFAULT-VALUE}, Jaeger's port; "
          + "0.0.0.0:16686 for every interface; port 0: any free port).")
  String ui;

  /** The address, or a usage error naming the option. */
  InetSocketAddress address(CommandLine cl) {
    try {
      return ConfigValues.hostPort(ui);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(cl, "--ui: " + e.getMessage());
    }
  }
}
