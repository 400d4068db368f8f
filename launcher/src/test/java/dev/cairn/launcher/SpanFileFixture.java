package dev.cairn.launcher;

import dev.cairn.core.format.BlockEncoder;
import dev.cairn.core.format.FileHeader;
import dev.cairn.core.model.Attribute;
import dev.cairn.core.model.LogRecord;
import dev.cairn.core.model.ProcessInfo;
import dev.cairn.core.model.SpanEvent;
import dev.cairn.core.model.SpanKind;
import dev.cairn.core.model.SpanLink;
import dev.cairn.core.model.SpanRecord;
import dev.cairn.core.model.SpanView;
import dev.cairn.core.model.StatusCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;

/** Span files built byte by byte with trace-core's encoder, and the commands run in-process. */
final class SpanFileFixture {
  static final UUID FILE_ID = UUID.fromString("5f0c6f7e-1d2a-4b3c-8d9e-0a1b2c3d4e5f");
  static final ProcessInfo PROCESS = new ProcessInfo("checkout", "host-1", "pod-7", 4242,
      1_700_000_000_000_000L, Map.of("runtime", "17.0.15", "region", "eu-west"));
  static final FileHeader HEADER = new FileHeader(FILE_ID, 1_700_000_000_500_000L, PROCESS);

  static final long TRACE_HI = 0x0af7651916cd43ddL;
  static final long TRACE_LO = 0x8448eb211c80319cL;
  static final long START = 1_700_000_001_123_456L;

  private SpanFileFixture() {}

  /** A span with every field set: all attribute types, business keys, events, a link, an error. */
  static SpanRecord fullSpan() {
    return SpanRecord.builder()
        .traceId(TRACE_HI, TRACE_LO)
        .spanId(0xb7ad6b7169203331L)
        .parentSpanId(0x00f067aa0ba902b7L)
        .flags(SpanView.FLAG_SAMPLED | SpanView.FLAG_REMOTE_PARENT)
        .service("checkout")
        .scope("dev.cairn.http", "1.2.3")
        .name("GET /cart")
        .kind(SpanKind.SERVER)
        .startMicros(START)
        .durationMicros(1234)
        .status(StatusCode.ERROR, "boom \"quoted\"\n\tsecond line")
        .addAttribute("http.route", "/cart")
        .addAttribute("ok", true)
        .addAttribute("retried", false)
        .addAttribute("count", -42L)
        .addAttribute("ratio", 0.25)
        .addAttribute("nan", Double.NaN)
        .addAttribute("inf", Double.POSITIVE_INFINITY)
        .addAttribute("big", 1e300)
        .addAttribute("tags", List.of("a", "b\"c"))
        .addAttribute("bools", List.of(true, false))
        .addAttribute("sizes", List.of(1L, -2L, Long.MAX_VALUE))
        .addAttribute("weights", List.of(1.5, -0.5))
        .addAttribute("unicode", "żółw 🐢 \u0001 \\")
        .addAttribute(new Attribute("order.id", "o-17", true))
        .addAttribute(new Attribute("user.id", 99L, true))
        .addEvent(new SpanEvent(START + 10, "exception", List.of(
            Attribute.of("exception.type", "java.io.IOException"), Attribute.of("attempt", 2L))))
        .addEvent(new SpanEvent(START + 20, "retry", List.of()))
        .addLink(new SpanLink(0x1111111111111111L, 0x2222222222222222L, 0x3333333333333333L,
            List.of(Attribute.of("messaging.id", "m-1"))))
        .build();
  }

  /** A root span with defaults: no parent, INTERNAL, UNSET, nothing attached. */
  static SpanRecord rootSpan(long spanId) {
    return SpanRecord.builder().traceId(TRACE_HI, TRACE_LO).spanId(spanId).service("checkout")
        .name("root-" + spanId).startMicros(START + spanId).durationMicros(5).build();
  }

  static LogRecord log() {
    return new LogRecord(TRACE_HI, TRACE_LO, 0xb7ad6b7169203331L, START + 15, "WARN",
        "com.shop.Cart", "http-nio-8080-exec-1", "cart \"full\"\ttab ünïcode",
        "java.lang.IllegalStateException: full\n\tat com.shop.Cart.add(Cart.java:42)\n");
  }

  /** One block holding {@code records} (SpanRecord or LogRecord), in order. */
  static byte[] block(Object... records) {
    BlockEncoder enc = new BlockEncoder(64 * 1024);
    for (Object r : records) {
      boolean added = r instanceof SpanRecord s ? enc.addSpan(s) : enc.addLog((LogRecord) r);
      if (!added) {
        throw new IllegalArgumentException("encoder refused " + r);
      }
    }
    ByteBuffer b = enc.finish();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** Root spans with IDs first..first+count-1, as one block. */
  static byte[] spansBlock(long first, int count) {
    Object[] spans = new Object[count];
    for (int i = 0; i < count; i++) {
      spans[i] = rootSpan(first + i);
    }
    return block(spans);
  }

  /**
   * The block with its format version byte changed and its header CRC32C (over the header's first
   * 40 bytes, stored big-endian in its last 4) recomputed, as a newer writer would produce it.
   */
  static byte[] withVersion(byte[] block, int version) {
    byte[] b = block.clone();
    b[4] = (byte) version;
    CRC32C crc = new CRC32C();
    crc.update(b, 0, 40);
    ByteBuffer.wrap(b, 40, 4).putInt((int) crc.getValue());
    return b;
  }

  static byte[] fileBytes(FileHeader header, byte[]... blocks) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(header.encode());
    for (byte[] b : blocks) {
      out.writeBytes(b);
    }
    return out.toByteArray();
  }

  static Path write(Path file, byte[]... blocks) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    return Files.write(file, fileBytes(HEADER, blocks));
  }

  static int headerLength() {
    return HEADER.encode().length;
  }

  /** Output and exit status of one in-process run of the cairn command. */
  record Run(int status, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }

    List<String> errLines() {
      return err.lines().toList();
    }
  }

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = CairnCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
        .execute(args);
    return new Run(status, out.toString(), err.toString());
  }
}
