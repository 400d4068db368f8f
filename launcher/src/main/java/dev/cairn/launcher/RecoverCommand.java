package dev.cairn.launcher;

import dev.cairn.puller.Recovery;
import dev.cairn.shipper.JournalReplay;
import dev.cairn.store.EmbeddedSpanStore;
import dev.cairn.store.SpanStore;
import dev.cairn.store.SpanStores;
import dev.cairn.store.StoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code cairn recover}: reads a shipper's journal copy (the replica, or the primary) read-only
 * and fills the embedded store with the traces it holds; spans already stored are skipped by the
 * store and counted. See docs/recovery.md.
 */
@Command(
    name = "recover",
    description = {
        "Fills the store from a shipper's journal (a replica, or a primary), read-only: every "
            + "block decoded, spans assembled into traces as the puller does, written in batches. "
            + "Spans already in the store are skipped and counted. Progress every second on "
            + "standard error, the counts on standard output.",
        "Corrupt blocks are counted and skipped; they do not make the command fail."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:done (corrupt blocks, if any, are counted in the output)",
        "1:the journal cannot be read at all, or the store cannot be opened or written",
        "2:usage error"})
final class RecoverCommand implements Callable<Integer> {
  /** The embedded store's directory when --store is not given (the puller's default). */
  static final Path DEFAULT_STORE = Path.of("cairn-data", "store");

  @Spec CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "<journal dir>",
      description = "A journal copy: the shipper's journal.replica (or journal.primary) directory.")
  Path from;

  @Option(names = "--store", paramLabel = "<store dir>",
      description = "The embedded store's directory (default: ${DEFAULT-VALUE}).")
  Path store = DEFAULT_STORE;

  @Option(names = "--es-url", paramLabel = "<url>",
      description = "Fill the Elasticsearch store at this URL instead (several separated by commas).")
  String esUrl;

  @Option(names = "--es-index-prefix", paramLabel = "<prefix>", defaultValue = "cairn",
      description = "The Elasticsearch store's index prefix (default: ${DEFAULT-VALUE}).")
  String esIndexPrefix;

  @Option(names = "--from-seq", paramLabel = "<n>", defaultValue = "1",
      description = "The first journal sequence number to read (default: ${DEFAULT-VALUE}, the oldest).")
  long fromSeq;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String me = spec.qualifiedName();
    if (fromSeq < 1) {
      throw new ParameterException(spec.commandLine(), "--from-seq must be at least 1: " + fromSeq);
    }
    if (!Files.isDirectory(from)) {
      throw new ParameterException(spec.commandLine(), "--from: no such directory: " + from);
    }
    JournalReplay replay;
    try {
      replay = JournalReplay.open(from);
    } catch (IOException | RuntimeException e) {
      err.println(me + ": cannot read the journal: " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
    try (replay; SpanStore s = esUrl == null ? EmbeddedSpanStore.open(store)
        : SpanStores.open("elasticsearch", Map.of("urls", esUrl, "indexPrefix", esIndexPrefix))) {
      err.println(me + ": " + from + " (seqs " + replay.firstSeq() + ".." + replay.lastSeq()
          + ") into " + (esUrl == null ? store : esUrl + " (" + esIndexPrefix + "-*)"));
      err.flush();
      Recovery.Result r = Recovery.builder(s.writer()).reader(s.reader())
          .progress(p -> {
            err.println(me + ": " + progressLine(p));
            err.flush();
          }, 1_000)
          .build()
          .run(source(replay), fromSeq);
      out.println("recovered: blocks=" + r.blocks() + " spans=" + r.spans() + " logs=" + r.logs()
          + " traces=" + r.traces() + " corrupt=" + r.corrupt() + " added=" + r.spansAdded()
          + " alreadyPresent=" + r.spansAlreadyPresent() + " logsAdded=" + r.logsAdded()
          + " seconds=" + String.format(Locale.ROOT, "%.1f", r.millis() / 1000.0));
      out.flush();
      return CairnCommand.EXIT_OK;
    } catch (StoreException | IOException | RuntimeException e) {
      err.println(me + ": " + e.getMessage());
      err.flush();
      return CairnCommand.EXIT_PROBLEMS;
    }
  }

  static String progressLine(Recovery.Result p) {
    return String.format(Locale.ROOT, "seq %d (%.1f%%) blocks=%d spans=%d corrupt=%d alreadyPresent=%d",
        p.seq(), p.percent(), p.blocks(), p.spans(), p.corrupt(), p.spansAlreadyPresent());
  }

  static Recovery.Source source(JournalReplay replay) {
    return new Recovery.Source() {
      @Override
      public long firstSeq() {
        return replay.firstSeq();
      }

      @Override
      public long lastSeq() {
        return replay.lastSeq();
      }

      @Override
      public long seek(long seq) {
        return replay.seek(seq);
      }

      @Override
      public Recovery.Entry next() {
        JournalReplay.Entry e = replay.next();
        return e == null ? null : new Recovery.Entry(e.seq(), e.block());
      }

      @Override
      public long skipped() {
        return replay.skippedExcerpts();
      }
    };
  }
}
