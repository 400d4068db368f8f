package dev.cairn.launcher;

import static dev.cairn.launcher.SpanFileFixture.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.WriteBatch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UiCommandTest {
  @TempDir Path tmp;

  @Test
  void servesTheStoreAPullerIsWriting_untilStopped() throws Exception {
    Path dir = tmp.resolve("store");
    // committed before write() returns, so the read-only UI sees it at once
    try (EmbeddedSpanStore writer = EmbeddedSpanStore.builder(dir).commitInterval(Duration.ZERO).build()) {
      writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(SpanRecord.builder().traceId(1, 2).spanId(3)
          .service("checkout").name("GET /cart").kind(SpanKind.SERVER).startMicros(1_000_000).durationMicros(5)
          .build()))));
      UiCommand ui = new UiCommand();
      StringWriter out = new StringWriter();
      CommandLine cl = new CommandLine(ui);
      cl.setOut(new PrintWriter(out, true));
      cl.setErr(new PrintWriter(new StringWriter(), true));
      CompletableFuture<Integer> status = CompletableFuture.supplyAsync(
          () -> cl.execute("--store", dir.toString(), "--http", "127.0.0.1:0"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (ui.server == null && !status.isDone() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertNotNull(ui.server, "started; exit " + (status.isDone() ? status.get() : "-"));
      int port = ui.server.address().getPort();
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/api/services")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertTrue(r.body().startsWith("{\"data\":[\"checkout\"]"), r.body());
      assertTrue(out.toString().contains("http://127.0.0.1:" + port + "/"), out.toString());
      ui.stopRequested.countDown();
      assertEquals(0, status.get(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void badValue_exitsTwoNamingTheKeyAndTheFile() throws Exception {
    Path config = Files.writeString(tmp.resolve("ui.yaml"), "store:\n  path: " + tmp + "\nlimits:\n  results: lots\n",
        UTF_8);
    SpanFileFixture.Run run = run("ui", "--config", config.toString());
    assertEquals(2, run.status(), run.err());
    assertEquals("cairn ui: limits.results (" + config + "): \"lots\" is not a whole number", run.err().strip());
  }

  @Test
  void missingStore_exitsTwoSayingHowToSetIt() {
    SpanFileFixture.Run run = run("ui");
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().startsWith("cairn ui: store.path: required"), run.err());
  }

  @Test
  void unknownKey_suggestsTheKnownOne() {
    SpanFileFixture.Run run = run("ui", "--store", tmp.toString(), "--set", "limits.result=5");
    assertEquals(2, run.status(), run.err());
    assertTrue(run.err().contains("limits.result (--set limits.result): unknown key; did you mean limits.results?"),
        run.err());
  }

  @Test
  void portInUse_exitsOneNamingTheAddress() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      SpanFileFixture.Run run = run("ui", "--store", tmp.toString(), "--http", "127.0.0.1:" + taken.getLocalPort());
      assertEquals(1, run.status(), run.err());
      assertTrue(run.err().contains("127.0.0.1:" + taken.getLocalPort()), run.err());
    }
  }

  @Test
  void help_listsTheUi() {
    assertTrue(run("--help").out().contains(" ui "));
    SpanFileFixture.Run help = run("ui", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--store") && help.out().contains("--http"), help.out());
  }
}
