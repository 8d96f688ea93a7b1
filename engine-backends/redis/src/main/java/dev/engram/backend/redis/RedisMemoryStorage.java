package dev.engram.backend.redis;

import dev.engram.core.CorruptDataException;
import dev.engram.core.codec.Codec;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import io.lettuce.core.KeyValue;
import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Memory items in plain Redis. A tenant's items whose namespaces share a first segment (typically one user) form a
 * space with one hash tag: each item is a string key holding its encoded record (vector included) with a native
 * expiry, and the space's sorted set names every item, scored by expiry, so a search of one user reads only that
 * user's keys and expired entries are found by score. Writes, refreshes and deletes are scripts on the space's
 * slot; a per-tenant set of spaces ({@link RedisMemorySpaces}) serves scans of the whole tenant.
 */
final class RedisMemoryStorage implements MemoryStorage {

    /** Expired items one put or scan removes from a space: bounds the script, and the sweeps keep up with the writes. */
    static final int SWEEP_LIMIT = 128;
    /** Items read per MGET. */
    static final int FETCH_BATCH = 256;
    private static final int SPACE_CONCURRENCY = 8;
    private static final int FETCH_CONCURRENCY = 4;
    private static final byte[] NEVER = RedisRecords.text("+inf");
    private static final String NO_EXPECTATION = "";
    /** Compare-and-set rounds a refresh makes before it gives way to concurrent refreshes of the same item. */
    private static final int REFRESH_ATTEMPTS = 3;

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final Clock clock;
    private final Codec codec = Codec.standard();
    private final RedisMemorySpaces spaces;

    RedisMemoryStorage(RedisConnections redis, RedisKeys keys, Clock clock) {
        this.redis = redis;
        this.keys = keys;
        this.clock = clock;
        this.spaces = new RedisMemorySpaces(redis, keys);
    }

    @Override
    public Mono<Void> put(MemoryRecord record) {
        Objects.requireNonNull(record, "record");
        MemoryKey key = record.key();
        String tenant = key.tenant();
        String segment = RedisKeys.firstSegment(key);
        return Mono.defer(() -> {
                    byte[] blob = codec.encodeMemory(record);
                    long now = clock.millis();
                    return redis.commands().flatMap(c -> spaces.add(c, tenant, segment)
                            .then(write(c, record, blob, now, NO_EXPECTATION))
                            .then(spaces.add(c, tenant, segment)));
                })
                .onErrorMap(e -> RedisErrors.translate(e, "put of memory item " + key));
    }

    /**
     * Writes {@code record} with its expiry, in one script; when {@code expectedSha1} is not empty, only if the item
     * still holds the record with that SHA1. Emits 1 when written, 0 when the item held something else.
     */
    private Mono<Long> write(RedisClusterReactiveCommands<String, byte[]> c, MemoryRecord record, byte[] blob, long now, String expectedSha1) {
        MemoryKey key = record.key();
        String tenant = key.tenant();
        String segment = RedisKeys.firstSegment(key);
        Instant expiresAt = record.expiresAt();
        // relative, like the thread keys: a skew between the engine's and Redis's clocks never removes a live item early
        long ttl = expiresAt == null ? 0 : Math.max(1, expiresAt.toEpochMilli() - now);
        byte[] score = expiresAt == null ? NEVER : RedisRecords.number(expiresAt.toEpochMilli());
        return RedisScript.MEMORY_PUT.runForLong(c, List.of(keys.memoryItem(key), keys.memoryIndex(tenant, segment)),
                RedisRecords.text(RedisKeys.memoryMember(key)), blob, score, RedisRecords.number(ttl), RedisRecords.number(now),
                RedisRecords.text(keys.memoryItemStem(tenant, segment)), RedisRecords.number(SWEEP_LIMIT), RedisRecords.text(expectedSha1));
    }

    /**
     * Atomic by compare-and-set: the record is read and re-encoded with the new expiry, and the script writes it only if
     * the item still holds the bytes that were read. Losing to another refresh (same write, other expiry) is retried.
     */
    @Override
    public Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(updatedAt, "updatedAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(now, "now");
        return redis.commands()
                .flatMap(c -> refreshAttempt(c, key, updatedAt, expiresAt, now, REFRESH_ATTEMPTS))
                .onErrorMap(e -> RedisErrors.translate(e, "refresh of the expiry of memory item " + key));
    }

    private Mono<Boolean> refreshAttempt(RedisClusterReactiveCommands<String, byte[]> c, MemoryKey key, Instant updatedAt,
                                         Instant expiresAt, Instant now, int attemptsLeft) {
        String redisKey = keys.memoryItem(key);
        return c.get(redisKey)
                .flatMap(blob -> {
                    MemoryRecord current = decode(redisKey, blob);
                    if (current.item().expiredAt(now) || !current.item().updatedAt().equals(updatedAt)) {
                        return Mono.just(false);
                    }
                    MemoryRecord refreshed = current.withExpiresAt(expiresAt);
                    return write(c, refreshed, codec.encodeMemory(refreshed), now.toEpochMilli(), sha1(blob))
                            .flatMap(written -> written == 1 ? Mono.just(true)
                                    : attemptsLeft > 1 ? refreshAttempt(c, key, updatedAt, expiresAt, now, attemptsLeft - 1)
                                    : Mono.just(false));
                })
                .defaultIfEmpty(false);
    }

    private static String sha1(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    @Override
    public Mono<MemoryRecord> get(MemoryKey key, Instant now) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(now, "now");
        String redisKey = keys.memoryItem(key);
        return redis.commands()
                .flatMap(c -> c.get(redisKey))
                .map(blob -> decode(redisKey, blob))
                .filter(r -> !r.item().expiredAt(now))
                .onErrorMap(e -> RedisErrors.translate(e, "get of memory item " + key));
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        Objects.requireNonNull(key, "key");
        String tenant = key.tenant();
        String segment = RedisKeys.firstSegment(key);
        return redis.commands()
                .flatMap(c -> RedisScript.MEMORY_DELETE.run(c, List.of(keys.memoryItem(key), keys.memoryIndex(tenant, segment)),
                        RedisRecords.text(RedisKeys.memoryMember(key))))
                .flatMap(reply -> {
                    boolean live = RedisRecords.number(reply.get(0)) == 1 && liveScore((byte[]) reply.get(1), clock.millis());
                    Mono<Void> emptied = RedisRecords.number(reply.get(2)) == 0
                            ? spaces.removeUnlessLive(tenant, segment)
                            : Mono.empty();
                    return emptied.thenReturn(live);
                })
                .onErrorMap(e -> RedisErrors.translate(e, "delete of memory item " + key));
    }

    /** Whether an index score (an expiry in epoch millis, {@code inf}, or empty when unindexed) is after {@code now}. */
    static boolean liveScore(byte[] score, long now) {
        String s = RedisRecords.text(score);
        if (s.isEmpty() || s.endsWith("inf")) {
            return true;
        }
        try {
            return (long) Double.parseDouble(s) > now;
        } catch (NumberFormatException e) {
            throw new CorruptDataException("a memory index holds the score '" + s + "'", e);
        }
    }

    @Override
    public Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now) {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(now, "now");
        Flux<MemoryRecord> found = prefix.isRoot()
                ? spaces.list(tenant).flatMap(segment -> scanSpace(tenant, segment, prefix, now, true), SPACE_CONCURRENCY)
                : scanSpace(tenant, prefix.segments().get(0), prefix, now, false);
        return found.onErrorMap(e -> RedisErrors.translate(e, "scan of the memory items of " + tenant + " under " + prefix));
    }

    /**
     * The live items of one space under {@code prefix}. A space found empty loses its entry in the tenant's set when
     * the scan covers the whole tenant, or when this scan's sweep emptied it.
     */
    private Flux<MemoryRecord> scanSpace(String tenant, String segment, Namespace prefix, Instant now, boolean root) {
        String index = keys.memoryIndex(tenant, segment);
        String stem = keys.memoryItemStem(tenant, segment);
        String path = prefix.path();
        return redis.commands().flatMapMany(c -> RedisScript.MEMORY_SCAN
                .run(c, List.of(index), RedisRecords.number(now.toEpochMilli()), RedisRecords.text(stem), RedisRecords.number(SWEEP_LIMIT))
                .flatMapMany(reply -> {
                    long left = RedisRecords.number(reply.get(0));
                    long swept = RedisRecords.number(reply.get(1));
                    if (left == 0) {
                        return root || swept > 0 ? spaces.removeUnlessLive(tenant, segment).thenMany(Flux.empty()) : Flux.empty();
                    }
                    List<String> members = new ArrayList<>(reply.size() - 2);
                    for (Object m : reply.subList(2, reply.size())) {
                        String member = RedisRecords.text((byte[]) m);
                        if (within(RedisKeys.memoryMemberPath(member), path)) {
                            members.add(member);
                        }
                    }
                    return Flux.fromIterable(members)
                            .buffer(FETCH_BATCH)
                            .flatMap(batch -> fetch(c, index, stem, batch), FETCH_CONCURRENCY)
                            .filter(r -> r.key().tenant().equals(tenant) && r.key().namespace().startsWith(prefix)
                                    && !r.item().expiredAt(now));
                }));
    }

    /** Whether a namespace path starts with the segments of {@code prefixPath} (whole segments: "ab" is not under "a"). */
    static boolean within(String path, String prefixPath) {
        return prefixPath.isEmpty() || path.equals(prefixPath)
                || path.length() > prefixPath.length() && path.startsWith(prefixPath) && path.charAt(prefixPath.length()) == '/';
    }

    /** Reads the items of {@code members}; entries whose key Redis has already expired are pruned from the index. */
    private Flux<MemoryRecord> fetch(RedisClusterReactiveCommands<String, byte[]> c, String index, String stem, List<String> members) {
        String[] itemKeys = members.stream().map(m -> stem + m).toArray(String[]::new);
        return c.mget(itemKeys).collectList().flatMapMany(values -> {
            List<MemoryRecord> records = new ArrayList<>(values.size());
            List<byte[]> prune = new ArrayList<>();
            for (KeyValue<String, byte[]> kv : values) {
                if (kv.hasValue()) {
                    records.add(decode(kv.getKey(), kv.getValue()));
                } else {
                    prune.add(RedisRecords.text(kv.getKey().substring(stem.length())));
                }
            }
            if (prune.isEmpty()) {
                return Flux.fromIterable(records);
            }
            prune.add(0, RedisRecords.text(stem));
            // best effort: a failed prune leaves entries the next scan prunes
            return RedisScript.MEMORY_PRUNE.runForLong(c, List.of(index), prune.toArray(byte[][]::new))
                    .onErrorResume(e -> Mono.empty())
                    .thenMany(Flux.fromIterable(records));
        });
    }

    private MemoryRecord decode(String redisKey, byte[] blob) {
        MemoryRecord record = codec.decodeMemory(blob);
        if (!keys.memoryItem(record.key()).equals(redisKey)) {
            throw new CorruptDataException("the Redis key " + redisKey + " holds the memory item " + record.key());
        }
        return record;
    }
}
