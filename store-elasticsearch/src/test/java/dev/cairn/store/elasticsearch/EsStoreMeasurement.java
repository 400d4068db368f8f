package dev.cairn.store.elasticsearch;

import static dev.cairn.store.EmbeddedStoreMeasurement.loadAverage;
import static dev.cairn.store.EmbeddedStoreMeasurement.print;

import dev.cairn.core.model.TraceId;
import dev.cairn.store.EmbeddedStoreMeasurement;
import dev.cairn.store.StoredSpan;
import dev.cairn.store.Trace;
import dev.cairn.store.TraceQuery;
import dev.cairn.store.TraceSummary;
import dev.cairn.store.WriteBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Write throughput, query latency and bytes per span on disk of the Elasticsearch store, on the
 * embedded store's data set ({@link EmbeddedStoreMeasurement#dataSet}: 100,000 spans, 10,000
 * traces, 8 attributes per span), into the local test node (one shard, no replica). A
 * measurement, not part of the suite (its name matches no test pattern); run it with
 * {@code mvn -B -pl store-elasticsearch -am test -Dtest=EsStoreMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false} ({@code -Dspans=…} to change the size,
 * {@code -DcompressParts=true} to keep parts LZ4-compressed, {@code -DdiskUsage=true} to print
 * Elasticsearch's {@code _disk_usage}). Figures are in docs/store-elasticsearch.md.
 */
class EsStoreMeasurement {
  /** A field's (or the whole index's) total in the answer of {@code _disk_usage}. */
  private static final Pattern FIELD =
      Pattern.compile("\"([^\"]+)\" : \\{\\s*\"total\" : \"[^\"]*\",\\s*"
          + "\"total_in_bytes\" : (\\d+)");
  private static final String[] ROUTES = {"/api/cart/{id}", "/api/orders/{id}", "/api/orders",
      "/api/users/{id}", "/health", "/api/catalog/items"};

  @Test
  void measure() throws Exception {
    int spanCount = Integer.getInteger("spans", 100_000);
    int batch = Integer.getInteger("batch", 1000);
    List<StoredSpan> all = EmbeddedStoreMeasurement.dataSet(spanCount);
    List<TraceId> ids = new ArrayList<>();
    for (int i = 0; i < all.size(); i += 10) {
      ids.add(TraceId.of(all.get(i).span()));
    }
    Random random = new Random(7);
    int bulk = Integer.getInteger("bulk", 1000);
    boolean compress = Boolean.getBoolean("compressParts");
    // a fresh node's JIT is cold: the same writes into a throwaway prefix first
    String warm = EsTesting.newPrefix();
    try (EsSpanStore store = EsTesting.store(warm).bulkMaxDocuments(bulk).build()) {
      for (int i = 0; i < all.size(); i += batch) {
        store.writer().write(WriteBatch.ofSpans(all.subList(i, Math.min(all.size(), i + batch))));
      }
    } finally {
      EsTesting.deleteAll(warm);
    }
    String prefix = EsTesting.newPrefix();
    try (EsSpanStore store = EsTesting.store(prefix).bulkMaxDocuments(bulk)
        .compressParts(compress).build()) {
      long t0 = System.nanoTime();
      for (int i = 0; i < all.size(); i += batch) {
        store.writer().write(WriteBatch.ofSpans(all.subList(i, Math.min(all.size(), i + batch))));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("write, 1 thread: %,d spans in batches of %,d%s: %.2f s, %,.0f spans/s"
          + " (load %s)%n", all.size(), batch, compress ? " (parts LZ4-compressed)" : "",
          seconds, all.size() / seconds, loadAverage());

      int lookups = 500;
      long[] byId = new long[lookups];
      for (int i = 0; i < lookups; i++) {
        TraceId id = ids.get(random.nextInt(ids.size()));
        long s = System.nanoTime();
        Trace trace = store.reader().trace(id).orElseThrow();
        byId[i] = System.nanoTime() - s;
        if (trace.spans().size() != 10) {
          throw new AssertionError("trace " + id + " has " + trace.spans().size() + " spans");
        }
      }
      print("trace(id), 10 spans", byId);

      long[] byKey = new long[lookups];
      for (int i = 0; i < lookups; i++) {
        int t = random.nextInt(ids.size());
        long s = System.nanoTime();
        List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder()
            .tag("order.id", Long.toString(1_000_000L + t)).build());
        byKey[i] = System.nanoTime() - s;
        if (found.size() != 1 || !found.get(0).traceId().equals(ids.get(t))) {
          throw new AssertionError("order " + t + ": " + found);
        }
      }
      print("findTraces(tag order.id=…), 1 hit", byKey);

      int rounds = 100;
      long[] broad = new long[rounds];
      long[] recent = new long[rounds];
      for (int i = 0; i < rounds; i++) {
        long s = System.nanoTime();
        List<TraceSummary> found = store.reader().findTraces(TraceQuery.builder().service("cart")
            .tag("http.route", ROUTES[i % ROUTES.length]).limit(20).build());
        broad[i] = System.nanoTime() - s;
        if (found.size() != 20) {
          throw new AssertionError("broad search found " + found.size());
        }
        s = System.nanoTime();
        store.reader().findTraces(TraceQuery.builder().service("web").limit(20).build());
        recent[i] = System.nanoTime() - s;
      }
      print("findTraces(service cart, tag http.route=…), limit 20", broad);
      print("findTraces(service web), summaries only, limit 20", recent);

      settle(prefix);
      System.out.print(EsTesting.send("GET", "/_cat/segments/" + prefix
          + "-*?h=index,segment,docs.count,size&bytes=b", null));
      String cat = EsTesting.send("GET", "/_cat/indices/" + prefix
          + "-*?bytes=b&h=index,docs.count,pri.store.size&s=index", null);
      long total = 0;
      for (String line : cat.strip().split("\n")) {
        String[] f = line.trim().split("\\s+");
        long bytes = Long.parseLong(f[2]);
        total += bytes;
        System.out.printf("  %s: %s docs, %,d bytes, %.1f bytes/span%n", f[0], f[1], bytes,
            bytes / (double) all.size());
      }
      System.out.printf("on disk after the retention lease passed and a force merge: %,d bytes,"
          + " %.1f bytes/span (with one replica: %.1f bytes/span)%n", total,
          total / (double) all.size(), 2.0 * total / all.size());
      for (String kind : EsIndices.KINDS) {
        String usage = EsTesting.send("POST", "/" + prefix + "-" + kind + "-*/_disk_usage"
            + "?run_expensive_tasks=true&pretty", null);
        if (Boolean.getBoolean("diskUsage")) {
          System.out.println(usage);
        }
        StringBuilder fields = new StringBuilder();
        Matcher m = FIELD.matcher(usage);
        while (m.find()) {
          long bytes = Long.parseLong(m.group(2));
          if (bytes > 0 && !m.group(1).equals("store_size")) {
            fields.append(String.format(" %s %.2f", m.group(1), bytes / (double) all.size()));
          }
        }
        System.out.printf("  %s bytes/span by field:%s%n", kind, fields);
      }
    } finally {
      EsTesting.deleteAll(prefix);
    }

    String prefix4 = EsTesting.newPrefix();
    try (EsSpanStore store = EsTesting.store(prefix4).bulkMaxDocuments(bulk).build()) {
      double seconds = EmbeddedStoreMeasurement.writeConcurrently(store.writer(), all, batch, 4);
      System.out.printf("write, 4 threads: %,d spans in batches of %,d: %.2f s, %,.0f spans/s"
          + " (load %s)%n", all.size(), batch, seconds, all.size() / seconds, loadAverage());
    } finally {
      EsTesting.deleteAll(prefix4);
    }
  }

  /**
   * Brings the indices to the size they settle at once the day's writes are over. With
   * {@code _source} disabled Elasticsearch keeps each document's JSON as {@code _recovery_source}
   * (and the old versions of updated documents) while the shard's peer-recovery retention lease
   * still covers them; the lease advances to the global checkpoint when the shard's periodic lease
   * sync renews it, and the next merge that rewrites a segment drops what the lease no longer
   * covers. So: flush, wait until every lease is past the last operation, flush again, force
   * merge (which rewrites only an index of several segments).
   */
  private static void settle(String prefix) throws Exception {
    EsTesting.send("POST", "/" + prefix + "-*/_flush", null);
    long deadline = System.nanoTime() + 300_000_000_000L;
    Pattern maxSeqNo = Pattern.compile("\"max_seq_no\":(-?\\d+)");
    Pattern retaining = Pattern.compile("\"retaining_seq_no\":(-?\\d+)");
    for (String kind : EsIndices.KINDS) {
      while (true) {
        String stats = EsTesting.send("GET", "/" + prefix + "-" + kind
            + "-*/_stats?level=shards&filter_path=**.seq_no.max_seq_no,"
            + "**.retention_leases.leases.retaining_seq_no", null);
        long max = Long.MIN_VALUE;
        for (Matcher m = maxSeqNo.matcher(stats); m.find(); ) {
          max = Math.max(max, Long.parseLong(m.group(1)));
        }
        long min = Long.MAX_VALUE;
        for (Matcher m = retaining.matcher(stats); m.find(); ) {
          min = Math.min(min, Long.parseLong(m.group(1)));
        }
        if (min > max) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the retention leases did not pass the last operation: "
              + stats);
        }
        Thread.sleep(1000);
      }
    }
    EsTesting.send("POST", "/" + prefix + "-*/_flush", null);
    System.out.print("segments before the force merge: " + EsTesting.send("GET",
        "/_cat/segments/" + prefix + "-*?h=index,segment,docs.count,size&bytes=b", null));
    EsTesting.send("POST", "/" + prefix + "-*/_forcemerge?max_num_segments=1", null);
    EsTesting.send("POST", "/" + prefix + "-*/_refresh", null);
    // the commit before the merge (and its segments' files) is released by the next flush
    EsTesting.send("POST", "/" + prefix + "-*/_flush?force=true", null);
    Thread.sleep(11_000); // store sizes are cached for index.store.stats_refresh_interval (10 s)
  }
}
