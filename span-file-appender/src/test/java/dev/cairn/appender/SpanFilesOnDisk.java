package dev.cairn.appender;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cairn.core.format.ReadProblem;
import dev.cairn.core.format.RecordVisitor;
import dev.cairn.core.format.SpanFileReader;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.SpanRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** What a directory of span files holds, read back with trace-core's reader. */
final class SpanFilesOnDisk {
  final List<Path> files = new ArrayList<>();
  final List<SpanFileReader.Result> results = new ArrayList<>();
  final List<SpanRecord> spans = new ArrayList<>();
  final List<LogRecord> logs = new ArrayList<>();
  final List<ReadProblem> problems = new ArrayList<>();

  /** Reads every {@code .cairn} file in name order, which is creation order for one process. */
  static SpanFilesOnDisk read(Path dir) throws Exception {
    SpanFilesOnDisk d = new SpanFilesOnDisk();
    if (!Files.isDirectory(dir)) {
      return d;
    }
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(p -> p.getFileName().toString().endsWith(".cairn")).sorted().forEach(d.files::add);
    }
    for (Path f : d.files) {
      d.results.add(SpanFileReader.read(f, new RecordVisitor() {
        @Override
        public void span(SpanRecord span) {
          d.spans.add(span);
        }

        @Override
        public void log(LogRecord log) {
          d.logs.add(log);
        }
      }, d.problems::add));
    }
    return d;
  }

  /** Asserts that no file has a corrupt region, a torn tail or an unsupported block. */
  SpanFilesOnDisk assertClean() {
    assertEquals(List.of(), problems, "read problems in " + files);
    for (SpanFileReader.Result r : results) {
      assertEquals(0, r.corrupt(), "corrupt regions");
      assertEquals(0, r.torn(), "torn tails");
    }
    return this;
  }

  long totalBytes() throws IOException {
    long n = 0;
    for (Path f : files) {
      n += Files.size(f);
    }
    return n;
  }
}
