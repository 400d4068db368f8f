package dev.cairn.core.model;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * The process that wrote a span file, recorded once in the file header.
 *
 * @param service the default service name of the process (spans carry their own service too)
 * @param host the host name
 * @param instance an operator-chosen instance name (pod, container, node), "" when none
 * @param pid the operating-system process ID
 * @param startMicros when the process started, microseconds since the epoch
 * @param tags further key/values (runtime version, deployment), never null
 */
public record ProcessInfo(
    String service, String host, String instance, long pid, long startMicros,
    Map<String, String> tags) {

  public ProcessInfo {
    requireNonNull(service, "service");
    requireNonNull(host, "host");
    requireNonNull(instance, "instance");
    tags = Map.copyOf(requireNonNull(tags, "tags"));
  }
}
