package dev.engram.backend.redis;

import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.GroupCommit;
import io.lettuce.core.KeyValue;
import io.lettuce.core.cluster.SlotHash;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Thread logs in Redis: per thread a record hash, an events hash (version → stored event) and an ids hash
 * (event id → version), all in the thread's hash slot and changed only by Lua scripts, so every append, delete and
 * truncation is atomic and nothing half-written is ever read. Concurrent callers share one pipelined connection, and
 * concurrent appends go to the server in groups (one script call for many appends, see {@link GroupCommit}).
 */
final class RedisEventLog implements EventLog {

    /** Events per read script call: bounds the time one script holds the server. */
    static final int READ_PAGE = 512;
    /** Appends per script call: bounds the time one call holds the server (Redis runs one command at a time). */
    static final int MAX_GROUP_APPENDS = 64;
    static final long MAX_GROUP_BYTES = 1L << 20;
    /**
     * Group calls on the wire at once: while they run, new appends wait and go together in the next one. Two keep the
     * client and the server busy at the same time; with 64 writers on 2 cores, 1 to 3 gave the same throughput within
     * noise and 8 was a quarter slower (smaller groups, the fixed cost of a call paid more often).
     */
    static final int MAX_GROUPS_IN_FLIGHT = 2;
    /** An append's header argument: now, expected, ttl (8 bytes each), metadata and event counts (4 bytes each). */
    private static final int APPEND_HEADER = 8 + 8 + 8 + 4 + 4;

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final Clock clock;
    private final RedisThreadIndex index;
    private final boolean cluster;
    private final GroupCommit<Prepared, LogAppended> groupCommit;

    RedisEventLog(RedisConnections redis, RedisKeys keys, Clock clock, boolean cluster) {
        this.redis = redis;
        this.keys = keys;
        this.clock = clock;
        this.cluster = cluster;
        this.index = new RedisThreadIndex(redis, keys, this::live);
        this.groupCommit = new GroupCommit<>("redis", MAX_GROUP_APPENDS, MAX_GROUP_BYTES, MAX_GROUPS_IN_FLIGHT, this::writeGroup);
    }

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        return Mono.defer(() -> groupCommit.submit(prepare(append), GroupCommit.eventBytes(append), append.key()));
    }

    /** An append as the script takes it: its thread's five keys and its arguments, encoded on the caller's thread. */
    private record Prepared(LogAppend append, String firstKey, List<byte[]> keys, List<byte[]> args) {
    }

    private Prepared prepare(LogAppend append) {
        List<byte[]> args = new ArrayList<>(2 + 2 * append.metadata().size() + append.events().size());
        addArguments(append, args);
        return new Prepared(append, keys.record(append.key()), keys.all(append.key()), args);
    }

    /** Stops taking appends; completes once those already taken are answered. */
    Mono<Void> close() {
        return groupCommit.close();
    }

    /**
     * One group of appends: standalone, one script call for all of them; on Cluster, one call per hash slot (a script
     * may only touch keys of one slot), the calls running at once.
     */
    private Mono<List<Object>> writeGroup(List<Prepared> group) {
        if (!cluster || group.size() == 1) {
            return writeOneSlot(group);
        }
        Map<Integer, List<Integer>> bySlot = new LinkedHashMap<>();
        for (int i = 0; i < group.size(); i++) {
            bySlot.computeIfAbsent(SlotHash.getSlot(group.get(i).firstKey()), s -> new ArrayList<>()).add(i);
        }
        Object[] outcomes = new Object[group.size()];
        return Flux.fromIterable(bySlot.values())
                .flatMap(positions -> {
                    List<Prepared> slice = new ArrayList<>(positions.size());
                    positions.forEach(i -> slice.add(group.get(i)));
                    return writeOneSlot(slice)
                            .onErrorResume(e -> Mono.just(Collections.nCopies(slice.size(), e)))
                            .doOnNext(answers -> {
                                for (int j = 0; j < positions.size(); j++) {
                                    outcomes[positions.get(j)] = answers.get(j);
                                }
                            });
                }, bySlot.size())
                .then(Mono.fromSupplier(() -> Arrays.asList(outcomes)));
    }

    /** Appends whose keys may share one script call; one outcome per append. */
    private Mono<List<Object>> writeOneSlot(List<Prepared> group) {
        return Mono.defer(() -> {
                    List<byte[]> scriptKeys = new ArrayList<>(5 * group.size());
                    List<byte[]> args = new ArrayList<>(group.size() * group.get(0).args().size());
                    for (Prepared p : group) {
                        scriptKeys.addAll(p.keys());
                        args.addAll(p.args());
                    }
                    return redis.commands().flatMap(c -> RedisScript.APPEND.run(c, group.get(0).firstKey(), scriptKeys, args));
                })
                .flatMap(reply -> {
                    if (reply.size() != 4 * group.size()) {
                        return Mono.error(new CorruptDataException("the append script answered " + reply.size() + " values for "
                                + group.size() + " appends"));
                    }
                    Object[] outcomes = new Object[group.size()];
                    List<Mono<Void>> listings = new ArrayList<>();
                    for (int i = 0; i < group.size(); i++) {
                        LogAppend append = group.get(i).append();
                        outcomes[i] = outcome(append, reply.subList(4 * i, 4 * i + 4));
                        if (reply.get(4 * i + 3) instanceof byte[] unlisted && unlisted.length > 0 && outcomes[i] instanceof LogAppended) {
                            // a listing that fails leaves that append's outcome unknown (stored, not listed): its retry
                            // is deduplicated and lists the thread; the other appends of the call keep theirs
                            int at = i;
                            listings.add(list(append.key(), unlisted).onErrorResume(e -> {
                                outcomes[at] = RedisErrors.translate(e, "listing of " + append.key() + " after an append");
                                return Mono.empty();
                            }));
                        }
                    }
                    // acknowledged only once listed, so that a listing right after the first append shows the thread
                    return Flux.merge(listings).then(Mono.fromSupplier(() -> Arrays.asList(outcomes)));
                })
                .onErrorMap(e -> RedisErrors.translate(e, "append to " + group.get(0).append().key()
                        + (group.size() > 1 ? " and " + (group.size() - 1) + " other appends" : "")));
    }

    /** Adds the thread to its tenant's index, then notes on the generation's record that it is listed. */
    private Mono<Void> list(ThreadKey key, byte[] generation) {
        return index.add(key).then(redis.commands()
                .flatMap(c -> RedisScript.MARK_LISTED.runForLong(c, List.of(keys.record(key)), generation))).then();
    }

    /** The script's arguments for one append: header, generation, metadata pairs, records (see append.lua). */
    private static void addArguments(LogAppend append, List<byte[]> args) {
        long ttl = append.ttl() == null ? -1 : Math.max(0, append.ttl().toMillis());
        args.add(ByteBuffer.allocate(APPEND_HEADER)
                .putLong(append.nowMillis())
                .putLong(append.expected().version())
                .putLong(ttl)
                .putInt(append.metadata().size())
                .putInt(append.events().size())
                .array());
        args.add(RedisRecords.number(ThreadLocalRandom.current().nextLong() | 1));
        append.metadata().forEach((name, value) -> {
            args.add(RedisRecords.text(name));
            args.add(RedisRecords.text(value));
        });
        for (EventRecord event : append.events()) {
            args.add(RedisRecords.encodeEvent(event));
        }
    }

    /** The outcome of one append from its four reply values: a {@link LogAppended} or the exception for it. */
    private static Object outcome(LogAppend append, List<Object> reply) {
        ThreadKey key = append.key();
        int code = (int) RedisRecords.number(reply.get(0));
        return switch (code) {
            case 0, 1 -> {
                long first = RedisRecords.number(reply.get(1));
                // a thread created by this append is not listed yet, so its generation came back with it
                boolean created = code == 0 && first == 1 && reply.get(3) instanceof byte[] g && g.length > 0;
                yield new LogAppended(first, RedisRecords.number(reply.get(2)), code == 1, created ? RedisRecords.number(reply.get(3)) : 0);
            }
            case 2 -> new VersionConflictException(key, append.expected(), RedisRecords.number(reply.get(1)));
            case 3 -> new InvalidInputException("event " + append.events().get((int) RedisRecords.number(reply.get(1))).eventId()
                    + " was already appended to " + key + " with a different payload");
            case 4 -> {
                long found = RedisRecords.number(reply.get(1));
                yield new InvalidInputException("append to " + key + " mixes " + found + " already appended events with "
                        + (append.events().size() - found) + " new ones");
            }
            case 5 -> new InvalidInputException("the events of this retry were appended to " + key + " in different batches");
            default -> new CorruptDataException("the append script answered " + reply);
        };
    }

    @Override
    public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
        if (limit <= 0 || fromVersion > toVersion) {
            return Flux.empty();
        }
        return Flux.defer(() -> {
                    long now = clock.millis();
                    return readPage(key, fromVersion, toVersion, limit, new byte[0], now)
                            .expand(page -> page.hasMore(toVersion)
                                    ? readPage(key, page.lastVersion() + 1, toVersion, page.remaining(), page.generation(), now)
                                    : Mono.empty());
                })
                .concatMapIterable(ReadPage::events)
                .onErrorMap(e -> RedisErrors.translate(e, "read of " + key));
    }

    /** One script call's events; later pages insist on the first page's generation, so a re-created thread is never mixed in. */
    private record ReadPage(byte[] generation, List<EventRecord> events, int asked, int remaining) {

        long lastVersion() {
            return events.get(events.size() - 1).version();
        }

        boolean hasMore(long toVersion) {
            return events.size() == asked && remaining > 0 && lastVersion() < toVersion;
        }
    }

    private Mono<ReadPage> readPage(ThreadKey key, long from, long to, int remaining, byte[] generation, long now) {
        int asked = Math.min(remaining, READ_PAGE);
        return redis.commands()
                .flatMap(c -> RedisScript.READ.run(c, List.of(keys.record(key), keys.events(key)), RedisRecords.number(now),
                        RedisRecords.number(from), RedisRecords.number(to), RedisRecords.number(asked), generation))
                .map(reply -> {
                    if (reply.isEmpty()) {
                        return new ReadPage(generation, List.of(), asked, 0);
                    }
                    long first = RedisRecords.number(reply.get(1));
                    List<EventRecord> events = new ArrayList<>(reply.size() - 2);
                    for (int i = 2; i < reply.size(); i++) {
                        long version = first + i - 2;
                        if (!(reply.get(i) instanceof byte[] stored)) {
                            throw new CorruptDataException("event " + version + " of " + key + " is missing below its head");
                        }
                        events.add(RedisRecords.decodeEvent(key, version, stored));
                    }
                    return new ReadPage((byte[]) reply.get(0), events, asked, remaining - events.size());
                });
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return Mono.defer(() -> live(key, clock.millis())).onErrorMap(e -> RedisErrors.translate(e, "find " + key));
    }

    /** The thread's record when it exists and has not expired at {@code nowMillis}. */
    Mono<ThreadRecord> live(ThreadKey key, long nowMillis) {
        return redis.commands()
                .flatMap(c -> c.hgetall(keys.record(key)).collectMap(KeyValue::getKey, KeyValue::getValue))
                .filter(hash -> !hash.isEmpty())
                .map(hash -> RedisRecords.threadRecord(key, hash))
                .filter(r -> !r.isExpiredAt(nowMillis));
    }

    /** The thread's head, 0 when it is absent or expired. */
    Mono<Long> head(ThreadKey key) {
        return find(key).map(ThreadRecord::version).defaultIfEmpty(0L);
    }

    @Override
    public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return Mono.defer(() -> {
                    List<byte[]> args = new ArrayList<>();
                    args.add(RedisRecords.number(clock.millis()));
                    args.add(RedisRecords.number(set.size()));
                    set.forEach((name, value) -> {
                        args.add(RedisRecords.text(name));
                        args.add(RedisRecords.text(value));
                    });
                    remove.forEach(name -> args.add(RedisRecords.text(name)));
                    return redis.commands()
                            .flatMap(c -> RedisScript.METADATA.run(c, List.of(keys.record(key)), args.toArray(byte[][]::new)));
                })
                .map(reply -> {
                    if (reply.isEmpty()) {
                        throw new NotFoundException("thread " + key + " does not exist");
                    }
                    return RedisRecords.threadRecord(key, RedisRecords.pairs(reply));
                })
                .onErrorMap(e -> RedisErrors.translate(e, "update of the metadata of " + key));
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return Mono.defer(() -> {
                    long now = clock.millis();
                    return redis.commands()
                            .flatMap(c -> RedisScript.DELETE.runForLong(c, List.of(keys.record(key), keys.events(key), keys.eventIds(key)),
                                    RedisRecords.number(now), RedisRecords.text(keys.channel(key))))
                            .flatMap(existed -> index.removeUnlessLive(key, now).thenReturn(existed == 1L));
                })
                .onErrorMap(e -> RedisErrors.translate(e, "delete of " + key));
    }

    @Override
    public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return Mono.defer(() -> redis.commands()
                        .flatMap(c -> RedisScript.TRUNCATE.runForLong(c, List.of(keys.record(key), keys.events(key), keys.eventIds(key)),
                                RedisRecords.number(clock.millis()), RedisRecords.number(upToVersion))))
                .onErrorMap(e -> RedisErrors.translate(e, "deletion of the events of " + key));
    }

    @Override
    public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
        return Mono.defer(() -> index.list(query, clock.millis()))
                .onErrorMap(e -> RedisErrors.translate(e, "listing of the threads of " + query.tenant()));
    }
}
