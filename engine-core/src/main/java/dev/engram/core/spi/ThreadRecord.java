package dev.engram.core.spi;

import dev.engram.core.model.ThreadKey;
import java.util.Map;

/**
 * A thread's record beside its events.
 *
 * @param version         the head: the last appended version
 * @param generation      random, fixed when the thread is created; a deleted or expired and then re-created thread gets a
 *                        new one, so checkpoints of the old thread are never applied to the new
 * @param expiresAtMillis 0 when the thread does not expire
 * @param ttlMillis       0 when the thread has no TTL
 */
public record ThreadRecord(ThreadKey key, long version, long generation, long createdAtMillis, long updatedAtMillis,
                           long expiresAtMillis, long ttlMillis, Map<String, String> metadata) {

    public boolean isExpiredAt(long nowMillis) {
        return expiresAtMillis != 0 && expiresAtMillis <= nowMillis;
    }
}
