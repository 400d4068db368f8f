package dev.cairn.core.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Internal: shared by Cairn's daemons (shipper, puller) for their {@code /metrics}; not a stable
 * API. Writes metrics in Prometheus' text exposition format 0.0.4: per family one {@code # HELP} and one
 * {@code # TYPE} line, then its samples, label values escaped. Names are checked: a bad name is a
 * programming error, and Prometheus would reject the whole scrape for it.
 *
 * <pre>{@code
 * PrometheusText t = new PrometheusText();
 * t.counter("cairn_puller_pulled_bytes_total", "Block bytes pulled.", 1234);
 * t.family("cairn_puller_host_lag_blocks", "gauge", "Blocks not pulled yet.").sample(12, "host", name);
 * }</pre>
 */
public final class PrometheusText {
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  private final StringBuilder out = new StringBuilder(4096);
  private final Set<String> families = new HashSet<>();

  /** A counter family with one unlabelled sample; the name ends in {@code _total}. */
  public PrometheusText counter(String name, String help, long value) {
    family(name, "counter", help).sample(value);
    return this;
  }

  /** A gauge family with one unlabelled sample. */
  public PrometheusText gauge(String name, String help, double value) {
    family(name, "gauge", help).sample(value);
    return this;
  }

  /** Starts a family; add its samples before starting the next one. */
  public Family family(String name, String type, String help) {
    if (!METRIC_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a metric name: " + name);
    }
    if (type.equals("counter") != name.endsWith("_total")) {
      throw new IllegalArgumentException("counters, and only counters, end in _total: " + name);
    }
    if (!families.add(name)) {
      throw new IllegalArgumentException("family written twice: " + name);
    }
    out.append("# HELP ").append(name).append(' ');
    escape(help, false);
    out.append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    return new Family(name);
  }

  /** The text written so far. */
  @Override
  public String toString() {
    return out.toString();
  }

  /** Appends another writer's families (rendered separately so that a failure there leaves this intact). */
  public void append(PrometheusText other) {
    for (String f : other.families) {
      if (!families.add(f)) {
        throw new IllegalArgumentException("family written twice: " + f);
      }
    }
    out.append(other.out);
  }

  private void escape(String s, boolean quote) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '"' -> out.append(quote ? "\\\"" : "\"");
        default -> out.append(c);
      }
    }
  }

  /** One family's samples. */
  public final class Family {
    private final String name;

    private Family(String name) {
      this.name = name;
    }

    /** A sample; {@code labels} are name, value pairs. */
    public Family sample(long value, String... labels) {
      start("", labels);
      out.append(value).append('\n');
      return this;
    }

    public Family sample(double value, String... labels) {
      return sample("", value, labels);
    }

    /** A sample of {@code name + suffix}, for a histogram's {@code _bucket}, {@code _sum} and {@code _count}. */
    public Family sample(String suffix, double value, String... labels) {
      start(suffix, labels);
      if (Double.isNaN(value)) {
        out.append("NaN");
      } else if (Double.isInfinite(value)) {
        out.append(value > 0 ? "+Inf" : "-Inf");
      } else if (value == Math.rint(value) && Math.abs(value) < 1e15) {
        out.append((long) value);
      } else {
        out.append(value);
      }
      out.append('\n');
      return this;
    }

    private void start(String suffix, String[] labels) {
      if (labels.length % 2 != 0) {
        throw new IllegalArgumentException("labels come in name, value pairs: " + name);
      }
      out.append(name).append(suffix);
      if (labels.length > 0) {
        out.append('{');
        for (int i = 0; i < labels.length; i += 2) {
          if (!LABEL_NAME.matcher(labels[i]).matches() || labels[i].startsWith("__")) {
            throw new IllegalArgumentException("not a label name: " + labels[i]);
          }
          if (i > 0) {
            out.append(',');
          }
          out.append(labels[i]).append("=\"");
          escape(labels[i + 1], true);
          out.append('"');
        }
        out.append('}');
      }
      out.append(' ');
    }
  }
}
