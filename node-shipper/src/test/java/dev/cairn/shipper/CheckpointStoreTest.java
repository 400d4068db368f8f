package dev.cairn.shipper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir Path tmp;

  private static CheckpointStore.Checkpoint sample() {
    WriterKey w = new WriterKey("/var/log/cairn/checkout", "spans", 4242, 1_763_700_000_000_000L);
    return new CheckpointStore.Checkpoint(12_345, 1_800_000_000_000L,
        List.of(
            new CheckpointStore.FileState(UUID.randomUUID(), "/var/log/cairn/checkout/spans-\u00e9.cairn",
                4096, 8192, false, -1, Optional.of(w), 7),
            new CheckpointStore.FileState(UUID.randomUUID(), "", 100, 100, true, 1_800_000_000_500L,
                Optional.empty(), -1)),
        List.of(new CheckpointStore.WriterState(w, 7, 1_763_700_001_000_000L, 1_800_000_000_900L)));
  }

  @Test
  void save_thenLoad_returnsTheSameCheckpoint() throws IOException {
    CheckpointStore store = new CheckpointStore(tmp.resolve("state/tailer.checkpoint"));
    CheckpointStore.Checkpoint c = sample();
    store.save(c);
    assertEquals(Optional.of(c), store.load());
    assertTrue(Files.notExists(tmp.resolve("state/tailer.checkpoint.tmp")));
  }

  @Test
  void save_replacesThePreviousCheckpoint() throws IOException {
    CheckpointStore store = new CheckpointStore(tmp.resolve("tailer.checkpoint"));
    store.save(sample());
    CheckpointStore.Checkpoint second = new CheckpointStore.Checkpoint(99, 1, List.of(), List.of());
    store.save(second);
    assertEquals(Optional.of(second), store.load());
  }

  @Test
  void load_missingFile_isEmpty() {
    assertEquals(Optional.empty(), new CheckpointStore(tmp.resolve("none")).load());
  }

  @Test
  void load_damagedFile_isEmptyNotAnError() throws IOException {
    Path file = tmp.resolve("tailer.checkpoint");
    CheckpointStore store = new CheckpointStore(file);
    store.save(sample());
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(file, bytes);
    assertEquals(Optional.empty(), store.load());
    Files.write(file, new byte[] {1, 2, 3});
    assertEquals(Optional.empty(), store.load());
  }

  @Test
  void leftoverTempFileFromACrash_ignoredAndOverwritten() throws IOException {
    Path file = tmp.resolve("tailer.checkpoint");
    CheckpointStore store = new CheckpointStore(file);
    store.save(sample());
    Files.write(tmp.resolve("tailer.checkpoint.tmp"), new byte[] {9, 9, 9}); // half-written
    assertEquals(Optional.of(sample().lastSeq()), store.load().map(CheckpointStore.Checkpoint::lastSeq));
    CheckpointStore.Checkpoint next = new CheckpointStore.Checkpoint(7, 1, List.of(), List.of());
    store.save(next);
    assertEquals(Optional.of(next), store.load());
  }
}
