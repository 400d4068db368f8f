package dev.cairn.ui;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * What a route answers: status, content type and body.
 */
record Response(int status, String contentType, byte[] body) {
  static final String JSON = "application/json; charset=utf-8";
  static final String TEXT = "text/plain; charset=utf-8";

  static Response json(int status, String body) {
    return new Response(status, JSON, body.getBytes(UTF_8));
  }

  static Response text(int status, String body) {
    return new Response(status, TEXT, body.getBytes(UTF_8));
  }

  /** Jaeger's error envelope: {@code data} null, one error with the HTTP status as its code. */
  static Response error(int status, String message) {
    Json j = new Json().object()
        .name("data").nullValue()
        .name("total").value(0)
        .name("limit").value(0)
        .name("offset").value(0)
        .name("errors").array().object()
        .name("code").value(status)
        .name("msg").value(message)
        .endObject().endArray()
        .endObject();
    return json(status, j.toString());
  }
}
