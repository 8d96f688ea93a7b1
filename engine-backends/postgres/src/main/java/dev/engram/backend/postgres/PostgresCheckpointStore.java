package dev.engram.backend.postgres;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.StoredCheckpoint;
import java.nio.ByteBuffer;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Checkpoints in the {@code checkpoints} table, one row per (thread, version). */
final class PostgresCheckpointStore implements CheckpointStore {

    private static final String KEY = "tenant = $1 AND thread_id = $2 AND ns = $3";

    private final PostgresClient client;
    private final String saveSql;
    private final String listSql;
    private final String loadSql;
    private final String deleteSql;
    private final String deleteAllSql;

    PostgresCheckpointStore(PostgresClient client) {
        this.client = client;
        String table = client.settings().quotedSchema() + ".checkpoints";
        this.saveSql = "INSERT INTO " + table + " (tenant, thread_id, ns, version, generation, created_at, data)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant, thread_id, ns, version)"
                + " DO UPDATE SET generation = excluded.generation, created_at = excluded.created_at, data = excluded.data";
        this.listSql = "SELECT version, generation, created_at, octet_length(data) FROM " + table + " WHERE " + KEY
                + " ORDER BY version DESC";
        this.loadSql = "SELECT generation, created_at, data FROM " + table + " WHERE " + KEY + " AND version = $4";
        this.deleteSql = "DELETE FROM " + table + " WHERE " + KEY + " AND version = $4";
        this.deleteAllSql = "DELETE FROM " + table + " WHERE " + KEY;
    }

    /** The statements that read or change rows themselves rather than through a function. */
    List<String> statements() {
        return List.of(saveSql, listSql, loadSql, deleteSql, deleteAllSql);
    }

    @Override
    public Mono<Void> save(StoredCheckpoint c) {
        ThreadKey key = c.key();
        return Mono.defer(() -> client.update("saving a checkpoint of " + key, saveSql, key.tenant(), key.threadId(), key.namespace(),
                c.version(), c.generation(), c.createdAtMillis(), ByteBuffer.wrap(c.data()))).then();
    }

    @Override
    public Flux<CheckpointMeta> list(ThreadKey key) {
        return Mono.defer(() -> client.query("listing the checkpoints of " + key, listSql,
                        row -> new CheckpointMeta(key, row.get(0, Long.class), row.get(1, Long.class), row.get(2, Long.class),
                                row.get(3, Integer.class)),
                        key.tenant(), key.threadId(), key.namespace()))
                .flatMapIterable(list -> list);
    }

    @Override
    public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
        return Mono.defer(() -> client.query("loading a checkpoint of " + key, loadSql,
                        row -> new StoredCheckpoint(key, version, row.get(0, Long.class), row.get(1, Long.class), row.get(2, byte[].class)),
                        key.tenant(), key.threadId(), key.namespace(), version))
                .flatMap(list -> Mono.justOrEmpty(list.isEmpty() ? null : list.get(0)));
    }

    @Override
    public Mono<Void> delete(ThreadKey key, long version) {
        return Mono.defer(() -> client.update("deleting a checkpoint of " + key, deleteSql,
                key.tenant(), key.threadId(), key.namespace(), version)).then();
    }

    @Override
    public Mono<Void> deleteAll(ThreadKey key) {
        return Mono.defer(() -> client.update("deleting the checkpoints of " + key, deleteAllSql,
                key.tenant(), key.threadId(), key.namespace())).then();
    }
}
