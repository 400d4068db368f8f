package dev.cairn.store;

import static dev.cairn.store.Fields.*;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.IndexWriter;
import dev.cairn.core.model.TraceId;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.search.TermInSetQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.util.BytesRef;

/** Deletes old traces and counter minutes; see {@link EmbeddedSpanStore#deleteOlderThan}. */
final class EmbeddedRetention {
  private static final int CHUNK = 8192;

  static long deleteOlderThan(IndexWriter writer, IndexSearcher searcher, long micros)
      throws IOException {
    Query oldTraces = new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TYPE, TYPE_TRACE)), Occur.FILTER)
        .add(LongPoint.newRangeQuery(TRACE_START, Long.MIN_VALUE, micros - 1), Occur.FILTER)
        .build();
    List<BytesRef> ids = new ArrayList<>();
    searcher.search(oldTraces, new SimpleCollector() {
      private TraceIds values;

      @Override
      protected void doSetNextReader(LeafReaderContext context) throws IOException {
        values = new TraceIds(context.reader());
      }

      @Override
      public void collect(int doc) throws IOException {
        TraceId id = values.of(doc);
        if (id != null) {
          ids.add(traceTerm(id));
        }
      }

      @Override
      public ScoreMode scoreMode() {
        return ScoreMode.COMPLETE_NO_SCORES;
      }
    });
    for (int i = 0; i < ids.size(); i += CHUNK) {
      // part and summary documents both carry the trace ID
      writer.deleteDocuments(new TermInSetQuery(TRACE, ids.subList(i, Math.min(ids.size(), i + CHUNK))));
    }
    // parts left over (of a trace without a summary) whose spans and log lines are all older
    writer.deleteDocuments(new BooleanQuery.Builder()
        .add(new TermQuery(new Term(TYPE, TYPE_PART)), Occur.FILTER)
        .add(LongPoint.newRangeQuery(PART_LAST, Long.MIN_VALUE, micros - 1), Occur.FILTER)
        .build());
    // a minute goes when all of it is older than the cutoff
    writer.deleteDocuments(LongPoint.newRangeQuery(MINUTE, Long.MIN_VALUE, micros - MINUTE_MICROS));
    return ids.size();
  }

  private EmbeddedRetention() {}
}
