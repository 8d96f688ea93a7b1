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
import io.lettuce.core.KeyValue;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Thread logs in Redis: per thread a record hash, an events hash (version → stored event) and an ids hash
 * (event id → version), all in the thread's hash slot and changed only by Lua scripts, so every append, delete and
 * truncation is atomic and nothing half-written is ever read. Concurrent callers share one pipelined connection.
 */
final class RedisEventLog implements EventLog {

    /** Events per read script call: bounds the time one script holds the server. */
    static final int READ_PAGE = 512;

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final Clock clock;
    private final RedisThreadIndex index;

    RedisEventLog(RedisConnections redis, RedisKeys keys, Clock clock) {
        this.redis = redis;
        this.keys = keys;
        this.clock = clock;
        this.index = new RedisThreadIndex(redis, keys, this::live);
    }

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        ThreadKey key = append.key();
        return Mono.defer(() -> {
                    byte[][] args = appendArguments(append);
                    return redis.commands().flatMap(c -> RedisScript.APPEND.run(c, keys.all(key), args));
                })
                .map(reply -> outcome(append, reply))
                .flatMap(done -> index.add(key).thenReturn(done))
                .onErrorMap(e -> RedisErrors.translate(e, "append to " + key));
    }

    private byte[][] appendArguments(LogAppend append) {
        ThreadKey key = append.key();
        List<byte[]> args = new ArrayList<>(6 + 2 * append.metadata().size() + 2 * append.events().size());
        args.add(RedisRecords.number(append.nowMillis()));
        args.add(RedisRecords.number(append.expected().version()));
        args.add(RedisRecords.number(append.ttl() == null ? -1 : Math.max(0, append.ttl().toMillis())));
        args.add(RedisRecords.number(ThreadLocalRandom.current().nextLong() | 1));
        args.add(RedisRecords.text(keys.channel(key)));
        args.add(RedisRecords.number(append.metadata().size()));
        append.metadata().forEach((name, value) -> {
            args.add(RedisRecords.text(name));
            args.add(RedisRecords.text(value));
        });
        for (EventRecord event : append.events()) {
            args.add(RedisRecords.eventId(event.eventId()));
            args.add(RedisRecords.encodeEvent(event));
        }
        return args.toArray(byte[][]::new);
    }

    private static LogAppended outcome(LogAppend append, List<Object> reply) {
        ThreadKey key = append.key();
        int code = (int) RedisRecords.number(reply.get(0));
        return switch (code) {
            case 0, 1 -> new LogAppended(RedisRecords.number(reply.get(1)), RedisRecords.number(reply.get(2)), code == 1);
            case 2 -> throw new VersionConflictException(key, append.expected(), RedisRecords.number(reply.get(1)));
            case 3 -> throw new InvalidInputException("event " + append.events().get((int) RedisRecords.number(reply.get(1))).eventId()
                    + " was already appended to " + key + " with a different payload");
            case 4 -> {
                long found = RedisRecords.number(reply.get(1));
                throw new InvalidInputException("append to " + key + " mixes " + found + " already appended events with "
                        + (append.events().size() - found) + " new ones");
            }
            case 5 -> throw new InvalidInputException("the events of this retry were appended to " + key + " in different batches");
            default -> throw new CorruptDataException("the append script answered " + reply);
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
