package dev.cairn.ui;

/**
 * Jaeger's response envelope {@code {"data": …, "total": n, "limit": 0, "offset": 0, "errors": null}}.
 * The caller writes the data value into {@link #data()}, then calls {@link #ok(int)}.
 *
 * <p>Jaeger leaves {@code total} at 0 on most endpoints; Cairn sets it to the number of items in
 * {@code data} everywhere (an addition no Jaeger client reads).
 */
final class Envelope {
  private final Json json = new Json();

  Envelope() {
    json.object().name("data");
  }

  /** The writer, positioned where the data value goes. */
  Json data() {
    return json;
  }

  Response ok(int total) {
    json.name("total").value(total)
        .name("limit").value(0)
        .name("offset").value(0)
        .name("errors").nullValue()
        .endObject();
    return Response.json(200, json.toString());
  }
}
