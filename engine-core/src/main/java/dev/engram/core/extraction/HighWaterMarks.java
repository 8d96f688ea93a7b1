package dev.engram.core.extraction;

import dev.engram.core.internal.JsonValues;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Each thread's extraction high-water mark: the last version whose turns have been extracted, with the thread's
 * generation (a deleted and re-created thread starts again from 0). Kept durably in the backend's memory storage
 * under the reserved namespace {@code ["engram.extraction", threadId(, checkpointNamespace)]}, key {@code mark}. Written
 * to the storage directly rather than through the memory store, so a mark is never embedded and never takes
 * {@code memory.ttl}: it expires with its thread.
 */
final class HighWaterMarks {

    static final String NAMESPACE = Namespace.RESERVED_PREFIX + "extraction";
    static final String KIND = "extraction-mark";
    private static final String KEY = "mark";

    private final MemoryStorage storage;
    private final Clock clock;

    HighWaterMarks(MemoryStorage storage, Clock clock) {
        this.storage = storage;
        this.clock = clock;
    }

    /** Segments cannot be empty, so a thread in the default checkpoint namespace has one segment fewer: the paths never collide. */
    static MemoryKey keyOf(ThreadKey thread) {
        Namespace ns = thread.namespace().isEmpty()
                ? Namespace.of(NAMESPACE, thread.threadId())
                : Namespace.of(NAMESPACE, thread.threadId(), thread.namespace());
        return new MemoryKey(thread.tenant(), ns, KEY);
    }

    /** The mark of this generation of the thread; 0 when there is none or it belongs to an earlier generation. */
    Mono<Long> read(ThreadKey thread, long generation) {
        return storage.get(keyOf(thread), clock.instant())
                .map(r -> {
                    Map<String, Object> v = r.item().value();
                    return v.get("generation") instanceof Long g && g == generation && v.get("version") instanceof Long version ? version : 0L;
                })
                .defaultIfEmpty(0L);
    }

    Mono<Void> write(ThreadKey thread, long version, long generation, @Nullable Instant expiresAt) {
        return Mono.defer(() -> {
            Instant now = clock.instant();
            MemoryItem item = new MemoryItem(keyOf(thread),
                    JsonValues.normalizeMap(Map.of("version", version, "generation", generation), "mark"), KIND, null, now, now, expiresAt);
            return storage.put(new MemoryRecord(item, null));
        });
    }

    Mono<Void> clear(ThreadKey thread) {
        return storage.delete(keyOf(thread)).then();
    }
}
