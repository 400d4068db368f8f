package dev.cairn.store;

/**
 * What a write did.
 *
 * @param spansStored spans that were new and are now stored
 * @param spansAlreadyPresent spans that were stored before (same trace ID and span ID), left as
 *     they were
 * @param logsStored log lines that were new
 */
public record WriteResult(int spansStored, int spansAlreadyPresent, int logsStored) {}
