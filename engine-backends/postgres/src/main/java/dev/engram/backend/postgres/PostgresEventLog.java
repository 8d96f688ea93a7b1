package dev.engram.backend.postgres;

import dev.engram.core.NotFoundException;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.ThreadCursor;
import io.r2dbc.spi.Row;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Event logs and thread records in the {@code events} and {@code threads} tables. Every read is one statement, so it
 * sees each append whole or not at all; expiry is decided with the engine clock, never the database's.
 */
final class PostgresEventLog implements EventLog {

    private static final String KEY = "th.tenant = $1 AND th.thread_id = $2 AND th.ns = $3";
    private static final String ALIVE = "(th.expires_at IS NULL OR th.expires_at > $4)";
    private static final String RECORD_COLUMNS = "th.head, th.generation, th.created_at, th.updated_at, th.expires_at, th.ttl_ms,"
            + " ARRAY(SELECT j.key FROM jsonb_each_text(th.metadata) j ORDER BY j.key),"
            + " ARRAY(SELECT j.value FROM jsonb_each_text(th.metadata) j ORDER BY j.key)";

    private final PostgresClient client;
    private final Clock clock;
    private final PostgresAppendBatcher batcher;
    private final String findSql;
    private final String headSql;
    private final String readSql;
    private final String updateMetadataSql;
    private final String deleteSql;
    private final String deleteUpToSql;
    private final String listSql;

    PostgresEventLog(PostgresClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        this.batcher = new PostgresAppendBatcher(client, this::head);
        String s = client.settings().quotedSchema();
        this.findSql = "SELECT " + RECORD_COLUMNS + " FROM " + s + ".threads th WHERE " + KEY + " AND " + ALIVE;
        this.headSql = "SELECT th.head FROM " + s + ".threads th WHERE " + KEY + " AND " + ALIVE;
        this.readSql = "SELECT e.version, e.event_id, e.type, e.ts, e.data FROM " + s + ".events e"
                + " WHERE e.tenant = $1 AND e.thread_id = $2 AND e.ns = $3 AND e.version BETWEEN $5 AND $6"
                + " AND EXISTS (SELECT 1 FROM " + s + ".threads th WHERE " + KEY + " AND " + ALIVE + ")"
                + " ORDER BY e.version LIMIT $7";
        this.updateMetadataSql = "UPDATE " + s + ".threads th"
                + " SET metadata = (th.metadata || jsonb_object($5::text[], $6::text[])) - $7::text[]"
                + " WHERE " + KEY + " AND " + ALIVE + " RETURNING " + RECORD_COLUMNS;
        this.deleteSql = "SELECT " + s + ".delete_thread($1, $2, $3, $4)";
        this.deleteUpToSql = "DELETE FROM " + s + ".events e"
                + " WHERE e.tenant = $1 AND e.thread_id = $2 AND e.ns = $3 AND e.version <= $5"
                + " AND EXISTS (SELECT 1 FROM " + s + ".threads th WHERE " + KEY + " AND " + ALIVE + ")";
        this.listSql = "SELECT th.thread_id, th.ns, " + RECORD_COLUMNS + " FROM " + s + ".threads th"
                + " WHERE th.tenant = $1 AND (th.thread_id, th.ns) > ($2::text, $3::text) AND " + ALIVE
                + " AND th.metadata @> jsonb_object($5::text[], $6::text[])"
                + " ORDER BY th.thread_id, th.ns LIMIT $7";
    }

    PostgresAppendBatcher batcher() {
        return batcher;
    }

    /** The statements that read or change rows themselves rather than through a function. */
    List<String> statements() {
        return List.of(findSql, headSql, readSql, updateMetadataSql, deleteUpToSql, listSql);
    }

    @Override
    public Mono<LogAppended> append(LogAppend append) {
        if (append.events().isEmpty()) {
            // what the rules give for an empty batch: every one of its (no) ids is stored
            return Mono.just(new LogAppended(0, 0, true));
        }
        return batcher.submit(append);
    }

    @Override
    public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
        if (limit <= 0 || fromVersion > toVersion) {
            return Flux.empty();
        }
        return Mono.defer(() -> client.query("reading " + key, readSql, PostgresEventLog::event,
                        key.tenant(), key.threadId(), key.namespace(), clock.millis(), fromVersion, toVersion, (long) limit))
                .flatMapIterable(list -> list);
    }

    @Override
    public Mono<ThreadRecord> find(ThreadKey key) {
        return Mono.defer(() -> client.query("finding " + key, findSql, row -> record(key, row, 0),
                        key.tenant(), key.threadId(), key.namespace(), clock.millis()))
                .flatMap(list -> Mono.justOrEmpty(list.isEmpty() ? null : list.get(0)));
    }

    /** Emits the thread's head, 0 when it is absent or expired. */
    Mono<Long> head(ThreadKey key) {
        return Mono.defer(() -> client.query("reading the head of " + key, headSql, row -> row.get(0, Long.class),
                        key.tenant(), key.threadId(), key.namespace(), clock.millis()))
                .map(list -> list.isEmpty() ? 0L : list.get(0));
    }

    @Override
    public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
        return Mono.defer(() -> client.query("updating the metadata of " + key, updateMetadataSql, row -> record(key, row, 0),
                        key.tenant(), key.threadId(), key.namespace(), clock.millis(),
                        set.keySet().toArray(String[]::new), set.values().toArray(String[]::new), remove.toArray(String[]::new)))
                .flatMap(list -> list.isEmpty()
                        ? Mono.error(new NotFoundException("thread " + key + " does not exist"))
                        : Mono.just(list.get(0)));
    }

    @Override
    public Mono<Boolean> delete(ThreadKey key) {
        return Mono.defer(() -> client.query("deleting " + key, deleteSql, row -> row.get(0, Boolean.class),
                        key.tenant(), key.threadId(), key.namespace(), clock.millis()))
                .map(list -> Boolean.TRUE.equals(list.get(0)));
    }

    @Override
    public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
        return Mono.defer(() -> client.update("deleting old events of " + key, deleteUpToSql,
                key.tenant(), key.threadId(), key.namespace(), clock.millis(), upToVersion));
    }

    @Override
    public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
        return Mono.defer(() -> {
            String[] after = cursor(query.after());
            Map<String, String> filter = query.metadata();
            return client.query("listing the threads of " + query.tenant(), listSql,
                            row -> record(new ThreadKey(query.tenant(), row.get(0, String.class), row.get(1, String.class)), row, 2),
                            query.tenant(), after[0], after[1], clock.millis(),
                            filter.keySet().toArray(String[]::new), filter.values().toArray(String[]::new), (long) query.limit() + 1)
                    .map(matches -> ThreadCursor.page(matches, query.limit()));
        });
    }

    /** The cursor's (threadId, namespace); ("", "") before the first thread, since ids are never empty. */
    private static String[] cursor(@Nullable String after) {
        if (after == null) {
            return new String[] {"", ""};
        }
        int slash = after.indexOf('/');
        return slash < 0 ? new String[] {after, ""} : new String[] {after.substring(0, slash), after.substring(slash + 1)};
    }

    private static EventRecord event(Row row) {
        return new EventRecord(row.get(0, Long.class), row.get(1, UUID.class), row.get(2, String.class), row.get(3, Long.class),
                row.get(4, byte[].class));
    }

    /** Reads the record columns starting at {@code first}. */
    private static ThreadRecord record(ThreadKey key, Row row, int first) {
        Long expiresAt = row.get(first + 4, Long.class);
        String[] keys = row.get(first + 6, String[].class);
        String[] values = row.get(first + 7, String[].class);
        Map<String, String> metadata = new HashMap<>();
        for (int i = 0; keys != null && values != null && i < keys.length; i++) {
            metadata.put(keys[i], values[i]);
        }
        return new ThreadRecord(key, row.get(first, Long.class), row.get(first + 1, Long.class), row.get(first + 2, Long.class),
                row.get(first + 3, Long.class), expiresAt == null ? 0 : expiresAt, row.get(first + 5, Long.class), Map.copyOf(metadata));
    }
}
