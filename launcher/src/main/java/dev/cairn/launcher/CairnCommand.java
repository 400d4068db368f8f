package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code cairn} command: one executable for every Cairn tool, each a picocli subcommand.
 * Run it through {@code bin/cairn}, or {@code java -jar launcher/target/cairn.jar}.
 *
 * <pre>{@code
 * cairn inspect /var/log/app/spans | jq 'select(.status == "ERROR")'
 * cairn verify --strict /var/log/app/spans
 * }</pre>
 *
 * <p>Exit status: {@value #EXIT_OK} success, {@value #EXIT_PROBLEMS} the command ran but found or
 * hit a problem (corrupt data, unreadable file), {@value #EXIT_USAGE} bad arguments.
 *
 * <p>To add a subcommand, write a package-private class annotated with {@code @Command} that
 * implements {@code Callable<Integer>}, and list it in {@code subcommands} below.
 */
@Command(
    name = "cairn",
    // Subcommands inherit --help, --version and the version provider.
    scope = CommandLine.ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = CairnCommand.Version.class,
    description = "Cairn: distributed tracing for JVM services, collected by pull from local span files.",
    subcommands = {
        InspectCommand.class,
        VerifyCommand.class,
        DemoCommand.class,
        AllInOneCommand.class,
        ShipperCommand.class,
        PullerCommand.class,
        RecoverCommand.class,
        UiCommand.class,
        LoadgenCommand.class,
        CommandLine.HelpCommand.class,
    })
public final class CairnCommand implements Runnable {
  /** The command did what was asked and found nothing wrong. */
  public static final int EXIT_OK = 0;
  /** The command ran but found or hit a problem: corrupt or unreadable data. */
  public static final int EXIT_PROBLEMS = 1;
  /** The arguments were wrong; nothing was done. */
  public static final int EXIT_USAGE = 2;

  /** Standard output was closed before everything was written (128 + SIGPIPE, as the shell reports it). */
  public static final int EXIT_OUTPUT_CLOSED = 141;

  @Spec CommandSpec spec;

  CairnCommand() {}

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing required subcommand");
  }

  /** Runs the command line and exits the JVM with its status. */
  public static void main(String[] args) {
    // Set here rather than in bin/cairn so that `java -jar cairn.jar` behaves the same; it only has
    // to be set before Chronicle's classes load, which happens inside a subcommand.
    if (System.getProperty("chronicle.analytics.disable") == null) {
      System.setProperty("chronicle.analytics.disable", "true");
    }
    // Explicit UTF-8 whatever the platform default: inspect's JSON must be UTF-8. Buffered,
    // because inspect prints one line per record.
    PrintWriter out = new PrintWriter(new BufferedWriter(
        new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), UTF_8), 1 << 16));
    PrintWriter err = new PrintWriter(
        new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), UTF_8), true);
    int status = commandLine(out, err).execute(args);
    out.flush();
    err.flush();
    System.exit(status);
  }

  /** The configured command line writing to {@code out} and {@code err}: used by main and tests. */
  static CommandLine commandLine(PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new CairnCommand());
    cl.setOut(out);
    cl.setErr(err);
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /** The version from the jar manifest, "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = CairnCommand.class.getPackage().getImplementationVersion();
      return new String[] {"cairn " + (v == null ? "dev" : v)};
    }
  }
}
