package dev.cairn.ui;

import java.util.List;

/**
 * What a query server knows of the health of Cairn's parts (puller, shipper, store), shown on
 * {@code GET /api/cairn/status} and summed up on {@code GET /health}. Called on a query thread for
 * each request, so it should answer from state it already holds rather than block on the network.
 *
 * <pre>{@code
 * StatusSource status = () -> List.of(
 *     new ComponentStatus("store", store.check().healthy() ? "up" : "down", Map.of()));
 * QueryServer.builder(store.reader()).status(status).start();
 * }</pre>
 */
@FunctionalInterface
public interface StatusSource {
  /** The components, in the order to show them; never null. */
  List<ComponentStatus> components();

  /** A source that knows nothing: the status page lists no component. */
  static StatusSource none() {
    return List::of;
  }
}
