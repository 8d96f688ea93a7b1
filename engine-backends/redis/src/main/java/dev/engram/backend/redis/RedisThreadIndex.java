package dev.engram.backend.redis;

import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.ThreadCursor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Per tenant, a sorted set (all scores 0) of {@code threadId,namespace} members, so that {@code ZRANGEBYLEX} walks
 * threads in listing order. It lives in another hash slot than the threads, so no thread script can update it:
 * a writer adds the member after its append succeeds, and the index may hold stale members (deleted or expired
 * threads, a crash between delete and removal), which listing skips and removes. Removal is followed by a
 * re-check so that a thread re-created meanwhile is never left out.
 */
final class RedisThreadIndex {

    private static final int MAX_BATCH = 1000;

    private final RedisConnections redis;
    private final RedisKeys keys;
    /** Reads a thread's live record at an engine time; empty when it is absent or expired. */
    private final BiFunction<ThreadKey, Long, Mono<ThreadRecord>> live;

    RedisThreadIndex(RedisConnections redis, RedisKeys keys, BiFunction<ThreadKey, Long, Mono<ThreadRecord>> live) {
        this.redis = redis;
        this.keys = keys;
        this.live = live;
    }

    Mono<Void> add(ThreadKey key) {
        return redis.commands()
                .flatMap(c -> c.zadd(keys.tenantIndex(key.tenant()), 0, RedisRecords.text(RedisKeys.member(key))))
                .then();
    }

    /** Removes the thread's member unless the thread is live again once it is gone. */
    Mono<Void> removeUnlessLive(ThreadKey key, long nowMillis) {
        String index = keys.tenantIndex(key.tenant());
        byte[] member = RedisRecords.text(RedisKeys.member(key));
        return redis.commands()
                .flatMap(c -> c.zrem(index, member)
                        .then(live.apply(key, nowMillis))
                        .flatMap(r -> c.zadd(index, 0, member)))
                .then();
    }

    /** One page of the tenant's live threads whose metadata holds the query's entries. */
    Mono<Page<ThreadRecord>> list(ThreadQuery query, long nowMillis) {
        String min = query.after() == null ? "-" : "(" + RedisKeys.cursorMember(query.after());
        int batch = Math.min(MAX_BATCH, Math.max(query.limit() + 1, 100));
        return scan(query, min, batch, nowMillis, new ArrayList<>())
                .map(matches -> ThreadCursor.page(matches, query.limit()));
    }

    private Mono<List<ThreadRecord>> scan(ThreadQuery query, String min, int batch, long now, List<ThreadRecord> matches) {
        return redis.commands()
                .flatMap(c -> c.zrangebylex(keys.tenantIndex(query.tenant()), min, "+", 0, batch).map(RedisRecords::text).collectList())
                .flatMap(members -> Flux.fromIterable(members)
                        .flatMapSequential(member -> candidate(query, member, now), 32)
                        .collectList()
                        .flatMap(found -> {
                            matches.addAll(found);
                            if (matches.size() > query.limit() || members.size() < batch) {
                                return Mono.just(matches);
                            }
                            return scan(query, "(" + members.get(members.size() - 1), batch, now, matches);
                        }));
    }

    private Mono<ThreadRecord> candidate(ThreadQuery query, String member, long now) {
        ThreadKey key = RedisKeys.fromMember(query.tenant(), member);
        if (key == null || !ThreadCursor.isAfter(key, query.after())) {
            return Mono.empty();
        }
        return live.apply(key, now)
                .switchIfEmpty(Mono.defer(() -> removeUnlessLive(key, now).onErrorResume(e -> Mono.empty()).then(Mono.empty())))
                .filter(r -> r.metadata().entrySet().containsAll(query.metadata().entrySet()));
    }
}

