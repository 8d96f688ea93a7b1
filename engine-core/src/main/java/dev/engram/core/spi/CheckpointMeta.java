package dev.engram.core.spi;

import dev.engram.core.model.ThreadKey;

/** A stored checkpoint without its bytes. */
public record CheckpointMeta(ThreadKey key, long version, long generation, long createdAtMillis, int sizeBytes) {
}
