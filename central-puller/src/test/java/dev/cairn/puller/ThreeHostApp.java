package dev.cairn.puller;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.cairn.Cairn;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.logging.log4j.LogManager;

/**
 * One service of {@link ThreeHostIT}, in a JVM of its own (a simulated host): a JDK HTTP server on
 * 127.0.0.1 traced by Cairn's tracer, its spans written through a real {@code <SpanFile>}
 * appender to {@code -Dspans.dir}. Arguments: the service ({@code svc-a}, {@code svc-b} or
 * {@code svc-c}) and the URL of the next service ({@code -} for none).
 *
 * <p>{@code GET /work?i=n}: a SERVER span (attribute {@code request.i}), then
 * <ul>
 *   <li>svc-a: one CLIENT call to the next service;
 *   <li>svc-b: {@code 1 + n % 2} CLIENT calls to the next service;
 *   <li>svc-c: {@code n % 3} INTERNAL child spans;
 * </ul>
 * each CLIENT call carrying the W3C headers of its CLIENT span. The body is the number of spans the
 * request made on this service and every service after it; svc-a answers
 * {@code <trace id> <spans>}, so the test knows every trace and its exact span count.
 *
 * <p>Prints {@code STARTED <port>}. A line {@code STOP} on standard input stops it cleanly (server
 * drained, Log4j2 shut down so the appender writes its last block), printing {@code STOPPED};
 * standard input closing (the test is gone) halts it at once.
 */
public final class ThreeHostApp {
  private static final TextMapGetter<HttpExchange> HEADERS = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(HttpExchange carrier) {
      return carrier.getRequestHeaders().keySet();
    }

    @Override
    public String get(HttpExchange carrier, String key) {
      return carrier == null ? null : carrier.getRequestHeaders().getFirst(key);
    }
  };

  private final String service;
  private final URI next;
  private final Tracer tracer;
  private final TextMapPropagator propagator;
  private final HttpClient client;

  private ThreeHostApp(String service, URI next, OpenTelemetry otel) {
    this.service = service;
    this.next = next;
    this.tracer = otel.getTracer("dev.cairn.test.threehost", "1.0");
    this.propagator = otel.getPropagators().getTextMapPropagator();
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2)).build();
  }

  public static void main(String[] args) throws Exception {
    String service = args[0];
    URI next = "-".equals(args[1]) ? null : URI.create(args[1]);
    LogManager.getLogger(ThreeHostApp.class); // configures Log4j2 before the first span is routed
    ThreeHostApp app = new ThreeHostApp(service, next, Cairn.openTelemetry(service));
    HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    http.setExecutor(pool);
    http.createContext("/work", app::serve);
    http.start();
    System.out.println("STARTED " + http.getAddress().getPort());
    System.out.flush();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if ("STOP".equals(line.strip())) {
          http.stop(1);
          pool.shutdown();
          pool.awaitTermination(5, TimeUnit.SECONDS);
          // Every span ended is in the appender's ring: stopping Log4j2 writes them.
          LogManager.shutdown();
          System.out.println("STOPPED");
          System.out.flush();
          System.exit(0);
        }
      }
    }
    Runtime.getRuntime().halt(4);
  }

  private void serve(HttpExchange exchange) {
    try (exchange) {
      Context parent = propagator.extract(Context.root(), exchange, HEADERS);
      long i = Long.parseLong(exchange.getRequestURI().getRawQuery().substring("i=".length()));
      Span span = tracer.spanBuilder("GET /work").setParent(parent).setSpanKind(SpanKind.SERVER)
          .setAttribute("request.i", i).setAttribute("http.route", "/work").startSpan();
      int status = 200;
      String body;
      try (Scope scope = span.makeCurrent()) {
        int spans = 1 + work(i);
        body = service.equals("svc-a") ? span.getSpanContext().getTraceId() + " " + spans : Integer.toString(spans);
      } catch (Exception e) {
        span.recordException(e);
        status = 500;
        body = e.toString();
      } finally {
        span.end();
      }
      byte[] bytes = body.getBytes(UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (IOException e) {
      // the caller went away; the driver counts the request as failed
    }
  }

  /** The spans made below the SERVER span, on this service and the next ones. */
  private int work(long i) throws IOException, InterruptedException {
    switch (service) {
      case "svc-a":
        return call(i);
      case "svc-b": {
        int spans = 0;
        for (long k = 0; k < 1 + i % 2; k++) {
          spans += call(i);
        }
        return spans;
      }
      default:
        for (long k = 0; k < i % 3; k++) {
          tracer.spanBuilder("step " + k).setSpanKind(SpanKind.INTERNAL).setAttribute("request.i", i)
              .startSpan().end();
        }
        return (int) (i % 3);
    }
  }

  private int call(long i) throws IOException, InterruptedException {
    Span span = tracer.spanBuilder("GET /work").setSpanKind(SpanKind.CLIENT).setAttribute("request.i", i)
        .setAttribute("server.port", (long) next.getPort()).startSpan();
    try (Scope scope = span.makeCurrent()) {
      HttpRequest.Builder request = HttpRequest.newBuilder(next.resolve("/work?i=" + i))
          .timeout(Duration.ofSeconds(10)).GET();
      propagator.inject(Context.current(), request, (r, key, value) -> r.header(key, value));
      HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString(UTF_8));
      if (response.statusCode() != 200) {
        throw new IOException(next + " answered " + response.statusCode() + ": " + response.body());
      }
      return 1 + Integer.parseInt(response.body().strip());
    } finally {
      span.end();
    }
  }
}
