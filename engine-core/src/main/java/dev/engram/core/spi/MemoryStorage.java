package dev.engram.core.spi;

import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import java.time.Instant;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A backend's storage of memory items. The engine validates, timestamps, embeds, filters and ranks; a backend stores
 * records by key and returns the live ones under a namespace prefix. No method may block the subscribing thread.
 *
 * <p>Expiry: a record whose {@link MemoryRecord#expiresAt()} is not after {@code now} is never returned, whether or
 * not the backend has removed it yet (backends also remove expired records, natively or by a sweep).
 */
public interface MemoryStorage {

    /** Stores {@code record}, replacing any record with the same key. */
    Mono<Void> put(MemoryRecord record);

    /** The live record at {@code key}, or empty. */
    Mono<MemoryRecord> get(MemoryKey key, Instant now);

    /** Removes the record at {@code key}; emits whether a live one was there. */
    Mono<Boolean> delete(MemoryKey key);

    /**
     * Every live record of {@code tenant} whose namespace starts with {@code prefix} (the root: the whole tenant), in
     * any order. Searches scan this, so a backend should make a prefix with a first segment (typically a user) cheap.
     */
    Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now);

    /**
     * Moves the expiry of the record at {@code key} to {@code expiresAt} if it is still live and still the one written
     * at {@code updatedAt}, so that a TTL refreshed by a read never brings back an older value over a later write;
     * emits whether it did. This default reads and then puts, which leaves a concurrent write a small window; a
     * backend that can check and write in one step should override it.
     */
    default Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        return get(key, now)
                .filter(r -> r.item().updatedAt().equals(updatedAt))
                .flatMap(r -> put(r.withExpiresAt(expiresAt)).thenReturn(true))
                .defaultIfEmpty(false);
    }
}
