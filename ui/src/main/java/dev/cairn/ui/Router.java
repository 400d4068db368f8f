package dev.cairn.ui;

import dev.cairn.core.internal.PrometheusText;
import dev.cairn.store.StoreException;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Maps a GET to its answer: {@code /api/…} (Jaeger), {@code /api/cairn/…}, {@code /static/<file>},
 * {@code /health}, {@code /metrics}, and {@code index.html} for every other path so that the pages'
 * deep links work. Turns bad input into the error envelope. Runs on a query thread.
 */
final class Router {
  private static final Logger LOG = LogManager.getLogger(Router.class);

  /** A response with the route's name, a label for metrics from a fixed set. */
  record Routed(String route, Response response) {}

  private final JaegerApi jaeger;
  private final CairnApi cairn;
  private final StaticFiles files;
  private final StatusSource status;
  private final UiMetrics metrics;

  Router(JaegerApi jaeger, CairnApi cairn, StaticFiles files, StatusSource status, UiMetrics metrics) {
    this.jaeger = jaeger;
    this.cairn = cairn;
    this.files = files;
    this.status = status;
    this.metrics = metrics;
  }

  Routed route(String uri) {
    QueryStringDecoder decoder;
    List<String> path;
    try {
      decoder = new QueryStringDecoder(uri);
      path = segments(decoder.rawPath());
      decoder.parameters(); // decodes now, so a malformed query fails here
    } catch (IllegalArgumentException e) {
      boolean api = uri.startsWith("/api/");
      return new Routed("bad_request", api
          ? Response.error(400, "malformed URL: " + e.getMessage())
          : Response.text(400, "malformed URL: " + e.getMessage() + "\n"));
    }
    if (!path.isEmpty() && path.get(0).equals("api")) {
      return api(path, new Params(decoder.parameters()));
    }
    if (path.size() == 1 && path.get(0).equals("health")) {
      return new Routed("health", health());
    }
    if (path.size() == 1 && path.get(0).equals("metrics")) {
      return new Routed("metrics", new Response(200, PrometheusText.CONTENT_TYPE,
          metrics.render().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
    if (!path.isEmpty() && path.get(0).equals("static")) {
      Optional<Response> file = files.file(String.join("/", path.subList(1, path.size())));
      return new Routed("static", file.orElseGet(() -> Response.text(404, "no such file: " + Queries.shorten(
          decoder.rawPath()) + "\n")));
    }
    if (path.size() == 1 && path.get(0).equals("favicon.ico")) {
      return new Routed("static", files.file("favicon.ico").orElseGet(() -> Response.text(404, "no favicon\n")));
    }
    return new Routed("page", files.file("index.html").orElseGet(() -> Response.text(404,
        "the web UI is not in this build (no " + StaticFiles.ROOT + "index.html on the class path)\n")));
  }

  /** The route name of an {@code /api/…} path, or "api_unknown". */
  static String apiRoute(List<String> path) {
    int n = path.size();
    boolean cairn = n >= 3 && path.get(1).equals("cairn");
    if (cairn && n == 3 && List.of("search", "lookup", "dependencies", "status").contains(path.get(2))) {
      return "cairn_" + path.get(2);
    }
    if (cairn && n == 4 && path.get(2).equals("traces")) {
      return "cairn_trace";
    }
    if (cairn && n == 5 && path.get(2).equals("services")
        && (path.get(4).equals("aggregates") || path.get(4).equals("summary"))) {
      return "cairn_" + path.get(4);
    }
    if (n == 2 && List.of("services", "operations", "traces", "dependencies").contains(path.get(1))) {
      return path.get(1);
    }
    if (n == 3 && path.get(1).equals("traces")) {
      return "trace";
    }
    if (n == 4 && path.get(1).equals("services") && path.get(3).equals("operations")) {
      return "service_operations";
    }
    return "api_unknown";
  }

  private Routed api(List<String> path, Params p) {
    String route = apiRoute(path);
    try {
      Response r = switch (route) {
        case "services" -> jaeger.services();
        case "service_operations" -> jaeger.operationNames(path.get(2));
        case "operations" -> jaeger.operations(p);
        case "traces" -> jaeger.search(p);
        case "trace" -> jaeger.trace(path.get(2), p);
        case "dependencies" -> jaeger.dependencies(p);
        case "cairn_trace" -> cairn.trace(path.get(3));
        case "cairn_search" -> cairn.search(p);
        case "cairn_lookup" -> cairn.lookup(p);
        case "cairn_dependencies" -> cairn.dependencies(p);
        case "cairn_status" -> cairn.status();
        case "cairn_aggregates" -> cairn.aggregates(path.get(3), p);
        case "cairn_summary" -> cairn.summary(path.get(3), p);
        default -> Response.error(404, "no such API endpoint: /" + Queries.shorten(String.join("/", path))
            + " (see docs/api.md)");
      };
      return new Routed(route, r);
    } catch (ApiException e) {
      return new Routed(route, Response.error(e.status(), e.getMessage()));
    } catch (IllegalArgumentException e) {
      // a value the store's query builder refused: still the request's fault
      return new Routed(route, Response.error(400, e.getMessage()));
    } catch (StoreException e) {
      metrics.storeErrors.increment();
      LOG.warn("{}: the store failed: {}", route, e.getMessage(), e);
      return new Routed(route, Response.error(500, "the store failed: " + e.getMessage()));
    } catch (RuntimeException e) {
      LOG.error("{}: unexpected failure", route, e);
      return new Routed(route, Response.error(500, "internal error: " + e));
    }
  }

  /** 200 {"status":"up"} unless a component named "store" is down (503). */
  private Response health() {
    List<ComponentStatus> components = CairnApi.components(status);
    boolean up = components.stream()
        .noneMatch(c -> c.name().equals("store") && c.status().equals(ComponentStatus.DOWN));
    Json j = new Json().object().name("status").value(up ? "up" : "down").name("components").object();
    for (ComponentStatus c : components) {
      j.name(c.name()).value(c.status());
    }
    j.endObject().endObject();
    return Response.json(up ? 200 : 503, j.toString());
  }

  /**
   * The decoded segments of a raw path; empty segments dropped ("/a//b/" is a, b). Each segment is
   * decoded alone, so a service name holding an encoded '/' stays one segment.
   */
  static List<String> segments(String rawPath) {
    List<String> out = new ArrayList<>();
    for (String s : rawPath.split("/")) {
      if (!s.isEmpty()) {
        // '+' is a literal plus in a path (only query strings use it for a space)
        out.add(QueryStringDecoder.decodeComponent(s.replace("+", "%2B")));
      }
    }
    return out;
  }
}
