package dev.engram.core.local;

import dev.engram.core.codec.Codec;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Memory items in the {@code memories} column family, as {@link Codec#encodeMemory} bytes under
 * {@code tenant 0x00 namespace-path 0x00 key}. Writes go through the writer (same sync mode and durability as
 * appends); reads run on the read scheduler, or come from {@link LocalMemoryCache} when a search already loaded the
 * items of that first segment. Expired items are skipped by every read and removed by the writer's sweep.
 */
final class LocalMemories implements MemoryStorage {

    private static final Logger log = LoggerFactory.getLogger(LocalMemories.class);
    /** Items one sweep looks at, and expired items it removes at most, like the threads' sweep. */
    static final int SWEEP_SCAN = 10_000;
    static final int SWEEP_PURGE = 1_000;

    private final LocalDb db;
    private final LocalReads reads;
    private final LocalWriter writer;
    private final Clock clock;
    private final Codec codec = Codec.standard();
    private final LocalMemoryCache cache;
    /** Where the next sweep starts; touched by the writer thread only. */
    private byte @Nullable [] sweepFrom;

    LocalMemories(LocalDb db, LocalReads reads, LocalWriter writer, Clock clock, long cacheBytes) {
        this.db = db;
        this.reads = reads;
        this.writer = writer;
        this.clock = clock;
        this.cache = new LocalMemoryCache(cacheBytes);
        writer.alsoSweep(this::sweep);
    }

    LocalMemoryCache cache() {
        return cache;
    }

    @Override
    public Mono<Void> put(MemoryRecord record) {
        return Mono.defer(() -> {
            byte[] value = codec.encodeMemory(record);
            return writer.task("storing memory item " + record.key(), () -> {
                try (WriteBatch batch = new WriteBatch()) {
                    batch.put(db.memories, LocalFormat.memoryKey(record.key()), value);
                    writer.write(batch);
                }
                cache.written(record, value.length);
                return null;
            });
        }).then();
    }

    @Override
    public Mono<MemoryRecord> get(MemoryKey key, Instant now) {
        return Mono.defer(() -> {
            LocalMemoryCache.Run run = cache.get(LocalMemoryCache.RunKey.of(key));
            if (run != null) {
                LocalMemoryCache.Entry e = run.get(key);
                return Mono.justOrEmpty(e == null ? null : live(e.record(), now));
            }
            return reads.call("reading memory item " + key, () -> {
                byte[] value = db.db.get(db.memories, LocalFormat.memoryKey(key));
                return value == null ? null : live(codec.decodeMemory(value), now);
            });
        });
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        return writer.task("deleting memory item " + key, () -> {
            byte[] k = LocalFormat.memoryKey(key);
            byte[] value = db.db.get(db.memories, k);
            if (value == null) {
                return false;
            }
            try (WriteBatch batch = new WriteBatch()) {
                batch.delete(db.memories, k);
                writer.write(batch);
            }
            cache.removed(key);
            return !codec.decodeMemory(value).item().expiredAt(clock.instant());
        });
    }

    @Override
    public Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now) {
        if (prefix.isRoot()) {
            return reads.call("listing the memory items of " + tenant, () -> {
                byte[] start = LocalFormat.tenantPrefix(tenant);
                List<MemoryRecord> out = new ArrayList<>();
                try (RocksIterator it = db.db.newIterator(db.memories)) {
                    for (it.seek(start); it.isValid() && LocalFormat.startsWith(it.key(), start); it.next()) {
                        MemoryRecord r = live(codec.decodeMemory(it.value()), now);
                        if (r != null) {
                            out.add(r);
                        }
                    }
                    it.status();
                }
                return out;
            }).flatMapIterable(list -> list);
        }
        LocalMemoryCache.RunKey runKey = new LocalMemoryCache.RunKey(tenant, prefix.segments().get(0));
        return Mono.defer(() -> {
            LocalMemoryCache.Run run = cache.get(runKey);
            return run != null ? Mono.just(run.entries()) : load(runKey);
        }).flatMapIterable(entries -> {
            List<MemoryRecord> out = new ArrayList<>();
            for (LocalMemoryCache.Entry e : entries) {
                MemoryRecord r = live(e.record(), now);
                if (r != null && r.key().namespace().startsWith(prefix)) {
                    out.add(r);
                }
            }
            return out;
        });
    }

    /** Atomic on the writer: the expiry moves only if the stored item is still the one written at {@code updatedAt}. */
    @Override
    public Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        return writer.task("refreshing the expiry of memory item " + key, () -> {
            byte[] k = LocalFormat.memoryKey(key);
            byte[] value = db.db.get(db.memories, k);
            MemoryRecord current = value == null ? null : live(codec.decodeMemory(value), now);
            if (current == null || !current.item().updatedAt().equals(updatedAt)) {
                return false;
            }
            MemoryRecord refreshed = current.withExpiresAt(expiresAt);
            byte[] encoded = codec.encodeMemory(refreshed);
            try (WriteBatch batch = new WriteBatch()) {
                batch.put(db.memories, k, encoded);
                writer.write(batch);
            }
            cache.written(refreshed, encoded.length);
            return true;
        });
    }

    /** Reads one run from RocksDB on the read scheduler and offers it to the cache. */
    private Mono<java.util.Collection<LocalMemoryCache.Entry>> load(LocalMemoryCache.RunKey runKey) {
        return reads.call("reading the memory items of " + runKey.tenant() + " under [" + runKey.first() + "]", () -> {
            long stamp = cache.stamp(runKey);
            byte[] start = LocalFormat.memorySegmentStart(runKey.tenant(), runKey.first());
            ConcurrentHashMap<MemoryKey, LocalMemoryCache.Entry> entries = new ConcurrentHashMap<>();
            long size = 0;
            try (RocksIterator it = db.db.newIterator(db.memories)) {
                for (it.seek(start); it.isValid(); it.next()) {
                    int member = LocalFormat.memorySegmentMember(it.key(), start);
                    if (member < 0) {
                        break;
                    }
                    if (member > 0) {
                        byte[] value = it.value();
                        MemoryRecord r = codec.decodeMemory(value);
                        entries.put(r.key(), new LocalMemoryCache.Entry(r, value.length));
                        size += value.length;
                    }
                }
                it.status();
            }
            cache.install(runKey, stamp, entries, size);
            return entries.values();
        });
    }

    private static @Nullable MemoryRecord live(MemoryRecord r, Instant now) {
        return r.item().expiredAt(now) ? null : r;
    }

    /** On the writer thread: removes a bounded number of expired items, resuming where the last sweep stopped. */
    private void sweep() {
        Instant now = clock.instant();
        List<MemoryKey> removed = new ArrayList<>();
        try {
            db.call("sweeping expired memory items", () -> {
                try (WriteBatch batch = new WriteBatch(); RocksIterator it = db.db.newIterator(db.memories)) {
                    if (sweepFrom == null) {
                        it.seekToFirst();
                    } else {
                        it.seek(sweepFrom);
                    }
                    for (int scanned = 0; it.isValid() && scanned < SWEEP_SCAN && removed.size() < SWEEP_PURGE; scanned++, it.next()) {
                        try {
                            MemoryRecord r = codec.decodeMemory(it.value());
                            if (r.item().expiredAt(now)) {
                                batch.delete(db.memories, it.key());
                                removed.add(r.key());
                            }
                        } catch (RuntimeException e) {
                            log.error("local backend: skipping an unreadable memory item while sweeping: {}", e.getMessage());
                        }
                    }
                    it.status();
                    sweepFrom = it.isValid() ? it.key() : null;
                    if (!removed.isEmpty()) {
                        writer.write(batch);
                    }
                }
                return null;
            });
        } catch (RuntimeException e) {
            log.error("local backend: sweeping expired memory items failed: {}", e.getMessage());
            return;
        }
        removed.forEach(cache::removed);
        if (!removed.isEmpty()) {
            log.debug("local backend: swept {} expired memory items", removed.size());
        }
    }
}
