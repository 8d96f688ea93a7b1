package dev.engram.core.spi;

import dev.engram.core.model.ThreadKey;

/** A checkpoint as stored: the encoded state of generation {@code generation} of a thread at {@code version}. */
public record StoredCheckpoint(ThreadKey key, long version, long generation, long createdAtMillis, byte[] data) {

    public CheckpointMeta meta() {
        return new CheckpointMeta(key, version, generation, createdAtMillis, data.length);
    }
}
