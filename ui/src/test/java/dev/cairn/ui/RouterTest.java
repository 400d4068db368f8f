package dev.cairn.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.store.InMemorySpanStore;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing without a network: paths to the pages, files and APIs. */
class RouterTest {
  @TempDir Path web;

  Router router(ClassLoader loader) {
    InMemorySpanStore store = new InMemorySpanStore();
    return new Router(new JaegerApi(store.reader(), Limits.DEFAULT),
        new CairnApi(store.reader(), Limits.DEFAULT, StatusSource.none()), new StaticFiles(loader),
        StatusSource.none(), new UiMetrics());
  }

  ClassLoader pages() throws Exception {
    Path root = web.resolve("dev/cairn/ui/web");
    Files.createDirectories(root.resolve("img"));
    Files.writeString(root.resolve("index.html"), "<!doctype html><title>Cairn</title>", UTF_8);
    Files.writeString(root.resolve("app.js"), "console.log(1)", UTF_8);
    Files.writeString(root.resolve("img/logo.svg"), "<svg/>", UTF_8);
    return new URLClassLoader(new URL[] {web.toUri().toURL()}, null);
  }

  @Test
  void everyNonApiPath_answersTheIndexPage() throws Exception {
    Router r = router(pages());
    byte[] index = "<!doctype html><title>Cairn</title>".getBytes(UTF_8);
    for (String path : List.of("/", "/search?service=a&limit=20", "/trace/6b01e4cb452911b13ac98379bc1e6694",
        "/map", "/services/checkout.api", "/services/a%2Fb")) {
      Router.Routed routed = r.route(path);
      assertEquals(200, routed.response().status(), path);
      assertEquals("text/html; charset=utf-8", routed.response().contentType(), path);
      assertArrayEquals(index, routed.response().body(), path);
      assertEquals("page", routed.route());
    }
  }

  @Test
  void staticFiles_withContentTypes_andNothingOutsideTheWebRoot() throws Exception {
    Router r = router(pages());
    assertEquals("text/javascript; charset=utf-8", r.route("/static/app.js").response().contentType());
    assertEquals("image/svg+xml", r.route("/static/img/logo.svg").response().contentType());
    assertEquals(200, r.route("/static/index.html").response().status());
    for (String bad : List.of("/static/", "/static/nope.js", "/static/../web/index.html", "/static/%2E%2E/x",
        "/static/.hidden", "/static/img/../app.js", "/static/a%5Cb")) {
      assertEquals(404, r.route(bad).response().status(), bad);
    }
  }

  @Test
  void withoutPages_theIndexIsA404SayingSo() {
    Router.Routed routed = router(new URLClassLoader(new URL[0], null)).route("/trace/abc");
    assertEquals(404, routed.response().status());
    assertTrue(new String(routed.response().body(), UTF_8).contains("index.html"));
  }

  @Test
  void pathSegments_areDecodedOneByOne() {
    assertEquals(List.of("api", "services", "a/b c+d", "operations"),
        Router.segments("/api/services/a%2Fb%20c+d/operations"));
    assertEquals(List.of("a", "b"), Router.segments("//a//b/"));
  }

  @Test
  void apiRoutes_malformedUrls_areEnvelopes() {
    Router r = router(new URLClassLoader(new URL[0], null));
    assertEquals(400, r.route("/api/services/%zz/operations").response().status());
    assertTrue(new String(r.route("/api/services/%zz/operations").response().body(), UTF_8).startsWith("{\"data\":null"));
    assertEquals(404, r.route("/api/cairn/nothing").response().status());
    assertEquals(200, r.route("/api/services").response().status());
    assertEquals("services", r.route("/api/services").route());
  }
}
