package dev.cairn.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedWalTest {
  @TempDir Path dir;

  private static byte[] record(int i) {
    byte[] b = new byte[100 + i];
    for (int k = 0; k < b.length; k++) {
      b[k] = (byte) (i * 31 + k);
    }
    return b;
  }

  private List<byte[]> replay(long from) throws Exception {
    List<byte[]> out = new ArrayList<>();
    try (EmbeddedWal wal = new EmbeddedWal(dir)) {
      wal.replay(from, out::add);
    }
    return out;
  }

  @Test
  void replay_returnsRecordsOfEverySegmentFromTheGenerationOn() throws Exception {
    try (EmbeddedWal wal = new EmbeddedWal(dir)) {
      wal.start(3);
      wal.append(record(0));
      wal.start(4);
      wal.append(record(1));
      wal.append(record(2));
      wal.sync();
    }

    List<byte[]> all = replay(3);
    assertEquals(3, all.size());
    for (int i = 0; i < 3; i++) {
      assertArrayEquals(record(i), all.get(i));
    }
    assertEquals(2, replay(4).size(), "generation 3 is in the last commit");
  }

  /** Segment 0 holding records 0 to n - 1. */
  private Path segmentOf(int n) throws Exception {
    try (EmbeddedWal wal = new EmbeddedWal(dir)) {
      wal.start(0);
      for (int i = 0; i < n; i++) {
        wal.append(record(i));
      }
      wal.sync();
    }
    return dir.resolve("wal").resolve(String.format("wal-%016x.log", 0));
  }

  @Test
  void replay_stopsAtATornTail_andCountsItsBytes() throws Exception {
    Path segment = segmentOf(2);
    long whole = Files.size(segment);
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(whole - 10); // the second record cut short, as by a crash mid-write
    }

    EmbeddedWal.Replayed r;
    List<byte[]> out = new ArrayList<>();
    try (EmbeddedWal wal = new EmbeddedWal(dir)) {
      r = wal.replay(0, out::add);
    }
    assertEquals(1, r.records());
    assertEquals(8 + record(1).length - 10, r.droppedBytes());
    assertArrayEquals(record(0), out.get(0));
  }

  @Test
  void replay_stopsAtACorruptRecord() throws Exception {
    Path segment = segmentOf(3);
    long secondPayload = 12 + 8 + record(0).length + 8;
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {0x55}), secondPayload + 5); // a flipped byte
    }

    assertEquals(1, replay(0).size(), "the CRC catches it; nothing after it is trusted");
  }

  @Test
  void deleteBefore_removesOlderSegments() throws Exception {
    try (EmbeddedWal wal = new EmbeddedWal(dir)) {
      wal.start(1);
      wal.start(2);
      wal.start(5);
      wal.deleteBefore(5);
      assertEquals(List.of(5L), wal.generations());
    }
  }
}
