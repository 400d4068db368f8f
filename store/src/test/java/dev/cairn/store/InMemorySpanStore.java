package dev.cairn.store;

import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.StatusCode;
import dev.cairn.core.model.TraceId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The simplest store that passes {@link SpanStoreContractTest}: everything in memory, one lock,
 * exact percentiles. It is the executable reading of the contract the suite is checked against,
 * and a test double for modules that need a store (puller, UI). Not for production: nothing
 * survives the JVM; {@link #reopened()} stands in for a restart.
 */
public final class InMemorySpanStore implements SpanStore {
  private final Data data;
  private volatile boolean closed;

  public InMemorySpanStore() {
    this(new Data());
  }

  private InMemorySpanStore(Data data) {
    this.data = data;
  }

  /** A new store over this one's data, as if the process had restarted. */
  public InMemorySpanStore reopened() {
    return new InMemorySpanStore(data);
  }

  @Override
  public SpanWriter writer() {
    return this::write;
  }

  @Override
  public SpanReader reader() {
    return new Reader();
  }

  @Override
  public Health check() {
    return closed ? Health.failed("closed") : Health.ok();
  }

  @Override
  public void close() {
    closed = true;
  }

  private void ensureOpen() throws StoreException {
    if (closed) {
      throw new StoreException("the store is closed");
    }
  }

  private WriteResult write(WriteBatch batch) throws StoreException {
    ensureOpen();
    synchronized (data) {
      int stored = 0;
      int present = 0;
      int logs = 0;
      for (StoredSpan s : batch.spans()) {
        SpanRecord span = s.span();
        TraceData t = data.traces.computeIfAbsent(TraceId.of(span), k -> new TraceData());
        if (t.spans.putIfAbsent(span.spanId(), span) != null) {
          present++;
          continue;
        }
        stored++;
        data.operations.computeIfAbsent(span.service(), k -> new TreeSet<>(OPERATION_ORDER))
            .add(new Operation(span.name(), span.kind()));
        data.minutes.computeIfAbsent(new MinuteKey(span.service(), span.name(),
                span.startMicros() - span.startMicros() % 60_000_000L), k -> new Minute())
            .add(span);
        if (!s.parentService().isEmpty() && !s.parentService().equals(span.service())) {
          data.calls.add(new Call(s.parentService(), span.service(), span.startMicros(),
              span.status() == StatusCode.ERROR));
        }
      }
      for (LogRecord log : batch.logs()) {
        TraceData t = data.traces.computeIfAbsent(
            new TraceId(log.traceIdHigh(), log.traceIdLow()), k -> new TraceData());
        if (t.logs.add(log)) {
          logs++;
        }
      }
      for (TraceNote note : batch.notes()) {
        data.traces.computeIfAbsent(note.traceId(), k -> new TraceData()).note = note;
      }
      return new WriteResult(stored, present, logs);
    }
  }

  private static final Comparator<Operation> OPERATION_ORDER =
      Comparator.comparing(Operation::name).thenComparing(Operation::kind);

  private final class Reader implements SpanReader {
    @Override
    public Optional<Trace> trace(TraceId traceId) throws StoreException {
      ensureOpen();
      synchronized (data) {
        TraceData t = data.traces.get(traceId);
        if (t == null || t.spans.isEmpty()) {
          return Optional.empty();
        }
        return Optional.of(new Trace(t.summary(traceId), List.copyOf(t.spans.values()), List.copyOf(t.logs)));
      }
    }

    @Override
    public List<TraceSummary> findTraces(TraceQuery q) throws StoreException {
      ensureOpen();
      synchronized (data) {
        List<TraceSummary> found = new ArrayList<>();
        for (Map.Entry<TraceId, TraceData> e : data.traces.entrySet()) {
          TraceData t = e.getValue();
          if (t.spans.isEmpty()) {
            continue;
          }
          TraceSummary s = t.summary(e.getKey());
          if (s.startMicros() < q.startFromMicros() || s.startMicros() > q.startToMicros()
              || s.durationMicros() < q.minDurationMicros()
              || (q.maxDurationMicros() > 0 && s.durationMicros() > q.maxDurationMicros())
              || (q.errorOnly() && !s.error())) {
            continue;
          }
          if (t.spans.values().stream().anyMatch(span -> matches(span, q))) {
            found.add(s);
          }
        }
        found.sort(Comparator.comparingLong(TraceSummary::startMicros).reversed());
        return List.copyOf(found.subList(0, Math.min(q.limit(), found.size())));
      }
    }

    @Override
    public List<String> services() throws StoreException {
      ensureOpen();
      synchronized (data) {
        return List.copyOf(new TreeSet<>(data.operations.keySet()));
      }
    }

    @Override
    public List<Operation> operations(String service) throws StoreException {
      ensureOpen();
      synchronized (data) {
        return List.copyOf(data.operations.getOrDefault(service, new TreeSet<>(OPERATION_ORDER)));
      }
    }

    @Override
    public List<DependencyLink> dependencies(long endMicros, long lookbackMicros)
        throws StoreException {
      ensureOpen();
      synchronized (data) {
        Map<List<String>, long[]> counts = new TreeMap<>(
            Comparator.<List<String>, String>comparing(k -> k.get(0))
                .thenComparing(k -> k.get(1)));
        for (Call c : data.calls) {
          if (c.childStart >= endMicros - lookbackMicros && c.childStart <= endMicros) {
            long[] n = counts.computeIfAbsent(List.of(c.parent, c.child), k -> new long[2]);
            n[0]++;
            n[1] += c.error ? 1 : 0;
          }
        }
        List<DependencyLink> links = new ArrayList<>();
        counts.forEach((k, n) -> links.add(new DependencyLink(k.get(0), k.get(1), n[0], n[1])));
        return links;
      }
    }

    @Override
    public List<MinuteAggregate> aggregates(String service, String operation, long fromMicros,
        long toMicros) throws StoreException {
      ensureOpen();
      synchronized (data) {
        List<MinuteAggregate> out = new ArrayList<>();
        data.minutes.forEach((k, m) -> {
          if (k.service.equals(service) && (operation.isEmpty() || k.operation.equals(operation))
              && k.minute >= fromMicros - fromMicros % 60_000_000L && k.minute < toMicros) {
            Minute inRange = m.between(fromMicros, toMicros);
            if (inRange.durations.size() > 0) {
              out.add(inRange.aggregate(k));
            }
          }
        });
        out.sort(Comparator.comparing(MinuteAggregate::operation)
            .thenComparingLong(MinuteAggregate::minuteMicros));
        return out;
      }
    }
  }

  private static boolean matches(SpanRecord span, TraceQuery q) {
    if (!q.service().isEmpty() && !q.service().equals(span.service())) {
      return false;
    }
    if (!q.operation().isEmpty() && !q.operation().equals(span.name())) {
      return false;
    }
    for (Map.Entry<String, String> tag : q.tags().entrySet()) {
      boolean found = false;
      for (Attribute a : span.attributes()) {
        if (a.key().equals(tag.getKey()) && String.valueOf(a.value()).equals(tag.getValue())) {
          found = true;
          break;
        }
      }
      if (!found) {
        return false;
      }
    }
    return true;
  }

  private static final class Data {
    final Map<TraceId, TraceData> traces = new HashMap<>();
    final Map<String, TreeSet<Operation>> operations = new HashMap<>();
    final Map<MinuteKey, Minute> minutes = new HashMap<>();
    final List<Call> calls = new ArrayList<>();
  }

  private static final class TraceData {
    final Map<Long, SpanRecord> spans = new LinkedHashMap<>();
    final Set<LogRecord> logs = new LinkedHashSet<>();
    TraceNote note;

    TraceSummary summary(TraceId id) {
      String rootService = "";
      String rootOperation = "";
      long start = Long.MAX_VALUE;
      long end = Long.MIN_VALUE;
      boolean error = false;
      Set<String> services = new TreeSet<>();
      for (SpanRecord s : spans.values()) {
        if (s.isRoot() && rootService.isEmpty()) {
          rootService = s.service();
          rootOperation = s.name();
        }
        start = Math.min(start, s.startMicros());
        end = Math.max(end, s.startMicros() + s.durationMicros());
        error |= s.status() == StatusCode.ERROR;
        services.add(s.service());
      }
      return new TraceSummary(id, rootService, rootOperation, start, end - start, spans.size(),
          List.copyOf(services), error, note != null && note.complete(),
          note == null ? List.of() : note.warnings());
    }
  }

  private record MinuteKey(String service, String operation, long minute) {}

  private record Call(String parent, String child, long childStart, boolean error) {}

  /** Exact, unlike a real store's histogram: the suite's tolerance covers the difference. */
  private static final class Minute {
    final List<long[]> durations = new ArrayList<>(); // {start, duration, error}

    void add(SpanRecord s) {
      durations.add(new long[] {s.startMicros(), s.durationMicros(),
          s.status() == StatusCode.ERROR ? 1 : 0});
    }

    Minute between(long from, long to) {
      Minute m = new Minute();
      for (long[] d : durations) {
        if (d[0] >= from && d[0] < to) {
          m.durations.add(d);
        }
      }
      return m;
    }

    MinuteAggregate aggregate(MinuteKey k) {
      long[] sorted = durations.stream().mapToLong(d -> d[1]).sorted().toArray();
      long errors = durations.stream().mapToLong(d -> d[2]).sum();
      return new MinuteAggregate(k.service, k.operation, k.minute, sorted.length, errors,
          rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99), sorted[sorted.length - 1]);
    }

    private static long rank(long[] sorted, double p) {
      int i = (int) Math.ceil(p * sorted.length) - 1;
      return sorted[Math.max(0, i)];
    }
  }
}
