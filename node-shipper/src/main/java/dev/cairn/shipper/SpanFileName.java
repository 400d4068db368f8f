package dev.cairn.shipper;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parts of a span file name as the appender makes it:
 * {@code <prefix>-<yyyyMMdd'T'HHmmss'Z'>-<pid>-<seq6>.cairn}. One writer (a manager of one
 * process) numbers its files 0, 1, 2, … so a missing number is a file deleted before anyone saw
 * it.
 */
record SpanFileName(String prefix, String stamp, long pid, long seq) {
  private static final Pattern NAME =
      Pattern.compile("(.+)-(\\d{8}T\\d{6}Z)-(\\d{1,10})-(\\d{6,10})\\.cairn");

  static Optional<SpanFileName> parse(String fileName) {
    Matcher m = NAME.matcher(fileName);
    if (!m.matches()) {
      return Optional.empty();
    }
    return Optional.of(new SpanFileName(m.group(1), m.group(2), Long.parseLong(m.group(3)),
        Long.parseLong(m.group(4))));
  }
}
