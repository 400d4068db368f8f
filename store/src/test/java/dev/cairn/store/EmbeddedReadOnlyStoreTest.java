package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.TraceId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A read-only opening next to a writing store: follows its commits, never writes, never locks. */
class EmbeddedReadOnlyStoreTest {
  static final long T0 = 1_763_700_000_000_000L;

  @TempDir Path dir;

  static SpanRecord span(long traceLow, String service) {
    return SpanRecord.builder().traceId(0x77, traceLow).spanId(1).service(service).name("GET /")
        .kind(SpanKind.SERVER).startMicros(T0).durationMicros(1000).build();
  }

  @Test
  void beforeTheWriterCreatesTheIndex_findsNothing_andSaysWhy_thenFollowsIt() throws Exception {
    Path storeDir = dir.resolve("store");
    try (EmbeddedReadOnlyStore ro = EmbeddedReadOnlyStore.open(storeDir, Duration.ZERO)) {
      assertEquals(List.of(), ro.reader().services());
      assertFalse(ro.check().healthy());
      assertTrue(ro.check().message().contains("no index yet"), ro.check().message());
      assertFalse(ro.hasIndex());

      // every write committed before it returns: visible to the other reader at once
      try (EmbeddedSpanStore writer = EmbeddedSpanStore.builder(storeDir)
          .commitInterval(Duration.ZERO).build()) {
        writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(1, "web")))));
        assertEquals(List.of("web"), ro.reader().services());
        assertTrue(ro.check().healthy());
        assertTrue(ro.hasIndex());
      }
    }
  }

  @Test
  void followsNewCommits_whileTheWriterHoldsTheLock() throws Exception {
    try (EmbeddedSpanStore writer = EmbeddedSpanStore.builder(dir)
            .commitInterval(Duration.ZERO).build();
        EmbeddedReadOnlyStore ro = EmbeddedReadOnlyStore.open(dir, Duration.ZERO)) {
      assertEquals(List.of(), ro.reader().services());
      SpanRecord a = span(1, "web");
      writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(a))));
      assertEquals(List.of(a), ro.reader().trace(new TraceId(0x77, 1)).orElseThrow().spans());
      writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(2, "cart")))));
      assertEquals(List.of("cart", "web"), ro.reader().services());
      assertEquals(writer.reader().findTraces(TraceQuery.builder().build()),
          ro.reader().findTraces(TraceQuery.builder().build()));
    }
  }

  @Test
  void refreshIsThrottled_soAQueryWithinTheIntervalReadsTheOpenCommit() throws Exception {
    try (EmbeddedSpanStore writer = EmbeddedSpanStore.builder(dir)
        .commitInterval(Duration.ZERO).build()) {
      writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(1, "web")))));
      try (EmbeddedReadOnlyStore ro = EmbeddedReadOnlyStore.open(dir, Duration.ofHours(1))) {
        writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(2, "cart")))));
        assertEquals(List.of("web"), ro.reader().services());
      }
    }
  }

  @Test
  void writes_areRefused() throws Exception {
    try (EmbeddedSpanStore writer = EmbeddedSpanStore.open(dir)) {
      writer.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(1, "web")))));
    }
    try (EmbeddedReadOnlyStore ro = EmbeddedReadOnlyStore.open(dir)) {
      StoreException e = assertThrows(StoreException.class,
          () -> ro.writer().write(WriteBatch.ofSpans(List.of(StoredSpan.of(span(2, "cart"))))));
      assertTrue(e.getMessage().contains("read-only"), e.getMessage());
      assertEquals(List.of("web"), ro.reader().services());
      // the writer can still open the directory: a reader holds no lock
      EmbeddedSpanStore.open(dir).close();
    }
  }

  @Test
  void aFileInsteadOfADirectory_isRefused() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    StoreException e = assertThrows(StoreException.class, () -> EmbeddedReadOnlyStore.open(file));
    assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
  }
}
