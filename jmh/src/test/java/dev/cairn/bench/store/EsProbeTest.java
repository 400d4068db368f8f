package dev.cairn.bench.store;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The reasons EsStoreBenchmark is skipped must say what to do; a live node is the smoke test's. */
class EsProbeTest {

  @Test
  void unavailable_withoutUrl_saysHowToGiveOne() {
    String why = EsProbe.unavailable("").orElseThrow();
    assertTrue(why.contains("-p esUrl=") && why.contains("CAIRN_BENCH_ES"), why);
  }

  @Test
  void unavailable_whenNothingListens_namesTheUrl() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    String why = EsProbe.unavailable(url).orElseThrow();
    assertTrue(why.startsWith("no Elasticsearch answers at " + url), why);
  }

  @Test
  void unavailable_forNonHttpUrl_saysSo() {
    String why = EsProbe.unavailable("127.0.0.1:9200").orElseThrow();
    assertTrue(why.contains("not an http(s)://host:port URL"), why);
  }
}
