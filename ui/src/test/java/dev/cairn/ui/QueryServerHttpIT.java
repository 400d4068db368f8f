package dev.cairn.ui;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.DependencyLink;
import dev.cairn.store.InMemorySpanStore;
import dev.cairn.store.MinuteAggregate;
import dev.cairn.store.Operation;
import dev.cairn.store.SpanReader;
import dev.cairn.store.StoreException;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** HTTP behaviour of a real server: back-pressure, gzip, HEAD, pipelined requests. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueryServerHttpIT {
  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static HttpResponse<byte[]> send(QueryServer s, String method, String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.address().getPort() + path))
        .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static QueryServer.Builder builder(SpanReader reader) {
    return QueryServer.builder(reader).bind(new InetSocketAddress("127.0.0.1", 0));
  }

  /** A reader whose services() waits until released. */
  static final class BlockingReader implements SpanReader {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    @Override
    public List<String> services() throws StoreException {
      entered.countDown();
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return List.of("slow");
    }

    @Override
    public Optional<Trace> trace(TraceId traceId) {
      return Optional.empty();
    }

    @Override
    public List<TraceSummary> findTraces(TraceQuery query) {
      return List.of();
    }

    @Override
    public List<Operation> operations(String service) {
      return List.of();
    }

    @Override
    public List<DependencyLink> dependencies(long endMicros, long lookbackMicros) {
      return List.of();
    }

    @Override
    public List<MinuteAggregate> aggregates(String service, String operation, long from, long to) {
      return List.of();
    }
  }

  @Test
  void saturated_answers503AtOnce_metricsStillAnswer_andTheSlowQueryFinishes() throws Exception {
    BlockingReader reader = new BlockingReader();
    try (QueryServer s = builder(reader).queryThreads(1).queueSize(0).start()) {
      CompletableFuture<HttpResponse<byte[]>> slow = CompletableFuture.supplyAsync(() -> {
        try {
          return send(s, "GET", "/api/services");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertTrue(reader.entered.await(10, TimeUnit.SECONDS));
      HttpResponse<byte[]> busy = send(s, "GET", "/api/operations?service=x");
      assertEquals(503, busy.statusCode());
      assertTrue(new String(busy.body(), UTF_8).contains("\"code\":503"));
      HttpResponse<byte[]> metrics = send(s, "GET", "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(new String(metrics.body(), UTF_8).contains("cairn_ui_rejected_total 1"));
      reader.release.countDown();
      HttpResponse<byte[]> done = slow.get(10, TimeUnit.SECONDS);
      assertEquals(200, done.statusCode());
      assertTrue(new String(done.body(), UTF_8).startsWith("{\"data\":[\"slow\"]"));
    }
  }

  @Test
  void gzip_whenAccepted_andHeadHasNoBody() throws Exception {
    InMemorySpanStore store = new InMemorySpanStore();
    UiTestData.write(store.writer());
    try (QueryServer s = builder(store.reader()).start()) {
      String path = "/api/cairn/traces/" + UiTestData.SHOP.hex();
      HttpResponse<byte[]> plain = send(s, "GET", path);
      HttpResponse<byte[]> zipped = send(s, "GET", path, "Accept-Encoding", "gzip");
      assertEquals("gzip", zipped.headers().firstValue("content-encoding").orElse(""));
      assertTrue(zipped.body().length < plain.body().length);
      try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(zipped.body()))) {
        assertEquals(new String(plain.body(), UTF_8), new String(in.readAllBytes(), UTF_8));
      }
      HttpResponse<byte[]> head = send(s, "HEAD", "/api/services");
      assertEquals(200, head.statusCode());
      assertEquals(0, head.body().length);
      assertEquals(String.valueOf(send(s, "GET", "/api/services").body().length),
          head.headers().firstValue("content-length").orElse(""));
    }
  }

  @Test
  void pipelinedRequests_areAnsweredInOrder() throws Exception {
    InMemorySpanStore store = new InMemorySpanStore();
    UiTestData.write(store.writer());
    try (QueryServer s = builder(store.reader()).start();
        Socket socket = new Socket("127.0.0.1", s.address().getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /api/services/frontend/operations HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /api/services HTTP/1.1\r\nHost: x\r\n\r\n"
          + "GET /api/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(UTF_8));
      out.flush();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(all); // the server closes after the third answer
      String text = all.toString(UTF_8);
      int ops = text.indexOf("GET /cart");
      int services = text.indexOf("[\"checkout\",\"frontend\"");
      int unknown = text.indexOf("no such API endpoint");
      assertTrue(ops > 0 && services > ops && unknown > services, text);
      assertEquals(3, text.split("HTTP/1.1 ", -1).length - 1, text);
    }
  }
}
