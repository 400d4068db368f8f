package dev.cairn.store.elasticsearch;

import dev.cairn.store.MinuteAggregate;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Pre-aggregated documents, counted when a span is stored for the first time (bulk {@code create}
 * answered 201), so a span pulled again is never counted twice:
 *
 * <ul>
 *   <li>{@code <prefix>-agg-<day>}: per (service, operation, minute) the span count, errors, the
 *       maximum and a log-linear latency histogram;
 *   <li>{@code <prefix>-dep-<day>}: per (parent service, child service, minute) calls and errors.
 * </ul>
 *
 * Both are merged into with optimistic concurrency ({@link EsUpserts}); reads sum them.
 */
final class EsRollups {
  static final long MINUTE = 60_000_000L;
  /** Values below this have a histogram bucket each; above, 32 buckets per power of two. */
  private static final long LINEAR = 64;

  private EsRollups() {}

  /**
   * The lower bound of {@code micros}' histogram bucket: the value itself below 64, else the value
   * with all but its 6 highest bits cleared, so a bucket is at most 1/32 of its values wide and
   * its middle within 1/64 (1.6%) of any value in it. The bound names the bucket, so a stored
   * histogram reads without this code.
   */
  static long bucket(long micros) {
    long v = Math.max(0, micros);
    if (v < LINEAR) {
      return v;
    }
    int drop = 63 - Long.numberOfLeadingZeros(v) - 5;
    return (v >>> drop) << drop;
  }

  /** The middle of the bucket whose lower bound is {@code lower}. */
  static long middle(long lower) {
    if (lower < LINEAR) {
      return lower;
    }
    int drop = 63 - Long.numberOfLeadingZeros(lower) - 5;
    return lower + ((1L << drop) - 1) / 2;
  }

  /** A document ID: 16 bytes of SHA-256 of the names, then the minute (base64url, 32 chars). */
  static String id(String a, String b, long minuteMicros) {
    byte[] id = ByteBuffer.allocate(24).put(EsSpanDocuments.sha256(a, b), 0, 16)
        .putLong(minuteMicros).array();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
  }

  /** A document of two names and a minute, in the daily index of that minute. */
  abstract static class PerMinute implements EsUpserts.Delta {
    final String index;
    final String first;
    final String second;
    final long minute;

    PerMinute(EsIndices indices, String kind, String first, String second, long minute) {
      this.index = indices.daily(kind, minute);
      this.first = first;
      this.second = second;
      this.minute = minute;
    }

    @Override
    public String id() {
      return EsRollups.id(first, second, minute);
    }

    @Override
    public List<String> probe() {
      return List.of(index);
    }

    @Override
    public String target(Map<String, Object> merged) {
      return index;
    }
  }

  /** Spans of one service, operation and minute stored by one write. */
  static final class Aggregate extends PerMinute {
    private long count;
    private long errors;
    private long max;
    private final TreeMap<Long, Long> histogram = new TreeMap<>();

    Aggregate(EsIndices indices, String service, String operation, long minute) {
      super(indices, EsIndices.AGG, service, operation, minute);
    }

    static String key(String service, String operation, long minute) {
      return "a\0" + service + '\0' + operation + '\0' + minute;
    }

    void add(long durationMicros, boolean error) {
      count++;
      if (error) {
        errors++;
      }
      max = Math.max(max, durationMicros);
      histogram.merge(bucket(durationMicros), 1L, Long::sum);
    }

    void absorb(Aggregate older) {
      count += older.count;
      errors += older.errors;
      max = Math.max(max, older.max);
      older.histogram.forEach((b, c) -> histogram.merge(b, c, Long::sum));
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> existing) {
      long c = count;
      long e = errors;
      long m = max;
      TreeMap<Long, Long> h = new TreeMap<>(histogram);
      if (existing != null) {
        c += number(existing, "count");
        e += number(existing, "errors");
        m = Math.max(m, number(existing, "max"));
        readHistogram(existing).forEach((b, n) -> h.merge(b, n, Long::sum));
      }
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("service", first);
      doc.put("operation", second);
      doc.put("minute", minute);
      doc.put("count", c);
      doc.put("errors", e);
      doc.put("max", m);
      doc.put("latency", Map.of("bucket", new ArrayList<>(h.keySet()),
          "count", new ArrayList<>(h.values())));
      return doc;
    }
  }

  /** Calls from one service to another in one minute stored by one write. */
  static final class Dependency extends PerMinute {
    private long calls;
    private long errors;

    Dependency(EsIndices indices, String parent, String child, long minute) {
      super(indices, EsIndices.DEP, parent, child, minute);
    }

    static String key(String parent, String child, long minute) {
      return "d\0" + parent + '\0' + child + '\0' + minute;
    }

    void add(boolean error) {
      calls++;
      if (error) {
        errors++;
      }
    }

    void absorb(Dependency older) {
      calls += older.calls;
      errors += older.errors;
    }

    @Override
    public Map<String, Object> apply(Map<String, Object> existing) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("parent", first);
      doc.put("child", second);
      doc.put("minute", minute);
      doc.put("calls", calls + (existing == null ? 0 : number(existing, "calls")));
      doc.put("errors", errors + (existing == null ? 0 : number(existing, "errors")));
      return doc;
    }
  }

  /** The aggregate a stored document says, its percentiles by nearest rank over the buckets. */
  static MinuteAggregate aggregate(String service, Map<?, ?> doc) {
    TreeMap<Long, Long> h = readHistogram(doc);
    long count = number(doc, "count");
    long max = number(doc, "max");
    return new MinuteAggregate(service, (String) doc.get("operation"), number(doc, "minute"),
        count, number(doc, "errors"), percentile(h, count, max, 0.50),
        percentile(h, count, max, 0.95), percentile(h, count, max, 0.99), max);
  }

  private static long percentile(TreeMap<Long, Long> h, long count, long max, double q) {
    long rank = Math.max(1, (long) Math.ceil(q * count));
    long seen = 0;
    for (Map.Entry<Long, Long> e : h.entrySet()) {
      seen += e.getValue();
      if (seen >= rank) {
        return Math.min(middle(e.getKey()), max);
      }
    }
    return max;
  }

  private static TreeMap<Long, Long> readHistogram(Map<?, ?> doc) {
    TreeMap<Long, Long> h = new TreeMap<>();
    Map<?, ?> latency = (Map<?, ?>) doc.get("latency");
    List<?> buckets = (List<?>) latency.get("bucket");
    List<?> counts = (List<?>) latency.get("count");
    for (int i = 0; i < buckets.size(); i++) {
      h.merge(((Number) buckets.get(i)).longValue(), ((Number) counts.get(i)).longValue(),
          Long::sum);
    }
    return h;
  }

  static long number(Map<?, ?> doc, String field) {
    return ((Number) doc.get(field)).longValue();
  }
}
