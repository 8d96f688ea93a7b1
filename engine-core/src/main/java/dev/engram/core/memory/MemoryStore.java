package dev.engram.core.memory;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * The cross-thread memory store of an engine ({@code engram.memories()}). Every argument is validated before any I/O;
 * bad input fails with {@link dev.engram.core.InvalidInputException} and stores nothing. Expired items are never
 * returned, whether or not a sweeper has removed them yet. Namespaces starting with {@value Namespace#RESERVED_PREFIX}
 * belong to the engine and are refused.
 */
public interface MemoryStore {

    /** Upserts an item and emits it as stored (embedded first when an embedder is configured). */
    Mono<MemoryItem> put(MemoryWrite write);

    /** Emits the live item at {@code key}, or completes empty. Refreshes its TTL when {@code memory.refreshTtlOnRead} is set. */
    Mono<MemoryItem> get(MemoryKey key);

    /** Deletes the item; emits whether a live item was there. */
    Mono<Boolean> delete(MemoryKey key);

    /** The best matching items first, capped by {@code memory.maxMemories} and, for summaries, {@code memory.maxSummaries}. */
    Mono<List<MemoryHit>> search(MemorySearch search);

    /** The distinct namespaces holding live items, in path order. */
    Mono<List<Namespace>> namespaces(NamespaceQuery query);
}
