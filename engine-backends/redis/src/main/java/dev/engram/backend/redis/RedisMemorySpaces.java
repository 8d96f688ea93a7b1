package dev.engram.backend.redis;

import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Per tenant, a sorted set (all scores 0) of the first segments of its memory spaces, so that a scan of the whole
 * tenant finds every space. It lives in another hash slot than the spaces, so no space script can update it: a
 * writer adds the segment before its item is written (a crash in between leaves an empty space named, never a space
 * unnamed) and again after (a scan that found the space empty and removed its segment meanwhile is undone). Root
 * scans remove segments of empty spaces, then look again and put back one that was filled in the meantime.
 */
final class RedisMemorySpaces {

    private static final int PAGE = 1000;

    private final RedisConnections redis;
    private final RedisKeys keys;

    RedisMemorySpaces(RedisConnections redis, RedisKeys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    Mono<Void> add(RedisClusterReactiveCommands<String, byte[]> c, String tenant, String segment) {
        return c.zadd(keys.memorySpaces(tenant), 0, RedisRecords.text(segment)).then();
    }

    /** Removes the space's segment unless the space holds items once it is gone. */
    Mono<Void> removeUnlessLive(String tenant, String segment) {
        String spaces = keys.memorySpaces(tenant);
        byte[] member = RedisRecords.text(segment);
        return redis.commands()
                .flatMap(c -> c.zrem(spaces, member)
                        .then(c.exists(keys.memoryIndex(tenant, segment)))
                        .filter(n -> n > 0)
                        .flatMap(n -> c.zadd(spaces, 0, member)))
                .then();
    }

    /** Every segment of the tenant's spaces, a page at a time. */
    Flux<String> list(String tenant) {
        return page(tenant, "-")
                .expand(page -> page.size() < PAGE ? Mono.empty() : page(tenant, "(" + page.get(page.size() - 1)))
                .concatMapIterable(page -> page);
    }

    private Mono<List<String>> page(String tenant, String min) {
        return redis.commands()
                .flatMap(c -> c.zrangebylex(keys.memorySpaces(tenant), min, "+", 0, PAGE).map(RedisRecords::text).collectList());
    }
}
