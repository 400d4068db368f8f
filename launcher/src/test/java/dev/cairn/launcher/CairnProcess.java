package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code cairn} command in a child JVM of the test's class path, with the JVM flags the build
 * gives tests, its output in files; and the query server's JSON API read back through
 * {@link MiniJson}.
 */
final class CairnProcess implements AutoCloseable {
  private static final Pattern UI_URL = Pattern.compile("Cairn UI: (http://\\S+/)");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  final Process process;
  final Path out;
  final Path err;

  private CairnProcess(Process process, Path out, Path err) {
    this.process = process;
    this.out = out;
    this.err = err;
  }

  /** Starts {@code cairn <args>}, its stdout and stderr in {@code dir}. */
  static CairnProcess start(Path dir, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(Arrays.asList(System.getProperty("cairn.jvm.flags", "").trim().split("\\s+")));
    command.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"),
        CairnCommand.class.getName()));
    command.addAll(List.of(args));
    command.removeIf(String::isEmpty);
    Files.createDirectories(dir);
    Path out = dir.resolve("stdout");
    Path err = dir.resolve("stderr");
    Process p = new ProcessBuilder(command).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    return new CairnProcess(p, out, err);
  }

  String stdout() throws IOException {
    return Files.readString(out, UTF_8);
  }

  String stderr() throws IOException {
    return Files.readString(err, UTF_8);
  }

  /** The UI's base URL once the command printed it (bounded). */
  String awaitUiUrl(long seconds) throws Exception {
    return await(seconds, "the UI's URL", () -> {
      try {
        Matcher m = UI_URL.matcher(stdout());
        return m.find() ? m.group(1) : null;
      } catch (IOException e) {
        return null;
      }
    });
  }

  /** Polls {@code until} every 250 ms until it answers non-null; fails after {@code seconds}. */
  <T> T await(long seconds, String what, Supplier<T> until) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      T t = until.get();
      if (t != null) {
        return t;
      }
      if (!process.isAlive()) {
        throw new AssertionError("cairn exited with " + process.exitValue() + " before " + what
            + "\nstdout:\n" + stdout() + "\nstderr:\n" + stderr());
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no " + what + " within " + seconds + " s\nstdout:\n" + stdout()
        + "\nstderr:\n" + tail(stderr()));
  }

  /** GET {@code base + path}: the status and, for JSON, the parsed body. */
  static Map<String, Object> getJson(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(UTF_8));
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + ": " + r.statusCode() + " " + r.body());
    }
    return MiniJson.object(r.body());
  }

  /** The {@code data} of an API envelope, or null when the request failed. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> data(String url) {
    try {
      return (List<Map<String, Object>>) getJson(url).get("data");
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  static String q(String s) {
    return URLEncoder.encode(s, UTF_8);
  }

  private static String tail(String s) {
    return s.length() <= 6000 ? s : "..." + s.substring(s.length() - 6000);
  }

  /** SIGTERM, bounded wait; SIGKILL if it did not stop. */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
