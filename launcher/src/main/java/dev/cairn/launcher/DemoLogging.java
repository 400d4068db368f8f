package dev.cairn.launcher;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;

/**
 * The {@code log4j2.xml} of a demo service: what any application traced by Cairn writes (README,
 * "Use it in an application"). A {@code <SpanFile>} appender behind the {@code cairn.spans} logger
 * writes the spans, and with {@code captureLogs} the log lines written inside them, into the
 * all-in-one's span directory; the business log goes to a file with {@code %traceId} and
 * {@code %spanId} in every line.
 *
 * <p>And where {@code cairn demo}'s own JVM logs: {@link #logCairnTo}.
 */
final class DemoLogging {
  /** The demo's own Log4j2 configuration, on the class path. */
  static final String CAIRN_CONFIG = "cairn-demo-log4j2.xml";
  /** The system property that configuration reads its file name from. */
  static final String LOG_PROPERTY = "cairn.demo.log";

  private DemoLogging() {}

  /**
   * Moves this JVM's logging (Cairn's daemons) from stderr to {@code file}, errors excepted,
   * so that the terminal shows the demo's own lines.
   */
  static void logCairnTo(Path file) {
    URL config = DemoLogging.class.getClassLoader().getResource(CAIRN_CONFIG);
    if (config == null) {
      throw new IllegalStateException(CAIRN_CONFIG + " is missing from the class path");
    }
    System.setProperty(LOG_PROPERTY, file.toAbsolutePath().toString());
    try {
      ((LoggerContext) LogManager.getContext(false)).setConfigLocation(config.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate " + CAIRN_CONFIG + ": " + e.getMessage(), e);
    }
  }

  /**
   * The configuration of {@code service}.
   *
   * @param spans the service's span directory
   * @param businessLog the business log file
   */
  static String config(String service, Path spans, Path businessLog) {
    return """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- Written by cairn demo: the Log4j2 configuration of the demo's %1$s service. -->
        <Configuration>
          <Appenders>
            <SpanFile name="spans" directory="%2$s" service="%1$s" captureLogs="true"/>
            <File name="business" fileName="%3$s">
              <PatternLayout pattern="%%d{HH:mm:ss.SSS} %%-5p [%%traceId{-} %%spanId{-}] [%%t] %%c{1} - %%m%%n"/>
            </File>
          </Appenders>
          <Loggers>
            <Logger name="cairn.spans" level="info" additivity="false">
              <AppenderRef ref="spans"/>
            </Logger>
            <Root level="info">
              <AppenderRef ref="business"/>
              <AppenderRef ref="spans"/>
            </Root>
          </Loggers>
        </Configuration>
        """.formatted(xml(service), xml(spans.toAbsolutePath().toString()),
            xml(businessLog.toAbsolutePath().toString()));
  }

  /** Escapes an XML attribute value, and {@code ${} so that Log4j2 does not look it up. */
  static String xml(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.replace("${", "$${").toCharArray()) {
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&apos;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
