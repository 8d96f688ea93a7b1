package dev.engram.core.inmemory;

import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Memory records held as objects, by tenant and first namespace segment (a search's prefix usually names a user, so it
 * reads one bucket). The records stay decoded, so the engine's memo of each one's terms survives between searches.
 * Expired records are skipped by every read and removed when a read meets them.
 */
final class InMemoryMemories implements MemoryStorage {

    private final Clock clock;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, ConcurrentHashMap<MemoryKey, MemoryRecord>>> tenants =
            new ConcurrentHashMap<>();

    InMemoryMemories(Clock clock) {
        this.clock = clock;
    }

    @Override
    public Mono<Void> put(MemoryRecord record) {
        return Mono.fromRunnable(() -> bucket(record.key()).put(record.key(), record));
    }

    @Override
    public Mono<MemoryRecord> get(MemoryKey key, Instant now) {
        return Mono.fromCallable(() -> {
            ConcurrentHashMap<MemoryKey, MemoryRecord> b = existing(key);
            return b == null ? null : live(b, b.get(key), now);
        });
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        return Mono.fromCallable(() -> {
            ConcurrentHashMap<MemoryKey, MemoryRecord> b = existing(key);
            MemoryRecord removed = b == null ? null : b.remove(key);
            return removed != null && !removed.item().expiredAt(clock.instant());
        });
    }

    @Override
    public Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now) {
        return Flux.defer(() -> {
            var buckets = tenants.get(tenant);
            if (buckets == null) {
                return Flux.empty();
            }
            List<MemoryRecord> out = new ArrayList<>();
            if (prefix.isRoot()) {
                buckets.values().forEach(b -> collect(b, prefix, now, out));
            } else {
                var b = buckets.get(prefix.segments().get(0));
                if (b != null) {
                    collect(b, prefix, now, out);
                }
            }
            return Flux.fromIterable(out);
        });
    }

    /** Atomic per key: a read's refresh never lands on a record written after the read. */
    @Override
    public Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        return Mono.fromCallable(() -> {
            ConcurrentHashMap<MemoryKey, MemoryRecord> b = existing(key);
            if (b == null) {
                return false;
            }
            boolean[] done = {false};
            b.computeIfPresent(key, (k, r) -> {
                if (r.item().expiredAt(now) || !r.item().updatedAt().equals(updatedAt)) {
                    return r;
                }
                done[0] = true;
                return r.withExpiresAt(expiresAt);
            });
            return done[0];
        });
    }

    private static void collect(ConcurrentHashMap<MemoryKey, MemoryRecord> bucket, Namespace prefix, Instant now, List<MemoryRecord> out) {
        for (Map.Entry<MemoryKey, MemoryRecord> e : bucket.entrySet()) {
            MemoryRecord r = live(bucket, e.getValue(), now);
            if (r != null && r.key().namespace().startsWith(prefix)) {
                out.add(r);
            }
        }
    }

    private static @Nullable MemoryRecord live(ConcurrentHashMap<MemoryKey, MemoryRecord> bucket, @Nullable MemoryRecord r, Instant now) {
        if (r != null && r.item().expiredAt(now)) {
            bucket.remove(r.key(), r);
            return null;
        }
        return r;
    }

    private ConcurrentHashMap<MemoryKey, MemoryRecord> bucket(MemoryKey key) {
        return tenants.computeIfAbsent(key.tenant(), t -> new ConcurrentHashMap<>())
                .computeIfAbsent(key.namespace().segments().get(0), s -> new ConcurrentHashMap<>());
    }

    private @Nullable ConcurrentHashMap<MemoryKey, MemoryRecord> existing(MemoryKey key) {
        var buckets = tenants.get(key.tenant());
        return buckets == null ? null : buckets.get(key.namespace().segments().get(0));
    }
}
