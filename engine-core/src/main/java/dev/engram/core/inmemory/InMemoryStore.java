package dev.engram.core.inmemory;

import dev.engram.core.NotFoundException;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.AppendRules;
import dev.engram.core.spi.support.ThreadRecords;
import dev.engram.core.spi.support.InProcessChangeFeed;
import dev.engram.core.spi.support.ThreadCursor;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Threads held in process. Each thread's data is guarded by its own monitor; every call completes on the caller's thread. */
final class InMemoryStore implements EventLog {

    private final Clock clock;
    private final ConcurrentHashMap<ThreadKey, ThreadData> threads = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ThreadKey, TreeMap<Long, StoredCheckpoint>> checkpoints = new ConcurrentHashMap<>();
    private final InProcessChangeFeed feed;
    private final CheckpointStore checkpointStore = new Checkpoints();
    private final InMemoryMemories memories;

    InMemoryStore(Clock clock) {
        this.clock = clock;
        this.feed = new InProcessChangeFeed(key -> Mono.fromSupplier(() -> head(key)));
        this.memories = new InMemoryMemories(clock);
    }

    InMemoryMemories memories() {
        return memories;
    }

    InProcessChangeFeed feed() {
        return feed;
    }

    CheckpointStore checkpointStore() {
        return checkpointStore;
    }

    /** One thread: its record and events (index = version - 1 - deleted), guarded by this object's monitor. */
    private static final class ThreadData {
        @Nullable ThreadRecord record;
        final ArrayList<EventRecord> events = new ArrayList<>();
        final HashMap<java.util.UUID, EventRecord> byId = new HashMap<>();
        long deleted;

        @Nullable ThreadRecord live(long now) {
            if (record != null && record.isExpiredAt(now)) {
                reset();
            }
            return record;
        }

        void reset() {
            record = null;
            events.clear();
            byId.clear();
            deleted = 0;
        }
    }

    private long head(ThreadKey key) {
        ThreadData d = threads.get(key);
        if (d == null) {
            return 0;
        }
        synchronized (d) {
            ThreadRecord r = d.live(clock.millis());
            return r == null ? 0 : r.version();
        }
    }

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        return Mono.fromCallable(() -> {
            ThreadData d = threads.computeIfAbsent(append.key(), k -> new ThreadData());
            LogAppended result;
            synchronized (d) {
                ThreadRecord r = d.live(append.nowMillis());
                long head = r == null ? 0 : r.version();
                LogAppended duplicate = AppendRules.decide(append, head, d.byId::get);
                if (duplicate != null) {
                    return duplicate;
                }
                long v = head;
                for (EventRecord e : append.events()) {
                    EventRecord stored = e.withVersion(++v);
                    d.events.add(stored);
                    d.byId.put(stored.eventId(), stored);
                }
                d.record = ThreadRecords.afterAppend(r, append, v);
                result = new LogAppended(head + 1, v, false, d.record.generation());
            }
            feed.publish(append.key(), result.lastVersion());
            return result;
        });
    }

    @Override
    public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
        return Flux.defer(() -> {
            ThreadData d = threads.get(key);
            if (d == null) {
                return Flux.empty();
            }
            synchronized (d) {
                ThreadRecord r = d.live(clock.millis());
                if (r == null) {
                    return Flux.empty();
                }
                long from = Math.max(fromVersion, d.deleted + 1);
                long to = Math.min(toVersion, r.version());
                if (from > to) {
                    return Flux.empty();
                }
                int start = (int) (from - 1 - d.deleted);
                int end = (int) Math.min(to - d.deleted, (long) start + limit);
                return Flux.fromIterable(new ArrayList<>(d.events.subList(start, end)));
            }
        });
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return Mono.fromCallable(() -> {
            ThreadData d = threads.get(key);
            if (d == null) {
                return null;
            }
            synchronized (d) {
                return d.live(clock.millis());
            }
        });
    }

    @Override
    public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return Mono.fromCallable(() -> {
            ThreadData d = threads.get(key);
            ThreadRecord r = null;
            if (d != null) {
                synchronized (d) {
                    r = d.live(clock.millis());
                    if (r != null) {
                        TreeMap<String, String> m = new TreeMap<>(r.metadata());
                        m.putAll(set);
                        remove.forEach(m::remove);
                        r = new ThreadRecord(r.key(), r.version(), r.generation(), r.createdAtMillis(), r.updatedAtMillis(),
                                r.expiresAtMillis(), r.ttlMillis(), Map.copyOf(m));
                        d.record = r;
                    }
                }
            }
            if (r == null) {
                throw new NotFoundException("thread " + key + " does not exist");
            }
            return r;
        });
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return Mono.fromCallable(() -> {
            ThreadData d = threads.get(key);
            boolean existed = false;
            if (d != null) {
                synchronized (d) {
                    existed = d.live(clock.millis()) != null;
                    d.reset();
                }
            }
            if (existed) {
                feed.publish(key, 0);
            }
            return existed;
        });
    }

    @Override
    public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return Mono.fromCallable(() -> {
            ThreadData d = threads.get(key);
            if (d == null) {
                return 0L;
            }
            synchronized (d) {
                ThreadRecord r = d.live(clock.millis());
                long upTo = r == null ? 0 : Math.min(upToVersion, r.version());
                long n = Math.max(0, upTo - d.deleted);
                for (EventRecord e : d.events.subList(0, (int) n)) {
                    d.byId.remove(e.eventId());
                }
                d.events.subList(0, (int) n).clear();
                d.deleted += n;
                return n;
            }
        });
    }

    @Override
    public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
        return Mono.fromCallable(() -> {
            long now = clock.millis();
            List<ThreadRecord> matches = new ArrayList<>();
            for (ThreadData d : threads.values()) {
                ThreadRecord r;
                synchronized (d) {
                    r = d.live(now);
                }
                if (r != null && r.key().tenant().equals(query.tenant()) && ThreadCursor.isAfter(r.key(), query.after())
                        && r.metadata().entrySet().containsAll(query.metadata().entrySet())) {
                    matches.add(r);
                }
            }
            matches.sort(Comparator.comparing(ThreadRecord::key, ThreadCursor.ORDER));
            return ThreadCursor.page(matches, query.limit());
        });
    }

    private final class Checkpoints implements CheckpointStore {

        @Override
        public Mono<Void> save(StoredCheckpoint checkpoint) {
            return Mono.fromRunnable(() -> {
                TreeMap<Long, StoredCheckpoint> m = checkpoints.computeIfAbsent(checkpoint.key(), k -> new TreeMap<>());
                synchronized (m) {
                    m.put(checkpoint.version(), checkpoint);
                }
            });
        }

        @Override
        public Flux<CheckpointMeta> list(ThreadKey key) {
            return Flux.defer(() -> {
                TreeMap<Long, StoredCheckpoint> m = checkpoints.get(key);
                if (m == null) {
                    return Flux.empty();
                }
                synchronized (m) {
                    return Flux.fromIterable(m.descendingMap().values().stream().map(StoredCheckpoint::meta).toList());
                }
            });
        }

        @Override
        public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
            return Mono.fromCallable(() -> {
                TreeMap<Long, StoredCheckpoint> m = checkpoints.get(key);
                if (m == null) {
                    return null;
                }
                synchronized (m) {
                    return m.get(version);
                }
            });
        }

        @Override
        public Mono<Void> delete(ThreadKey key, long version) {
            return Mono.fromRunnable(() -> {
                TreeMap<Long, StoredCheckpoint> m = checkpoints.get(key);
                if (m != null) {
                    synchronized (m) {
                        m.remove(version);
                    }
                }
            });
        }

        @Override
        public Mono<Void> deleteAll(ThreadKey key) {
            return Mono.fromRunnable(() -> checkpoints.remove(key));
        }
    }
}
