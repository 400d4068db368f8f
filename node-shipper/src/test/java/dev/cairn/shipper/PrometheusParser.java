package dev.cairn.shipper;

import dev.cairn.core.internal.PrometheusText;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus text format 0.0.4, written from the format's description rather
 * than from {@link PrometheusText}: every line must be a HELP, a TYPE, a comment or a sample; every
 * family has one HELP and one TYPE before its samples; sample names belong to the current family.
 * Throws {@link AssertionError} naming the line at the first violation.
 */
final class PrometheusParser {
  private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
  private static final Pattern TYPE =
      Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})? (\\S+)( -?\\d+)?");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  record Sample(String name, Map<String, String> labels, double value) {}

  record Family(String name, String type, String help, List<Sample> samples) {}

  final Map<String, Family> families = new LinkedHashMap<>();

  private PrometheusParser() {}

  static PrometheusParser parse(String text) {
    PrometheusParser p = new PrometheusParser();
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new AssertionError("exposition does not end with a newline");
    }
    Map<String, String> helps = new HashMap<>();
    String current = null;
    int n = 0;
    for (String line : text.split("\n", -1)) {
      n++;
      if (line.isEmpty()) {
        if (n == text.split("\n", -1).length) {
          break;
        }
        throw new AssertionError("line " + n + " is empty");
      }
      Matcher m;
      if ((m = HELP.matcher(line)).matches()) {
        String name = m.group(1);
        if (helps.containsKey(name) || p.families.containsKey(name)) {
          throw new AssertionError("line " + n + ": second HELP for " + name);
        }
        helps.put(name, unescapeHelp(m.group(2), n));
        current = null;
      } else if ((m = TYPE.matcher(line)).matches()) {
        String name = m.group(1);
        if (p.families.containsKey(name)) {
          throw new AssertionError("line " + n + ": second TYPE for " + name);
        }
        if (!helps.containsKey(name)) {
          throw new AssertionError("line " + n + ": TYPE of " + name + " without a HELP before it");
        }
        p.families.put(name, new Family(name, m.group(2), helps.get(name), new ArrayList<>()));
        current = name;
      } else if (line.startsWith("#")) {
        current = null;
      } else if ((m = SAMPLE.matcher(line)).matches()) {
        String name = m.group(1);
        if (!name.equals(current)) {
          throw new AssertionError("line " + n + ": sample " + name + " outside its family (" + current + ")");
        }
        Map<String, String> labels = m.group(2) == null ? Map.of() : labels(m.group(2), n);
        double value = value(m.group(3), n);
        p.families.get(name).samples().add(new Sample(name, labels, value));
      } else {
        throw new AssertionError("line " + n + " is not valid exposition format: " + line);
      }
    }
    for (Family f : p.families.values()) {
      if (f.type().equals("counter") && !f.name().endsWith("_total")) {
        throw new AssertionError("counter " + f.name() + " does not end in _total");
      }
    }
    return p;
  }

  private static String unescapeHelp(String s, int line) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        if (++i == s.length()) {
          throw new AssertionError("line " + line + ": dangling backslash in HELP");
        }
        char e = s.charAt(i);
        switch (e) {
          case '\\' -> b.append('\\');
          case 'n' -> b.append('\n');
          default -> throw new AssertionError("line " + line + ": bad escape \\" + e + " in HELP");
        }
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  private static Map<String, String> labels(String braces, int line) {
    Map<String, String> out = new LinkedHashMap<>();
    String s = braces.substring(1, braces.length() - 1);
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      if (eq < 0) {
        throw new AssertionError("line " + line + ": label without =");
      }
      String name = s.substring(i, eq);
      if (!LABEL_NAME.matcher(name).matches()) {
        throw new AssertionError("line " + line + ": bad label name " + name);
      }
      if (eq + 1 >= s.length() || s.charAt(eq + 1) != '"') {
        throw new AssertionError("line " + line + ": label value not quoted");
      }
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; ; j++) {
        if (j >= s.length()) {
          throw new AssertionError("line " + line + ": unterminated label value");
        }
        char c = s.charAt(j);
        if (c == '"') {
          break;
        }
        if (c == '\n') {
          throw new AssertionError("line " + line + ": raw newline in label value");
        }
        if (c == '\\') {
          char e = s.charAt(++j);
          switch (e) {
            case '\\' -> v.append('\\');
            case '"' -> v.append('"');
            case 'n' -> v.append('\n');
            default -> throw new AssertionError("line " + line + ": bad escape \\" + e + " in label value");
          }
        } else {
          v.append(c);
        }
      }
      if (out.put(name, v.toString()) != null) {
        throw new AssertionError("line " + line + ": label " + name + " twice");
      }
      i = j + 1;
      if (i < s.length()) {
        if (s.charAt(i) != ',') {
          throw new AssertionError("line " + line + ": expected , between labels");
        }
        i++;
      }
    }
    return out;
  }

  private static double value(String s, int line) {
    switch (s) {
      case "NaN" -> {
        return Double.NaN;
      }
      case "+Inf" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-Inf" -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> {
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          throw new AssertionError("line " + line + ": bad value " + s);
        }
      }
    }
  }

  /** The value of the sample of {@code name} with exactly these labels. */
  Optional<Double> value(String name, String... labels) {
    Family f = families.get(name);
    if (f == null) {
      return Optional.empty();
    }
    Map<String, String> want = new LinkedHashMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      want.put(labels[i], labels[i + 1]);
    }
    return f.samples().stream().filter(s -> s.labels().equals(want)).map(Sample::value).findFirst();
  }
}
