package dev.engram.backend.postgres;

import static java.util.Objects.requireNonNull;

import dev.engram.core.codec.Codec;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import io.r2dbc.spi.Parameter;
import io.r2dbc.spi.Parameters;
import io.r2dbc.spi.R2dbcType;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Memory items in the {@code memories} table, one row per (tenant, namespace path, key) holding the codec's bytes.
 * Expiry is the engine clock's: every read filters with {@code now}, the sweeper removes expired rows later.
 */
final class PostgresMemoryStorage implements MemoryStorage {

    private static final String KEY = "tenant = $1 AND ns_path = $2 AND key = $3";
    // a typed null: the driver cannot infer a type from a bare one
    private static final Parameter NO_EXPIRY = Parameters.in(R2dbcType.BIGINT);
    private static final String LIVE = "(expires_at IS NULL OR expires_at > $%d)";

    private final PostgresClient client;
    private final Clock clock;
    private final Codec codec = Codec.standard();
    private final String putSql;
    private final String getSql;
    private final String deleteSql;
    private final String refreshSql;
    private final String scanTenantSql;
    private final String scanPrefixSql;
    private final String sweepSql;

    PostgresMemoryStorage(PostgresClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        String table = client.settings().quotedSchema() + ".memories";
        this.putSql = "INSERT INTO " + table + " (tenant, ns_path, key, data, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)"
                + " ON CONFLICT (tenant, ns_path, key)"
                + " DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, updated_at = excluded.updated_at";
        this.getSql = "SELECT data FROM " + table + " WHERE " + KEY + " AND " + LIVE.formatted(4);
        this.deleteSql = "DELETE FROM " + table + " WHERE " + KEY + " RETURNING expires_at";
        // a compare-and-set on the write's time: a later put, a delete or the expiry in between makes it change nothing
        this.refreshSql = "UPDATE " + table + " SET data = $4, expires_at = $5 WHERE " + KEY + " AND updated_at = $6 AND " + LIVE.formatted(7);
        this.scanTenantSql = "SELECT data FROM " + table + " WHERE tenant = $1 AND " + LIVE.formatted(2);
        // the namespace itself, or anything below it: two ranges of the primary key, never a neighbour such as "ab" for "a"
        this.scanPrefixSql = "SELECT data FROM " + table + " WHERE tenant = $1 AND (ns_path = $2 OR (ns_path > $3 AND ns_path < $4))"
                + " AND " + LIVE.formatted(5);
        this.sweepSql = "SELECT " + client.settings().quotedSchema() + ".sweep_memories($1, $2)";
    }

    @Override
    public Mono<Void> put(MemoryRecord record) {
        requireNonNull(record, "record");
        return Mono.defer(() -> {
            MemoryKey key = record.key();
            byte[] data = codec.encodeMemory(record);
            Instant expiresAt = record.expiresAt();
            return client.update("storing memory " + key, putSql, key.tenant(), key.namespace().path(), key.key(),
                    ByteBuffer.wrap(data), expiresAt == null ? NO_EXPIRY : (Object) expiresAt.toEpochMilli(),
                    record.item().updatedAt().toEpochMilli());
        }).then();
    }

    @Override
    public Mono<MemoryRecord> get(MemoryKey key, Instant now) {
        requireNonNull(key, "key");
        requireNonNull(now, "now");
        return Mono.defer(() -> client.query("reading memory " + key, getSql, row -> row.get(0, byte[].class),
                        key.tenant(), key.namespace().path(), key.key(), now.toEpochMilli()))
                .flatMap(rows -> rows.isEmpty() ? Mono.empty() : Mono.just(codec.decodeMemory(rows.get(0))));
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        requireNonNull(key, "key");
        return Mono.defer(() -> client.query("deleting memory " + key, deleteSql, row -> {
                    Long expiresAt = row.get(0, Long.class);
                    return expiresAt == null ? Long.MAX_VALUE : expiresAt;
                }, key.tenant(), key.namespace().path(), key.key()))
                .map(rows -> !rows.isEmpty() && rows.get(0) > clock.millis());
    }

    /** Reads the record, then rewrites its blob and expiry in one conditional statement, so a later write always wins. */
    @Override
    public Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        requireNonNull(key, "key");
        requireNonNull(updatedAt, "updatedAt");
        requireNonNull(expiresAt, "expiresAt");
        requireNonNull(now, "now");
        return get(key, now)
                .filter(r -> r.item().updatedAt().toEpochMilli() == updatedAt.toEpochMilli())
                .flatMap(r -> client.update("refreshing the expiry of memory " + key, refreshSql,
                        key.tenant(), key.namespace().path(), key.key(), ByteBuffer.wrap(codec.encodeMemory(r.withExpiresAt(expiresAt))),
                        expiresAt.toEpochMilli(), updatedAt.toEpochMilli(), now.toEpochMilli()))
                .map(changed -> changed == 1)
                .defaultIfEmpty(false);
    }

    @Override
    public Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now) {
        requireNonNull(tenant, "tenant");
        requireNonNull(prefix, "prefix");
        requireNonNull(now, "now");
        return Mono.defer(() -> {
                    String what = "scanning memories of " + tenant + " under " + prefix;
                    if (prefix.isRoot()) {
                        return client.query(what, scanTenantSql, row -> row.get(0, byte[].class), tenant, now.toEpochMilli());
                    }
                    String path = prefix.path();
                    // '/' separates segments and '0' is the character after it, so (path/, path0) holds every path below
                    return client.query(what, scanPrefixSql, row -> row.get(0, byte[].class),
                            tenant, path, path + "/", path + "0", now.toEpochMilli());
                })
                .flatMapIterable(rows -> rows)
                .map(codec::decodeMemory);
    }

    /** The statements that read or change rows themselves rather than through a function. */
    List<String> statements() {
        return List.of(putSql, getSql, deleteSql, refreshSql, scanTenantSql, scanPrefixSql);
    }

    /** The statement of a scan under a namespace with segments ($1 tenant, $2 path, $3 and $4 the range, $5 now). */
    String scanPrefixSql() {
        return scanPrefixSql;
    }

    /** Deletes up to {@code limit} items expired at {@code nowMillis}; emits how many went. */
    Mono<Long> sweep(long nowMillis, int limit) {
        return client.query("sweeping expired memories", sweepSql, row -> row.get(0, Integer.class), nowMillis, limit)
                .map(swept -> (long) swept.get(0));
    }

}
