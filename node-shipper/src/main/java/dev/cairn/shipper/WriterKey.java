package dev.cairn.shipper;

/**
 * One writer of span files: a process (pid and start time from the file header, so a reused pid
 * is another writer) writing files of one prefix into one directory. Its files are numbered in
 * their names; see {@link SpanFileName}.
 */
record WriterKey(String directory, String prefix, long pid, long startMicros) {}
