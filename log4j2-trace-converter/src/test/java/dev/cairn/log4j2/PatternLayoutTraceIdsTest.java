package dev.cairn.log4j2;

import static dev.cairn.log4j2.TestSpans.randomSpan;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.context.Scope;
import java.util.ArrayList;
import java.util.List;
import org.apache.logging.log4j.Logger;
import org.junit.jupiter.api.Test;

/** What a user sees: {@code %traceId %spanId} in a PatternLayout of a business log. */
@SuppressWarnings("try") // try (Scope s = span.makeCurrent()), s unused: the OTel idiom
class PatternLayoutTraceIdsTest {
  @Test
  void insideSpan_printsTheSpansIds() {
    Span span = randomSpan();
    try (CapturedLog log = CapturedLog.synchronous("%traceId %spanId %traceFlags %m")) {
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("charged");
      }
      SpanContext ids = span.getSpanContext();
      assertEquals(
          List.of(ids.getTraceId() + " " + ids.getSpanId() + " 01 charged"), log.lines());
    }
  }

  @Test
  void unsampledSpan_printsFlags00() {
    Span span = randomSpan(TraceFlags.getDefault());
    try (CapturedLog log = CapturedLog.synchronous("%traceFlags")) {
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("x");
      }
      assertEquals(List.of("00"), log.lines());
    }
  }

  @Test
  void mdcPattern_printsTheSameIds() {
    Span span = randomSpan();
    String pattern = "%X{trace_id} %X{span_id} %X{trace_flags}|%traceId %spanId %traceFlags";
    try (CapturedLog log = CapturedLog.synchronous(pattern)) {
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("x");
      }
      SpanContext ids = span.getSpanContext();
      String expected = ids.getTraceId() + " " + ids.getSpanId() + " 01";
      assertEquals(List.of(expected + "|" + expected), log.lines());
    }
  }

  @Test
  void outsideSpan_printsNothing() {
    try (CapturedLog log = CapturedLog.synchronous("[%traceId][%spanId][%traceFlags] %m")) {
      log.logger().info("no span");
      assertEquals(List.of("[][][] no span"), log.lines());
    }
  }

  @Test
  void outsideSpan_printsThePlaceholder() {
    try (CapturedLog log = CapturedLog.synchronous("%traceId{-} %spanId{none} %traceFlags{?} %m")) {
      log.logger().info("no span");
      assertEquals(List.of("- none ? no span"), log.lines());
    }
  }

  @Test
  void afterTheSpanEnds_printsNothingAgain() {
    Span span = randomSpan();
    try (CapturedLog log = CapturedLog.synchronous("%traceId{-}")) {
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("in");
      }
      log.logger().info("out");
      assertEquals(List.of(span.getSpanContext().getTraceId(), "-"), log.lines());
    }
  }

  @Test
  void nestedSpans_printTheInnerSpanThenTheOuterAgain() {
    Span outer = randomSpan();
    Span inner = randomSpan();
    try (CapturedLog log = CapturedLog.synchronous("%traceId %spanId")) {
      Logger logger = log.logger();
      try (Scope o = outer.makeCurrent()) {
        logger.info("outer");
        try (Scope i = inner.makeCurrent()) {
          logger.info("inner");
        }
        logger.info("outer again");
      }
      assertEquals(List.of(ids(outer), ids(inner), ids(outer)), log.lines());
    }
  }

  @Test
  void notEmpty_dropsTheSegmentOutsideASpan() {
    Span span = randomSpan();
    try (CapturedLog log = CapturedLog.synchronous("%m%notEmpty{ trace=%traceId{-}}")) {
      log.logger().info("before");
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("inside");
      }
      assertEquals(
          List.of("before", "inside trace=" + span.getSpanContext().getTraceId()), log.lines());
    }
  }

  @Test
  void asyncRoot_printsTheSpanCurrentAtTheCallSite() {
    // <AsyncRoot> formats on a background thread, after the spans have ended.
    assertSpansOfCallSites(CapturedLog.asyncRoot("%traceId{-} %spanId{-}"));
  }

  @Test
  void asyncAppender_printsTheSpanCurrentAtTheCallSite() {
    assertSpansOfCallSites(CapturedLog.asyncAppender("%traceId{-} %spanId{-}"));
  }

  @Test
  void formatModifiers_padAndTruncateTheIds() {
    Span span = randomSpan();
    try (CapturedLog log = CapturedLog.synchronous("%.8traceId|%-20spanId|%5traceFlags")) {
      try (Scope ignored = span.makeCurrent()) {
        log.logger().info("x");
      }
      String traceId = span.getSpanContext().getTraceId();
      assertEquals(
          List.of(
              traceId.substring(24) + "|" + span.getSpanContext().getSpanId() + "    |   01"),
          log.lines());
    }
  }

  /** Logs in and out of 20 spans; {@code log} formats on another thread, maybe later. */
  private static void assertSpansOfCallSites(CapturedLog log) {
    List<String> expected = new ArrayList<>();
    try {
      for (int i = 0; i < 20; i++) {
        Span span = randomSpan();
        try (Scope ignored = span.makeCurrent()) {
          log.logger().info("in span");
        }
        log.logger().info("outside");
        expected.add(ids(span));
        expected.add("- -");
      }
    } finally {
      log.close(); // drains the async queue
    }
    assertEquals(expected, log.lines());
  }

  private static String ids(Span span) {
    return span.getSpanContext().getTraceId() + " " + span.getSpanContext().getSpanId();
  }
}
