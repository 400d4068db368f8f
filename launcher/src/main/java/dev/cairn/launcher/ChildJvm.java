package dev.cairn.launcher;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts another {@code cairn} command in a JVM of its own, the way {@code bin/cairn} would: the
 * same Java, and either {@code -jar cairn.jar} (whose manifest carries the {@code --add-opens}
 * Chronicle needs) or, when this JVM runs from classes (tests), the same class path and the
 * module flags this JVM was given.
 */
final class ChildJvm {
  private ChildJvm() {}

  /** The command line of {@code cairn <args>} in a new JVM with {@code jvmOptions}. */
  static List<String> command(List<String> jvmOptions, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String classPath = System.getProperty("java.class.path", "");
    boolean jar = classPath.endsWith(".jar") && !classPath.contains(java.io.File.pathSeparator)
        && Files.isRegularFile(Path.of(classPath));
    if (!jar) {
      List<String> in = ManagementFactory.getRuntimeMXBean().getInputArguments();
      for (int i = 0; i < in.size(); i++) {
        String a = in.get(i);
        if (a.startsWith("--add-opens") || a.startsWith("--add-exports")) {
          cmd.add(a);
          if (!a.contains("=") && i + 1 < in.size()) {
            cmd.add(in.get(++i));
          }
        } else if (a.startsWith("-Dchronicle.")) {
          cmd.add(a);
        }
      }
    }
    cmd.addAll(jvmOptions);
    if (jar) {
      cmd.add("-jar");
      cmd.add(classPath);
    } else {
      cmd.add("-cp");
      cmd.add(classPath);
      cmd.add(CairnCommand.class.getName());
    }
    cmd.addAll(args);
    return cmd;
  }
}
