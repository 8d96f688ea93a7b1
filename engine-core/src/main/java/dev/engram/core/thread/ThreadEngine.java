package dev.engram.core.thread;

import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.codec.Codec;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.internal.JsonValues;
import dev.engram.core.internal.WellFormedText;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Implements every thread operation over a {@link Backend}: validation and encoding before I/O, the cached
 * rehydration path (checkpoint + tail, with fallback past corrupt checkpoints), policy checkpoints and retention.
 * Public only so {@link dev.engram.core.Engram} can reach it; not an API.
 */
public final class ThreadEngine {

    private static final Logger log = LoggerFactory.getLogger(ThreadEngine.class);
    /** Events read per round trip while replaying or copying. */
    static final int READ_PAGE = 1000;

    private final EventLog events;
    private final CheckpointStore checkpoints;
    private final Backend backend;
    private final Codec codec = Codec.standard();
    private final EngramConfig config;
    private final CheckpointPolicy policy;
    private final Clock clock;
    private final StateCache cache;
    private final Checkpointer checkpointer;
    private final Watcher watcher;
    /** Told about every acknowledged append that wrote something (fact extraction queues the thread); must not block. */
    private final Consumer<ThreadKey> afterAppend;

    public ThreadEngine(Backend backend, EngramConfig config, Clock clock) {
        this(backend, config, clock, key -> { });
    }

    public ThreadEngine(Backend backend, EngramConfig config, Clock clock, Consumer<ThreadKey> afterAppend) {
        this.afterAppend = Objects.requireNonNull(afterAppend, "afterAppend");
        this.backend = backend;
        this.events = backend.events();
        this.checkpoints = backend.checkpoints();
        this.config = config;
        this.policy = config.checkpoints();
        this.clock = clock;
        this.cache = new StateCache(config.cacheMaxThreads());
        this.checkpointer = new Checkpointer(this::checkpoint);
        this.watcher = new Watcher(backend.changes(), this, config.watch());
    }

    public ThreadHandle thread(ThreadKey key) {
        return new DefaultThreadHandle(this, key);
    }

    public Mono<Page<ThreadInfo>> threads(ThreadQuery query) {
        return events.list(query).map(p -> new Page<>(p.items().stream().map(ThreadEngine::info).toList(), p.next()));
    }

    public Mono<Void> shutdown() {
        return Mono.fromRunnable(checkpointer::close);
    }

    // ---- append

    Mono<Appended> append(ThreadKey key, AppendBatch batch) {
        return Mono.defer(() -> {
            long now = clock.millis();
            List<EventRecord> records = encode(key, batch.events(), now);
            LogAppend request = new LogAppend(key, batch.expected(), records, batch.metadata(),
                    batch.ttl() != null ? batch.ttl() : config.threadTtl(), now);
            return events.append(request).map(result -> acknowledged(key, batch, records, result));
        });
    }

    /** Validates and encodes a batch; every rule is checked before anything is sent to the backend. */
    private List<EventRecord> encode(ThreadKey key, List<NewEvent> batch, long now) {
        int max = config.limits().maxEventsPerAppend();
        if (batch.size() > max) {
            throw new InvalidInputException("an append carries at most " + max + " events, got " + batch.size());
        }
        Set<java.util.UUID> ids = new HashSet<>();
        List<EventRecord> records = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            NewEvent e = batch.get(i);
            if (!ids.add(e.eventId())) {
                throw new InvalidInputException("event id " + e.eventId() + " appears twice in one append to " + key);
            }
            WellFormedText.check(e.change(), e.metadata());
            byte[] data = codec.encodeEvent(e.change(), e.metadata());
            if (data.length > config.limits().maxEventBytes()) {
                throw new PayloadTooLargeException("events[" + i + "] (" + e.change().type() + ")", data.length, config.limits().maxEventBytes());
            }
            records.add(new EventRecord(0, e.eventId(), e.change().type(), now, data));
        }
        return records;
    }

    private Appended acknowledged(ThreadKey key, AppendBatch batch, List<EventRecord> records, LogAppended result) {
        if (!result.deduplicated()) {
            long bytes = 0;
            for (EventRecord r : records) {
                bytes += r.data().length;
            }
            long addedBytes = bytes;
            Instant at = Instant.ofEpochMilli(records.get(0).timestampMillis());
            if (result.firstVersion() == 1 && result.generation() != 0) {
                // this append created the thread: its state is the empty one plus these events, nothing to read back
                cache.offer(key, new StateCache.Entry(result.generation(), ThreadState.empty(key), 0));
            }
            StateCache.Entry entry = cache.advance(key, result.firstVersion() - 1, current -> {
                ThreadState s = current.state();
                long v = result.firstVersion();
                for (NewEvent e : batch.events()) {
                    s = s.apply(v++, at, e.change());
                }
                return new StateCache.Entry(current.generation(), s, current.tailBytes() + addedBytes);
            });
            boolean overTail = entry != null && policy.tailBytes() > 0 && entry.tailBytes() > policy.tailBytes();
            if (overTail || policy.crossesInterval(result.firstVersion() - 1, result.lastVersion())) {
                checkpointer.request(key);
            }
            try {
                afterAppend.accept(key);
            } catch (RuntimeException e) {
                // background work must never fail an append that is already stored
                log.warn("after-append hook failed for {}: {}", key, e.toString());
            }
        }
        return new Appended(key, result.firstVersion(), result.lastVersion(), result.deduplicated());
    }

    // ---- reads

    Flux<Event> events(ThreadKey key, long fromVersion, long limit) {
        return Flux.defer(() -> {
            requireVersion(fromVersion, 1, "fromVersion");
            if (limit < 1) {
                throw new InvalidInputException("limit must be at least 1, got " + limit);
            }
            long to = limit >= Long.MAX_VALUE - fromVersion ? Long.MAX_VALUE : fromVersion + limit - 1;
            return readRange(key, fromVersion, to).map(r -> decode(key, r));
        });
    }

    /** Reads {@code from..to} in pages of {@link #READ_PAGE}, in order. */
    Flux<EventRecord> readRange(ThreadKey key, long from, long to) {
        return readPage(key, from, to)
                .expand(page -> page.size() < READ_PAGE || last(page) >= to ? Mono.empty() : readPage(key, last(page) + 1, to))
                .concatMapIterable(page -> page);
    }

    private Mono<List<EventRecord>> readPage(ThreadKey key, long from, long to) {
        return events.read(key, from, to, READ_PAGE).collectList();
    }

    private static long last(List<EventRecord> page) {
        return page.get(page.size() - 1).version();
    }

    Event decode(ThreadKey key, EventRecord r) {
        Codec.EventPayload p = codec.decodeEvent(r.data());
        return new Event(key, r.version(), r.eventId(), Instant.ofEpochMilli(r.timestampMillis()), p.change(), p.metadata());
    }

    Mono<ThreadInfo> info(ThreadKey key) {
        return events.find(key).map(ThreadEngine::info);
    }

    Mono<ThreadState> state(ThreadKey key) {
        return current(key).map(StateCache.Entry::state);
    }

    /** The current state with its generation: the cached one when it is current, else cache + tail, else rehydrated. */
    private Mono<StateCache.Entry> current(ThreadKey key) {
        return events.find(key).flatMap(record -> {
            StateCache.Entry cached = cache.get(key);
            Mono<StateCache.Entry> result;
            if (cached != null && cached.generation() == record.generation() && cached.state().version() >= record.version()) {
                // newer than the record when this process's append landed after the record was read: acknowledged, so current
                return Mono.just(cached);
            } else if (cached != null && cached.generation() == record.generation() && cached.state().version() < record.version()) {
                result = replay(key, cached.state(), cached.tailBytes(), record.version())
                        .map(r -> new StateCache.Entry(record.generation(), r.state, r.tailBytes));
            } else {
                result = rehydrate(record, record.version());
            }
            return result.doOnNext(e -> cache.offer(key, e));
        });
    }

    Mono<ThreadState> stateAt(ThreadKey key, long version) {
        return Mono.defer(() -> {
            requireVersion(version, 0, "version");
            return events.find(key).flatMap(record -> {
                if (version > record.version()) {
                    return Mono.error(new InvalidInputException("version " + version + " is past the head " + record.version() + " of " + key));
                }
                if (version == 0) {
                    return Mono.just(ThreadState.empty(key));
                }
                StateCache.Entry cached = cache.get(key);
                if (cached != null && cached.generation() == record.generation() && cached.state().version() == version) {
                    return Mono.just(cached.state());
                }
                return rehydrate(record, version).map(StateCache.Entry::state);
            });
        });
    }

    /** Latest valid checkpoint of this generation at or before {@code target}, then the events after it. */
    private Mono<StateCache.Entry> rehydrate(ThreadRecord record, long target) {
        ThreadKey key = record.key();
        return checkpoints.list(key)
                .filter(m -> m.generation() == record.generation() && m.version() <= target)
                .collectList()
                .flatMap(metas -> firstReadable(key, metas, 0))
                .defaultIfEmpty(ThreadState.empty(key))
                .flatMap(base -> replay(key, base, 0, target))
                .map(r -> new StateCache.Entry(record.generation(), r.state, r.tailBytes));
    }

    private Mono<ThreadState> firstReadable(ThreadKey key, List<CheckpointMeta> metas, int index) {
        if (index >= metas.size()) {
            return Mono.empty();
        }
        CheckpointMeta meta = metas.get(index);
        return checkpoints.load(key, meta.version())
                .map(cp -> {
                    ThreadState s = codec.decodeState(key, cp.data());
                    if (s.version() != meta.version()) {
                        throw new CorruptDataException("checkpoint " + meta.version() + " of " + key + " holds version " + s.version());
                    }
                    return s;
                })
                .onErrorResume(CorruptDataException.class, e -> {
                    log.error("checkpoint {} of {} is corrupt, falling back to an older one or a full replay: {}", meta.version(), key, e.getMessage());
                    return firstReadable(key, metas, index + 1);
                })
                .switchIfEmpty(Mono.defer(() -> firstReadable(key, metas, index + 1)));
    }

    private record Replayed(ThreadState state, long tailBytes) {
    }

    /** Folds the events after {@code base} up to {@code target}; a gap (events removed by retention) is an error, never a wrong state. */
    private Mono<Replayed> replay(ThreadKey key, ThreadState base, long baseTailBytes, long target) {
        if (base.version() >= target) {
            return Mono.just(new Replayed(base, baseTailBytes));
        }
        return readRange(key, base.version() + 1, target)
                .reduce(new Replayed(base, baseTailBytes), (acc, r) -> new Replayed(acc.state.apply(decode(key, r)), acc.tailBytes + r.data().length))
                .map(r -> {
                    if (r.state.version() != target) {
                        throw new CorruptDataException("replay of " + key + " reached version " + r.state.version() + " instead of " + target
                                + " (events removed by retention and no checkpoint covers them?)");
                    }
                    return r;
                });
    }

    // ---- checkpoints

    Mono<CheckpointInfo> checkpoint(ThreadKey key) {
        return current(key)
                .switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + key + " does not exist")))
                // the state arrives on the backend's I/O thread, which serves every append: encoding it there (work that
                // grows with the state) would hold them all up
                .publishOn(Schedulers.parallel())
                .flatMap(entry -> {
                    byte[] data = codec.encodeState(entry.state());
                    StoredCheckpoint cp = new StoredCheckpoint(key, entry.state().version(), entry.generation(), clock.millis(), data);
                    return checkpoints.save(cp)
                            .then(Mono.fromRunnable(() -> cache.advance(key, cp.version(), e -> new StateCache.Entry(e.generation(), e.state(), 0))))
                            .then(retain(key, entry.generation()))
                            .thenReturn(new CheckpointInfo(key, cp.version(), Instant.ofEpochMilli(cp.createdAtMillis()), data.length));
                });
    }

    /** Keeps the newest {@code keep} checkpoints of this generation, drops the rest, and optionally the events they cover. */
    private Mono<Void> retain(ThreadKey key, long generation) {
        return checkpoints.list(key).collectList().flatMap(metas -> {
            List<Mono<Void>> deletes = new ArrayList<>();
            int kept = 0;
            long oldestKept = 0;
            for (CheckpointMeta m : metas) {
                if (m.generation() == generation && kept < policy.keep()) {
                    kept++;
                    oldestKept = m.version();
                } else {
                    deletes.add(checkpoints.delete(key, m.version()));
                }
            }
            Mono<Void> done = Flux.concat(deletes).then();
            if (policy.deleteCoveredEvents() && oldestKept > 0) {
                done = done.then(events.deleteEventsUpTo(key, oldestKept)).then();
            }
            return done;
        });
    }

    Flux<CheckpointInfo> checkpoints(ThreadKey key) {
        return events.find(key).flatMapMany(record -> checkpoints.list(key)
                .filter(m -> m.generation() == record.generation())
                .map(m -> new CheckpointInfo(key, m.version(), Instant.ofEpochMilli(m.createdAtMillis()), m.sizeBytes())));
    }

    // ---- fork, metadata, delete

    Mono<ThreadInfo> fork(ThreadKey source, ThreadKey target, long atVersion) {
        return Mono.defer(() -> {
            requireVersion(atVersion, 1, "atVersion");
            if (source.equals(target)) {
                throw new InvalidInputException("a thread cannot be forked onto itself");
            }
            return events.find(source)
                    .switchIfEmpty(Mono.error(() -> new NotFoundException("thread " + source + " does not exist")))
                    .flatMap(record -> {
                        if (atVersion > record.version()) {
                            return Mono.error(new InvalidInputException("atVersion " + atVersion + " is past the head " + record.version() + " of " + source));
                        }
                        return readRange(source, 1, atVersion).collectList().flatMap(copied -> {
                            if (copied.isEmpty() || copied.get(0).version() != 1 || copied.size() != atVersion) {
                                return Mono.error(new InvalidInputException("events of " + source + " up to " + atVersion
                                        + " were removed by retention; fork at a later version"));
                            }
                            TreeMap<String, String> metadata = new TreeMap<>(record.metadata());
                            metadata.put("forkedFrom", source.threadId());
                            metadata.put("forkedAt", Long.toString(atVersion));
                            LogAppend copy = new LogAppend(target, ExpectedVersion.noThread(), copied, Map.copyOf(metadata),
                                    config.threadTtl(), clock.millis());
                            return events.append(copy).then(events.find(target)).map(ThreadEngine::info);
                        });
                    })
                    .doOnNext(info -> {
                        if (policy.everyEvents() > 0 && atVersion >= policy.everyEvents()) {
                            checkpointer.request(target);
                        }
                    });
        });
    }

    Mono<ThreadInfo> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return Mono.defer(() -> {
            Map<String, String> checkedSet = JsonValues.normalizeStrings(set, "metadata");
            // iterate rather than contains(null): immutable sets (Set.of) throw NullPointerException on that
            if (remove == null || remove.stream().anyMatch(Objects::isNull)) {
                throw new InvalidInputException("metadata keys to remove must not be null");
            }
            return events.updateMetadata(key, checkedSet, Set.copyOf(remove)).map(ThreadEngine::info);
        });
    }

    /** Checkpoints go first: if the process dies half-way, what is left is a thread that replays from its log. */
    Mono<Boolean> delete(ThreadKey key) {
        return Mono.defer(() -> {
            cache.remove(key);
            return checkpoints.deleteAll(key).then(events.delete(key)).doOnSuccess(x -> cache.remove(key));
        });
    }

    Flux<dev.engram.core.model.ThreadUpdate> watch(ThreadKey key, long fromVersion) {
        return Flux.defer(() -> {
            requireVersion(fromVersion, 1, "fromVersion");
            return watcher.watch(key, fromVersion);
        });
    }

    EventLog log() {
        return events;
    }

    private static void requireVersion(long value, long min, String what) {
        if (value < min) {
            throw new InvalidInputException(what + " must be at least " + min + ", got " + value);
        }
    }

    static ThreadInfo info(ThreadRecord r) {
        return new ThreadInfo(r.key(), r.version(), r.metadata(), Instant.ofEpochMilli(r.createdAtMillis()),
                Instant.ofEpochMilli(r.updatedAtMillis()), r.expiresAtMillis() == 0 ? null : Instant.ofEpochMilli(r.expiresAtMillis()));
    }
}
