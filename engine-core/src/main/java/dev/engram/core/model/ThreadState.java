package dev.engram.core.model;

import dev.engram.core.CorruptDataException;
import dev.engram.core.internal.PersistentVector;
import java.time.Instant;
import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

/**
 * A thread folded up to {@link #version()}: its messages and values. Immutable; {@link #apply(Event)} returns a
 * new state sharing structure with this one, so folding one event costs the size of the event, not of the state.
 */
public final class ThreadState {

    /** A message and the version of the event that put it in the state (a summary carries the version it covers). */
    public record Entry(long version, Message message) {
    }

    private final ThreadKey key;
    private final long version;
    private final PersistentVector<Entry> entries;
    private final PMap<String, Object> values;
    private final Instant updatedAt;

    private ThreadState(ThreadKey key, long version, PersistentVector<Entry> entries, PMap<String, Object> values, Instant updatedAt) {
        this.key = key;
        this.version = version;
        this.entries = entries;
        this.values = values;
        this.updatedAt = updatedAt;
    }

    /** The state of a thread before its first event: version 0, nothing in it. */
    public static ThreadState empty(ThreadKey key) {
        return new ThreadState(Objects.requireNonNull(key, "key"), 0, PersistentVector.empty(), HashTreePMap.empty(), Instant.EPOCH);
    }

    /** Rebuilds a state from its parts, as a decoder does. */
    public static ThreadState of(ThreadKey key, long version, List<Entry> entries, Map<String, Object> values, Instant updatedAt) {
        return new ThreadState(key, version, PersistentVector.of(entries), HashTreePMap.from(values), updatedAt);
    }

    public ThreadKey key() {
        return key;
    }

    public long version() {
        return version;
    }

    public Instant updatedAt() {
        return updatedAt;
    }

    /** The conversation, oldest first. */
    public List<Message> messages() {
        return new AbstractList<>() {
            @Override
            public Message get(int index) {
                return entries.get(index).message();
            }

            @Override
            public int size() {
                return entries.size();
            }
        };
    }

    /** The messages with the versions they came from, oldest first. */
    public List<Entry> entries() {
        return entries;
    }

    /** JSON-like values set by {@link Change.ValuesSet}. */
    public Map<String, Object> values() {
        return values;
    }

    /** Returns this state with {@code event} folded in; the event must be the next version. */
    public ThreadState apply(Event event) {
        if (event.version() != version + 1) {
            throw new CorruptDataException("cannot fold version " + event.version() + " of " + key + " into state at version " + version);
        }
        return apply(event.version(), event.timestamp(), event.change());
    }

    /** Returns this state with a change at {@code newVersion} folded in. */
    public ThreadState apply(long newVersion, Instant timestamp, Change change) {
        PersistentVector<Entry> newEntries = entries;
        PMap<String, Object> newValues = values;
        if (change instanceof Change.MessageAppended m) {
            newEntries = entries.plus(new Entry(newVersion, m.message()));
        } else if (change instanceof Change.ValuesSet s) {
            newValues = values.plusAll(s.values());
        } else if (change instanceof Change.ValuesRemoved r) {
            newValues = values.minusAll(r.keys());
        } else if (change instanceof Change.MessagesCompacted c) {
            newEntries = compact(c);
        }
        return new ThreadState(key, newVersion, newEntries, newValues, timestamp);
    }

    private PersistentVector<Entry> compact(Change.MessagesCompacted c) {
        PersistentVector<Entry> out = PersistentVector.<Entry>empty().plus(new Entry(c.upToVersion(), c.summary()));
        for (Entry e : entries) {
            if (e.version() > c.upToVersion()) {
                out = out.plus(e);
            }
        }
        return out;
    }

    /** The same state under another key, as a fork starts. */
    public ThreadState withKey(ThreadKey newKey) {
        return new ThreadState(newKey, version, entries, values, updatedAt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ThreadState s && s.version == version && s.key.equals(key) && s.updatedAt.equals(updatedAt)
                && s.entries.equals(entries) && s.values.equals(values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, version, entries.size());
    }

    @Override
    public String toString() {
        return "ThreadState[" + key + " v" + version + ", " + entries.size() + " messages, " + values.size() + " values]";
    }
}
