package dev.cairn.launcher;

import dev.cairn.core.format.FormatException;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.Ids;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code cairn demo} wrote, read back from its span files with trace-core's
 * {@link SpanFileReader} only: counts, and two traces drawn as trees with their captured log
 * lines.
 *
 * <p>Two passes over the files keep memory flat whatever the run's length: the first counts and
 * picks the traces to draw, the second collects just those traces. The traces drawn are the last
 * failed order and the last placed order that was not slow on purpose: by then the JIT has warmed
 * up, so their durations are typical.
 */
final class DemoReport {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

  private final List<Path> files;
  private final List<String> problems = new ArrayList<>();
  private long unreadableFiles;
  private long blocks;
  private long spans;
  private long logs;
  private long corrupt;
  private long unsupported;
  private long torn;
  private long bytes;
  private final Map<String, Long> spansPerService = new TreeMap<>();
  private final Map<String, Long> errorsPerService = new TreeMap<>();
  private long errorSpans;
  private long orders;
  private long failedOrders;
  private long businessKeySpans;
  private long emailBatches;
  private long emailLinks;
  private String okTrace;
  private String failedTrace;
  private SpanRecord emailSpan;

  private DemoReport(List<Path> files) {
    this.files = files;
  }

  /** Reads every span file of the run in {@code dir}. */
  static DemoReport read(Path dir) throws IOException {
    DemoReport r = new DemoReport(DemoDirectory.spanFiles(dir));
    for (Path file : r.files) {
      r.bytes += Files.size(file);
      r.count(file);
    }
    return r;
  }

  private void count(Path file) {
    RecordVisitor visitor = new RecordVisitor() {
      @Override
      public void span(SpanRecord span) {
        spansPerService.merge(span.service(), 1L, Long::sum);
        if (span.status() == StatusCode.ERROR) {
          errorSpans++;
          errorsPerService.merge(span.service(), 1L, Long::sum);
        }
        for (Attribute a : span.attributes()) {
          if (a.businessKey() && a.key().equals(DemoShop.ORDER_ID)) {
            businessKeySpans++;
            break;
          }
        }
        if (isOrderRoot(span)) {
          orders++;
          if (span.status() == StatusCode.ERROR) {
            failedOrders++;
            failedTrace = span.traceIdHex();
          } else if (!slow(span)) {
            okTrace = span.traceIdHex();
          }
        }
        if (span.name().equals(DemoEmail.PROCESS_SPAN)) {
          emailBatches++;
          emailLinks += span.links().size();
          if (emailSpan == null && !span.links().isEmpty()) {
            emailSpan = span;
          }
        }
      }
    };
    try {
      SpanFileReader.Result result = SpanFileReader.read(file, visitor,
          p -> problems.add(file.getFileName() + ": " + Problems.kind(p.kind()) + ": " + p.message()));
      blocks += result.blocks();
      spans += result.spans();
      logs += result.logs();
      corrupt += result.corrupt();
      unsupported += result.unsupported();
      torn += result.torn();
    } catch (FormatException e) {
      unreadableFiles++;
      problems.add(file.getFileName() + ": " + e.getMessage());
    } catch (IOException e) {
      unreadableFiles++;
      problems.add(file.getFileName() + ": " + Problems.describe(e));
    }
  }

  /** Whether payments made this order slow on purpose: not the typical order to show. */
  private static boolean slow(SpanRecord orderRoot) {
    String order = orderRoot.attribute("url.query")
        .map(q -> DemoHttp.form(String.valueOf(q)).get("order")).orElse(null);
    return order == null || !order.matches("\\d{1,18}")
        || DemoShop.paymentSlow(Long.parseLong(order));
  }

  private static boolean isOrderRoot(SpanRecord span) {
    return span.isRoot() && span.kind() == SpanKind.SERVER
        && span.service().equals(DemoShop.FRONTEND)
        && span.name().equals("GET " + DemoShop.BUY_ROUTE);
  }

  /** Nothing skipped, nothing unreadable: what a clean shutdown must leave. */
  boolean clean() {
    return unreadableFiles == 0 && corrupt == 0 && unsupported == 0 && torn == 0;
  }

  long spans() {
    return spans;
  }

  List<String> problems() {
    return problems;
  }

  /** The counts, as a few indented lines. */
  void printSummary(PrintWriter out, Path spansDir) {
    out.println();
    out.println("Span files in " + spansDir + " (read back with trace-core's SpanFileReader):");
    out.printf(Locale.ROOT, "  %d %s, %,d blocks, %,d spans, %,d captured log lines%n",
        files.size(), files.size() == 1 ? "file" : "files", blocks, spans, logs);
    if (clean()) {
      out.println("  every block checked out: no corrupt block, no torn tail");
    } else {
      out.printf(Locale.ROOT, "  NOT CLEAN: %d corrupt, %d of a newer version, %d torn, %d"
          + " unreadable files%n", corrupt, unsupported, torn, unreadableFiles);
      for (String p : problems) {
        out.println("    " + p);
      }
    }
    out.println("  spans per service: " + joinCounts(spansPerService));
    out.printf(Locale.ROOT, "  traces: %,d orders (%,d failed), %,d email batches%n",
        orders, failedOrders, emailBatches);
    out.printf(Locale.ROOT, "  errors: %,d spans with status ERROR%s%n", errorSpans,
        errorsPerService.isEmpty() ? "" : " (" + joinCounts(errorsPerService) + ")");
    out.printf(Locale.ROOT, "  business keys: %,d spans carry %s, flagged for lookup%n",
        businessKeySpans, DemoShop.ORDER_ID);
    out.printf(Locale.ROOT, "  links: %,d email batches link to %,d orders (FOLLOWS_FROM)%n",
        emailBatches, emailLinks);
    out.printf(Locale.ROOT, "  on disk: %,d bytes, %.1f bytes per span (file headers and log"
        + " lines included)%n", bytes, spans == 0 ? 0.0 : (double) bytes / spans);
  }

  private static String joinCounts(Map<String, Long> counts) {
    StringBuilder b = new StringBuilder();
    counts.forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ")
        .append(k).append(' ').append(String.format(Locale.ROOT, "%,d", v)));
    return b.toString();
  }

  /** Draws the chosen ok and failed traces and the first email batch, reading the files again. */
  void printTraces(PrintWriter out) {
    Map<String, Trace> wanted = new LinkedHashMap<>();
    if (okTrace != null) {
      wanted.put(okTrace, new Trace());
    }
    if (failedTrace != null) {
      wanted.put(failedTrace, new Trace());
    }
    if (!wanted.isEmpty()) {
      collect(wanted);
    }
    if (okTrace != null) {
      out.println();
      out.println("An order that went through:");
      wanted.get(okTrace).draw(out);
    }
    if (failedTrace != null) {
      out.println();
      out.println("An order that failed (payments declines 1 order in 20):");
      wanted.get(failedTrace).draw(out);
    }
    if (emailSpan != null) {
      out.println();
      out.println("An email batch: a trace of its own that links to the orders it confirms:");
      out.printf(Locale.ROOT, "  trace %s  %s  %s  %s  %s, %d links:%n", emailSpan.traceIdHex(),
          emailSpan.service(), emailSpan.name(), emailSpan.kind(),
          duration(emailSpan.durationMicros()).strip(), emailSpan.links().size());
      int shown = 0;
      for (SpanLink link : emailSpan.links()) {
        if (shown++ == 3) {
          out.println("    ... and " + (emailSpan.links().size() - 3) + " more");
          break;
        }
        Object order = link.attributes().stream().filter(a -> a.key().equals(DemoShop.ORDER_ID))
            .map(Attribute::value).findFirst().orElse("?");
        out.println("    FOLLOWS_FROM order " + order + ": trace "
            + Ids.traceIdHex(link.traceIdHigh(), link.traceIdLow()) + " span "
            + Ids.spanIdHex(link.spanId()) + " (" + DemoEmail.PUBLISH_SPAN + ")");
      }
    }
  }

  private void collect(Map<String, Trace> wanted) {
    for (Path file : files) {
      try {
        SpanFileReader.read(file, new RecordVisitor() {
          @Override
          public void span(SpanRecord span) {
            Trace t = wanted.get(span.traceIdHex());
            if (t != null) {
              t.spans.add(span);
            }
          }

          @Override
          public void log(LogRecord log) {
            Trace t = wanted.get(log.traceIdHex());
            if (t != null) {
              t.logs.add(log);
            }
          }
        }, p -> { }); // reported by the first pass
      } catch (FormatException | IOException e) {
        // Reported by the first pass.
      }
    }
  }

  private static String duration(long micros) {
    double ms = micros / 1000.0;
    return String.format(Locale.ROOT, ms < 10 ? "%7.2f ms" : ms < 100 ? "%7.1f ms" : "%7.0f ms", ms);
  }

  /** The spans and log lines of one trace, drawn as an indented tree. */
  private static final class Trace {
    final List<SpanRecord> spans = new ArrayList<>();
    final List<LogRecord> logs = new ArrayList<>();
    private final List<String[]> lines = new ArrayList<>(); // {tree + label, duration, status} or {log}

    void draw(PrintWriter out) {
      Map<Long, List<SpanRecord>> children = new HashMap<>();
      Set<Long> ids = new HashSet<>();
      for (SpanRecord s : spans) {
        ids.add(s.spanId());
      }
      List<SpanRecord> roots = new ArrayList<>();
      for (SpanRecord s : spans) {
        if (s.isRoot() || !ids.contains(s.parentSpanId())) {
          roots.add(s);
        } else {
          children.computeIfAbsent(s.parentSpanId(), k -> new ArrayList<>()).add(s);
        }
      }
      Comparator<SpanRecord> byStart = Comparator.comparingLong(SpanRecord::startMicros);
      roots.sort(byStart);
      children.values().forEach(l -> l.sort(byStart));
      Map<Long, List<LogRecord>> logsBySpan = new HashMap<>();
      for (LogRecord l : logs) {
        logsBySpan.computeIfAbsent(l.spanId(), k -> new ArrayList<>()).add(l);
      }
      logsBySpan.values().forEach(l -> l.sort(Comparator.comparingLong(LogRecord::timeMicros)));
      String order = spans.stream().flatMap(s -> s.attributes().stream())
          .filter(a -> a.businessKey() && a.key().equals(DemoShop.ORDER_ID))
          .map(a -> String.valueOf(a.value())).findFirst().orElse("?");
      out.printf(Locale.ROOT, "  trace %s  order %s  %d spans, %d log lines%n",
          spans.isEmpty() ? "?" : spans.get(0).traceIdHex(), order, spans.size(), logs.size());
      for (SpanRecord root : roots) {
        add(root, "", "", "", children, logsBySpan);
      }
      int width = 0;
      for (String[] l : lines) {
        if (l.length == 3) {
          width = Math.max(width, l[0].length());
        }
      }
      for (String[] l : lines) {
        if (l.length == 3) {
          out.println("  " + pad(l[0], width) + "  " + l[1] + "  " + l[2]);
        } else {
          out.println("  " + l[0]);
        }
      }
    }

    private void add(SpanRecord span, String lead, String branch, String rest,
        Map<Long, List<SpanRecord>> children, Map<Long, List<LogRecord>> logsBySpan) {
      List<SpanRecord> kids = children.getOrDefault(span.spanId(), List.of());
      lines.add(new String[] {
          lead + branch + span.service() + "  " + span.name() + "  " + span.kind(),
          duration(span.durationMicros()),
          status(span)});
      String below = lead + rest + (kids.isEmpty() ? "   " : "│  ");
      for (LogRecord log : logsBySpan.getOrDefault(span.spanId(), List.of())) {
        String logger = log.logger().substring(log.logger().lastIndexOf('.') + 1);
        lines.add(new String[] {below + "· " + TIME.format(Instant.ofEpochSecond(0,
            log.timeMicros() * 1000)) + " " + pad(log.level(), 5) + " " + logger + " - "
            + log.message()});
        if (!log.thrown().isEmpty()) {
          List<String> stack = log.thrown().lines().toList();
          lines.add(new String[] {below + "    " + stack.get(0)
              + (stack.size() > 1 ? "  (+" + (stack.size() - 1) + " lines of stack trace)" : "")});
        }
      }
      for (int i = 0; i < kids.size(); i++) {
        boolean last = i == kids.size() - 1;
        add(kids.get(i), lead + rest, last ? "└─ " : "├─ ", last ? "   " : "│  ", children,
            logsBySpan);
      }
    }

    private static String status(SpanRecord span) {
      StringBuilder b = new StringBuilder();
      span.attribute("http.response.status_code").ifPresent(c -> b.append("HTTP ").append(c)
          .append("  "));
      if (span.status() == StatusCode.ERROR) {
        b.append("ERROR");
        if (!span.statusMessage().isEmpty()) {
          b.append(": ").append(span.statusMessage());
        }
        for (SpanEvent e : span.events()) {
          if (e.name().equals("exception")) {
            e.attributes().stream().filter(a -> a.key().equals("exception.type")).findFirst()
                .ifPresent(a -> b.append(" (exception ").append(a.value()).append(')'));
            break;
          }
        }
      } else {
        b.append("ok");
      }
      for (Attribute a : span.attributes()) {
        if (a.businessKey()) {
          b.append("  ").append(a.key()).append('=').append(a.value()).append(" (business key)");
        }
      }
      return b.toString();
    }

    private static String pad(String s, int width) {
      return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
  }
}
