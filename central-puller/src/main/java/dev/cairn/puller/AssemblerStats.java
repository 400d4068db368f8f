package dev.cairn.puller;

/**
 * Counters of a {@link TraceAssembler}, a snapshot. "Trace writes" count written parts: a trace
 * written once and then again with late spans counts twice.
 *
 * @param tracesWrittenComplete trace writes acknowledged by the store with a complete note
 * @param tracesWrittenPartial trace writes acknowledged with a partial note
 * @param lateSpans spans of a trace already handed to the store, held again and written anew
 * @param tracesFlushedEarly traces written before assembly finished because the memory bound was
 *     reached
 * @param gapFetchesRequested {@link GapFetch} requests made
 * @param duplicateSpans spans dropped because the same (trace ID, span ID) was held or written
 * @param writeRetries failed store writes (each is retried after a back-off)
 * @param batchesWritten store writes that succeeded
 * @param spansRejected spans skipped because the store refused them on their own (a batch that
 *     kept failing was split until only they failed)
 * @param logsRejected log lines skipped the same way
 * @param tracesHeld traces being assembled (not yet queued for the store)
 * @param spansHeld spans held, assembling or queued for the store, not yet acknowledged
 * @param logsHeld log lines held, assembling or queued, not yet acknowledged
 * @param tracesQueued trace parts queued for the store (waiting, or waiting for a retry)
 */
public record AssemblerStats(
    long tracesWrittenComplete,
    long tracesWrittenPartial,
    long lateSpans,
    long tracesFlushedEarly,
    long gapFetchesRequested,
    long duplicateSpans,
    long writeRetries,
    long batchesWritten,
    long spansRejected,
    long logsRejected,
    int tracesHeld,
    int spansHeld,
    int logsHeld,
    int tracesQueued) {}
