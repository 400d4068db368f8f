package dev.cairn.ui;

/**
 * A request the server will not answer with data: a 4xx with a message naming the parameter and
 * what is wrong with it, written as Jaeger's error envelope. Cheap: no stack trace.
 */
final class ApiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;

  ApiException(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, message);
  }

  int status() {
    return status;
  }
}
