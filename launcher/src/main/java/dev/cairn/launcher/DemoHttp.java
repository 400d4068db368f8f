package dev.cairn.launcher;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The HTTP plumbing of the demo's services, instrumented by hand the way an OpenTelemetry HTTP
 * instrumentation does it: a SERVER span around each request handled, a CLIENT span around each
 * request sent, W3C {@code traceparent}/{@code tracestate} headers through the service's own
 * propagator, and the stable HTTP semantic-convention attributes.
 */
@SuppressWarnings("try") // try (Scope scope = span.makeCurrent()), scope unused: the OTel idiom
final class DemoHttp {
  static final String HOST = "127.0.0.1";
  static final String PROTOCOL_VERSION = "1.1";
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private static final TextMapGetter<HttpExchange> REQUEST_HEADERS = new TextMapGetter<>() {
    @Override
    @SuppressWarnings("deprecation") // still abstract: every getter implements it
    public Iterable<String> keys(HttpExchange exchange) {
      return exchange.getRequestHeaders().keySet();
    }

    @Override
    public String get(HttpExchange exchange, String key) {
      // Headers looks keys up case-insensitively.
      return exchange == null ? null : exchange.getRequestHeaders().getFirst(key);
    }
  };

  private DemoHttp() {}

  /** A request as a handler sees it: query and form parameters together. */
  record Request(String method, String path, Map<String, String> params) {
    String param(String name) {
      return params.get(name);
    }
  }

  /** What a handler answers; a body is plain text. */
  record Reply(int status, String body) {}

  /** Handles one request inside its SERVER span (current while it runs). */
  @FunctionalInterface
  interface Handler {
    Reply handle(Request request) throws Exception;
  }

  /** A response received by {@link Client#post}. */
  record Response(int status, String body) {}

  /** Daemon threads {@code <prefix>-1, -2, ...}: a thread name shows in every captured log line. */
  static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A JDK HTTP server of one service on 127.0.0.1 and an ephemeral port, with its own pool. */
  static final class Server {
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final HttpServer http;
    private final ExecutorService pool;

    Server(String service, OpenTelemetry otel, int threads) throws IOException {
      this.tracer = otel.getTracer("dev.cairn.demo.http.server", DemoShop.VERSION);
      this.propagator = otel.getPropagators().getTextMapPropagator();
      this.http = HttpServer.create(new InetSocketAddress(HOST, 0), 128);
      this.pool = Executors.newFixedThreadPool(threads, threads(service + "-http"));
      http.setExecutor(pool);
    }

    /** Serves {@code method route} with {@code handler}; other methods get a 405. */
    Server route(String method, String route, Handler handler) {
      http.createContext(route, exchange -> serve(exchange, method, route, handler));
      return this;
    }

    void start() {
      http.start();
    }

    int port() {
      return http.getAddress().getPort();
    }

    URI uri(String pathAndQuery) {
      return URI.create("http://" + HOST + ":" + port() + pathAndQuery);
    }

    /**
     * Stops accepting, gives running exchanges up to {@code graceSeconds} to finish, and stops
     * the pool. Bounded: at most {@code graceSeconds} plus 2 s.
     */
    void stop(int graceSeconds) {
      http.stop(graceSeconds);
      pool.shutdown();
      try {
        if (!pool.awaitTermination(2, TimeUnit.SECONDS)) {
          pool.shutdownNow();
        }
      } catch (InterruptedException e) {
        pool.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }

    private void serve(HttpExchange exchange, String method, String route, Handler handler) {
      try (exchange) {
        Context parent = propagator.extract(Context.root(), exchange, REQUEST_HEADERS);
        String query = exchange.getRequestURI().getRawQuery();
        InetSocketAddress client = exchange.getRemoteAddress();
        var builder = tracer.spanBuilder(exchange.getRequestMethod() + " " + route)
            .setParent(parent)
            .setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", exchange.getRequestMethod())
            .setAttribute("url.scheme", "http")
            .setAttribute("url.path", exchange.getRequestURI().getRawPath())
            .setAttribute("http.route", route)
            .setAttribute("server.address", HOST)
            .setAttribute("server.port", (long) port())
            .setAttribute("client.address", client.getAddress().getHostAddress())
            .setAttribute("network.peer.port", (long) client.getPort())
            .setAttribute("network.protocol.version", PROTOCOL_VERSION);
        if (query != null) {
          builder.setAttribute("url.query", query);
        }
        String userAgent = exchange.getRequestHeaders().getFirst("User-Agent");
        if (userAgent != null) {
          builder.setAttribute("user_agent.original", userAgent);
        }
        Span span = builder.startSpan();
        // The extracted context also holds the caller's W3C baggage: keep it current.
        try (Scope scope = parent.with(span).makeCurrent()) {
          Reply reply;
          if (!method.equals(exchange.getRequestMethod())) {
            reply = new Reply(405, "use " + method + "\n");
          } else {
            try {
              Map<String, String> params = form(query);
              params.putAll(form(new String(readBody(exchange), UTF_8)));
              reply = handler.handle(
                  new Request(method, exchange.getRequestURI().getRawPath(), params));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              span.recordException(e);
              reply = new Reply(503, "interrupted\n");
            } catch (Exception e) {
              span.recordException(e);
              span.setAttribute("error.type", e.getClass().getName());
              reply = new Reply(500, e + "\n");
            }
          }
          span.setAttribute("http.response.status_code", (long) reply.status());
          // Semantic conventions: a server span is an error for 5xx only; 4xx is the client's.
          if (reply.status() >= 500) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute("error.type", Integer.toString(reply.status()));
          }
          byte[] body = reply.body().getBytes(UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
          exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        } catch (IOException e) {
          // The caller went away; the span says so.
          span.recordException(e);
          span.setStatus(StatusCode.ERROR, e.toString());
        } finally {
          span.end();
        }
      }
    }
  }

  private static byte[] readBody(HttpExchange exchange) throws IOException {
    try (InputStream in = exchange.getRequestBody()) {
      return in.readNBytes(64 * 1024);
    }
  }

  /** {@code a=1&b=x} to an ordered map; an empty or null text is no parameters. */
  static Map<String, String> form(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    for (String pair : text.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(URLDecoder.decode(k, UTF_8), URLDecoder.decode(v, UTF_8));
    }
    return out;
  }

  static String form(Map<String, String> params) {
    return params.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), UTF_8) + "=" + URLEncoder.encode(e.getValue(), UTF_8))
        .collect(Collectors.joining("&"));
  }

  /** An instrumented HTTP client of one service. */
  static final class Client {
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final HttpClient http;
    private final ExecutorService pool;

    Client(String service, OpenTelemetry otel) {
      this.tracer = otel.getTracer("dev.cairn.demo.http.client", DemoShop.VERSION);
      this.propagator = otel.getPropagators().getTextMapPropagator();
      this.pool = Executors.newCachedThreadPool(threads(service + "-client"));
      this.http = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .executor(pool)
          .build();
    }

    /**
     * POSTs a form to {@code uri} inside a CLIENT span named {@code POST <route>}, child of the
     * current span, with the W3C headers of that CLIENT span: the server's span becomes its child.
     * A 4xx/5xx answer or an I/O error makes the CLIENT span an error.
     */
    Response post(URI uri, String route, Map<String, String> params)
        throws IOException, InterruptedException {
      Span span = tracer.spanBuilder("POST " + route)
          .setSpanKind(SpanKind.CLIENT)
          .setAttribute("http.request.method", "POST")
          .setAttribute("url.full", uri.toString())
          .setAttribute("url.template", route)
          .setAttribute("server.address", uri.getHost())
          .setAttribute("server.port", (long) uri.getPort())
          .setAttribute("network.protocol.version", PROTOCOL_VERSION)
          .startSpan();
      try (Scope scope = span.makeCurrent()) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
            .timeout(REQUEST_TIMEOUT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("User-Agent", "cairn-demo-http/" + DemoShop.VERSION)
            .POST(HttpRequest.BodyPublishers.ofString(form(params)));
        propagator.inject(Context.current(), request, (r, key, value) -> r.header(key, value));
        HttpResponse<String> response =
            http.send(request.build(), HttpResponse.BodyHandlers.ofString(UTF_8));
        int status = response.statusCode();
        span.setAttribute("http.response.status_code", (long) status);
        if (status >= 400) {
          span.setStatus(StatusCode.ERROR, "HTTP " + status + ": " + response.body().strip());
          span.setAttribute("error.type", Integer.toString(status));
        }
        return new Response(status, response.body());
      } catch (IOException e) {
        span.recordException(e);
        span.setStatus(StatusCode.ERROR, e.toString());
        span.setAttribute("error.type", e.getClass().getName());
        throw e;
      } finally {
        span.end();
      }
    }

    void close() {
      pool.shutdownNow();
    }
  }
}
