package dev.engram.core.spi.support;

import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.ThreadRecord;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/** The thread record an accepted append leaves behind, as every backend must compute it. */
public final class ThreadRecords {

    private ThreadRecords() {
    }

    /**
     * The record after {@code append} moved the head to {@code newHead}: a new thread gets the append's metadata and a
     * fresh random generation; the TTL is the append's, else the record's, and the expiry is refreshed from it.
     *
     * @param current the live record, or null when the thread is absent or expired
     */
    public static ThreadRecord afterAppend(@Nullable ThreadRecord current, LogAppend append, long newHead) {
        long now = append.nowMillis();
        long ttl = append.ttl() != null ? append.ttl().toMillis() : current == null ? 0 : current.ttlMillis();
        long expiresAt = ttl > 0 ? now + ttl : 0;
        if (current == null) {
            long generation = ThreadLocalRandom.current().nextLong() | 1;
            return new ThreadRecord(append.key(), newHead, generation, now, now, expiresAt, ttl, append.metadata());
        }
        return new ThreadRecord(current.key(), newHead, current.generation(), current.createdAtMillis(), now, expiresAt, ttl,
                current.metadata());
    }
}
