package dev.engram.core.local;

import dev.engram.core.memory.MemoryKey;
import dev.engram.core.spi.MemoryRecord;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Decoded memory records of recently searched (tenant, first namespace segment) pairs — typically one user each — so a
 * search reads the heap instead of decoding every item from RocksDB, and the engine's memo of each record's terms
 * lives as long as the record. Bounded by {@code maxBytes} of encoded records, least recently used first out; a run
 * larger than the bound is never cached.
 *
 * <p>Coherent because the provider is single-process: every write goes through the writer, which updates a cached run
 * after its write succeeds ({@link #written}, {@link #removed}). A run loaded by a read is installed only if no write
 * touched its stripe while it was read ({@link #stamp} before the read, {@link #install} after), so a load that raced
 * a write is used once and not kept.
 */
final class LocalMemoryCache {

    private static final int STRIPES = 1024;

    /** One tenant's items whose namespace starts with one segment. */
    record RunKey(String tenant, String first) {
        static RunKey of(MemoryKey key) {
            return new RunKey(key.tenant(), key.namespace().segments().get(0));
        }
    }

    /** A record and the size of its encoding, the unit of the bound. */
    record Entry(MemoryRecord record, int bytes) {
    }

    /** The cached records of one run; readers iterate it while the writer changes it (weakly consistent). */
    static final class Run {
        private final ConcurrentHashMap<MemoryKey, Entry> entries;
        private long bytes;

        Run(ConcurrentHashMap<MemoryKey, Entry> entries, long bytes) {
            this.entries = entries;
            this.bytes = bytes;
        }

        Collection<Entry> entries() {
            return entries.values();
        }

        @Nullable Entry get(MemoryKey key) {
            return entries.get(key);
        }
    }

    private final long maxBytes;
    private final LinkedHashMap<RunKey, Run> runs = new LinkedHashMap<>(64, 0.75f, true);
    private final long[] stamps = new long[STRIPES];
    private long bytes;

    LocalMemoryCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    synchronized @Nullable Run get(RunKey key) {
        return runs.get(key);
    }

    /** The write count of {@code key}'s stripe, taken before loading the run from RocksDB. */
    synchronized long stamp(RunKey key) {
        return stamps[stripe(key)];
    }

    /** Keeps a loaded run, unless a write touched its stripe since {@code stamp} or it exceeds the bound. */
    synchronized void install(RunKey key, long stamp, ConcurrentHashMap<MemoryKey, Entry> entries, long size) {
        if (stamps[stripe(key)] != stamp || size > maxBytes || runs.containsKey(key)) {
            return;
        }
        runs.put(key, new Run(entries, size));
        bytes += size;
        evict();
    }

    /** After the writer stored {@code record}. */
    synchronized void written(MemoryRecord record, int size) {
        RunKey key = RunKey.of(record.key());
        stamps[stripe(key)]++;
        Run run = runs.get(key);
        if (run != null) {
            Entry old = run.entries.put(record.key(), new Entry(record, size));
            long delta = size - (old == null ? 0 : old.bytes);
            run.bytes += delta;
            bytes += delta;
            evict();
        }
    }

    /** After the writer removed the record at {@code key}. */
    synchronized void removed(MemoryKey key) {
        RunKey runKey = RunKey.of(key);
        stamps[stripe(runKey)]++;
        Run run = runs.get(runKey);
        if (run != null) {
            Entry old = run.entries.remove(key);
            if (old != null) {
                run.bytes -= old.bytes;
                bytes -= old.bytes;
            }
        }
    }

    /** Encoded bytes cached now; for tests. */
    synchronized long bytes() {
        return bytes;
    }

    private void evict() {
        Iterator<Map.Entry<RunKey, Run>> it = runs.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Run eldest = it.next().getValue();
            bytes -= eldest.bytes;
            it.remove();
        }
    }

    private static int stripe(RunKey key) {
        return Math.floorMod(key.hashCode(), STRIPES);
    }
}
