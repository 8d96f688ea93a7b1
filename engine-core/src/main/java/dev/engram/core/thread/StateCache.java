package dev.engram.core.thread;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Folded states of hot threads, least recently used evicted first. An entry is only ever trusted after
 * comparing it with the stored head and generation, so a write by another process is never hidden.
 */
final class StateCache {

    /** A cached state, its thread's generation, and the encoded bytes of the events folded since the last checkpoint. */
    record Entry(long generation, ThreadState state, long tailBytes) {
    }

    private final int maxThreads;
    private final LinkedHashMap<ThreadKey, Entry> entries;

    StateCache(int maxThreads) {
        this.maxThreads = maxThreads;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ThreadKey, Entry> eldest) {
                return size() > StateCache.this.maxThreads;
            }
        };
    }

    synchronized @Nullable Entry get(ThreadKey key) {
        return entries.get(key);
    }

    /** Stores {@code entry} unless a newer state of the same generation is already cached. */
    synchronized void offer(ThreadKey key, Entry entry) {
        if (maxThreads == 0) {
            return;
        }
        Entry current = entries.get(key);
        if (current == null || current.generation() != entry.generation() || current.state().version() < entry.state().version()) {
            entries.put(key, entry);
        }
    }

    /**
     * Replaces the entry of {@code key} when it is at {@code expectedVersion}; drops it when it is older (an append
     * it did not see); returns the entry now cached, or null.
     */
    synchronized @Nullable Entry advance(ThreadKey key, long expectedVersion, java.util.function.UnaryOperator<Entry> fold) {
        Entry current = entries.get(key);
        if (current == null) {
            return null;
        }
        long v = current.state().version();
        if (v == expectedVersion) {
            Entry next = fold.apply(current);
            entries.put(key, next);
            return next;
        }
        if (v < expectedVersion) {
            entries.remove(key);
            return null;
        }
        return current;
    }

    synchronized void remove(ThreadKey key) {
        entries.remove(key);
    }
}
