package dev.engram.core.model;

import java.time.Instant;

/** A stored checkpoint: the thread's folded state at {@code version}, {@code sizeBytes} encoded. */
public record CheckpointInfo(ThreadKey key, long version, Instant createdAt, int sizeBytes) {
}
