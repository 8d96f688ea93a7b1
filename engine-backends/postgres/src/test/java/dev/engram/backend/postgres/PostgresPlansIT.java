package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.StoredCheckpoint;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * PostgreSQL keeps a generic plan per statement and connection, made with the tables as they are at that moment, and
 * on a new schema that moment finds them empty or nearly so. These scenarios have the plans made then
 * ({@code plan_cache_mode = force_generic_plan}), let the tables grow, and check that every statement still reads by
 * its key: no sequential scan, no index read from end to end.
 */
class PostgresPlansIT {

    private static final long NOW = 1_700_000_000_000L;
    private static final Pattern PARAMETER = Pattern.compile("\\$(\\d+)");
    private static final Pattern INDEX_SCAN = Pattern.compile("(?:Index Scan(?: Backward)? using|Index Only Scan using|Bitmap Index Scan on) (\\S+)");
    /** Relations at least this large after growing show a statement that reads them whole (or a thread's range of them). */
    private static final long LARGE_PAGES = 100;

    private final String schema = LocalPostgres.newSchema();
    private final String s = "\"" + schema + "\"";
    private Backend backend;

    @BeforeEach
    void open() {
        LocalPostgres.requireRunning();
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), new MutableClock(NOW));
        backend.ping().block(TIMEOUT); // migrated
    }

    @AfterEach
    void close() {
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
    }

    @Test
    void theStatementsReadByKeyOnAFreshSchema() {
        assertStatementsReadByKey();
    }

    @Test
    void theStatementsReadByKeyOnSmallAnalyzedTables() {
        ThreadKey key = ThreadKey.of("seed");
        backend.events().append(new LogAppend(key, ExpectedVersion.any(), List.of(event("a"), event("b")), Map.of("k", "v"), null, NOW))
                .block(TIMEOUT);
        backend.checkpoints().save(new StoredCheckpoint(key, 2, 7, NOW, new byte[] {1})).block(TIMEOUT);
        LocalPostgres.sql("INSERT INTO " + s + ".memories VALUES ('default', 'u', 'k', '\\x00', NULL, " + NOW + ")");
        LocalPostgres.sql("ANALYZE " + s + ".threads, " + s + ".events, " + s + ".checkpoints, " + s + ".memories");
        assertStatementsReadByKey();
    }

    @Test
    void theFunctionsReadByKeyAfterGrowingFromEmptyTables() {
        assertFunctionsReadByKey(0, 0);
    }

    /** The planner's choices on small tables turn on their shape: these two each once led a statement astray. */
    @ParameterizedTest(name = "{0} conversations of 3 events of {1} bytes")
    @CsvSource({"1, 10", "10, 500"})
    void theFunctionsReadByKeyAfterGrowingFromSmallAnalyzedTables(int conversations, int bytes) {
        assertFunctionsReadByKey(conversations, bytes);
    }

    /** Every statement the backend sends itself, prepared on a connection set up as the backend's, in its generic plan. */
    private void assertStatementsReadByKey() {
        PostgresBackend b = (PostgresBackend) backend;
        List<String> statements = new ArrayList<>(((PostgresEventLog) b.events()).statements());
        statements.addAll(((PostgresCheckpointStore) b.checkpoints()).statements());
        statements.addAll(((PostgresMemoryStorage) b.memories()).statements());
        try (SqlSession session = new SqlSession(b.client().unpooled())) {
            Map<String, String> leading = new HashMap<>();
            for (String row : session.sql("SELECT c.relname || ' ' || a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                    + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                    + " WHERE c.relnamespace = '" + s + "'::regnamespace")) {
                leading.put(row.split(" ")[0], row.split(" ")[1]);
            }
            session.sql("SET plan_cache_mode = force_generic_plan");
            for (String statement : statements) {
                String nulls = IntStream.range(0, parameters(statement)).mapToObj(i -> "NULL").collect(Collectors.joining(", "));
                // PREPARE inside a DO block: the driver takes no placeholders in a script, only in a bound statement
                List<String> plan = session.script("DO $do$ BEGIN EXECUTE $q$PREPARE checked AS " + statement + "$q$; END $do$;"
                        + " EXPLAIN EXECUTE checked(" + nulls + "); DEALLOCATE checked");
                assertReadsByKey(statement, plan, leading);
            }
        }
    }

    private static int parameters(String statement) {
        Matcher m = PARAMETER.matcher(statement);
        int max = 0;
        while (m.find()) {
            max = Math.max(max, Integer.parseInt(m.group(1)));
        }
        return max;
    }

    /**
     * No sequential scan, and every index scan bounded by a condition on the index's first column: a condition on later
     * columns alone still reads the index from end to end.
     */
    static void assertReadsByKey(String statement, List<String> plan, Map<String, String> leadingColumns) {
        String text = String.join("\n", plan);
        assertThat(text).as("the plan of %s", statement).doesNotContain("Seq Scan");
        for (int i = 0; i < plan.size(); i++) {
            Matcher scan = INDEX_SCAN.matcher(plan.get(i));
            if (scan.find()) {
                String index = scan.group(1);
                assertThat(i + 1 < plan.size() ? plan.get(i + 1) : "").as("the index condition on %s in the plan of %s:\n%s", index, statement, text)
                        .contains("Index Cond: ").contains("(" + leadingColumns.get(index) + " ");
            }
        }
    }

    /**
     * Runs the functions through every path on small tables (where their plans are made), grows the tables, runs the
     * same paths again on a thread of 40,000 events (two thirds of the table), and counts what that second round read. All in one transaction of
     * a plain session (the functions carry their own settings), rolled back.
     */
    private void assertFunctionsReadByKey(int conversations, int bytes) {
        try (SqlSession session = new SqlSession(LocalPostgres.factory())) {
            session.begin();
            session.sql("SET LOCAL plan_cache_mode = force_generic_plan");
            if (conversations > 0) {
                // a new deployment's first conversations, analyzed
                session.sql("INSERT INTO " + s + ".threads (tenant, thread_id, ns, head, generation, created_at, updated_at)"
                        + " SELECT 'default', 's' || t, '', 3, 1, " + NOW + ", " + NOW + " FROM generate_series(1, " + conversations + ") t");
                session.sql("INSERT INTO " + s + ".events SELECT 'default', 's' || t, '', v, gen_random_uuid(), 'test', " + NOW
                        + ", convert_to(repeat('x', " + bytes + "), 'UTF8') FROM generate_series(1, " + conversations + ") t, generate_series(1, 3) v");
                session.sql("ANALYZE " + s + ".threads, " + s + ".events, " + s + ".checkpoints, " + s + ".memories");
            }
            prefill(session, "a1", 3);
            runEveryPath(session, "1", 3, storedEvents(session, "a1"));
            assertNothingLeftBehind(session, "a1", 3);

            grow(session);
            prefill(session, "a2", 40_000);
            List<EventRecord> stored = storedEvents(session, "a2");
            Map<String, Relation> before = relations(session);
            runEveryPath(session, "2", 40_000, stored);
            Map<String, Relation> after = relations(session);
            assertNothingLeftBehind(session, "a2", 40_000);
            session.rollback();

            for (Relation r : after.values()) {
                Relation was = before.get(r.name);
                if (r.table) {
                    assertThat(r.scans - was.scans).as("sequential scans of %s", r.name).isZero();
                }
                if (r.pages >= LARGE_PAGES) {
                    // a few blocks per statement that touches it: about a hundred at most, for the event-id index
                    assertThat(r.blocks - was.blocks).as("blocks read from %s (%d pages)", r.name, r.pages).isLessThan(r.pages / 2);
                }
            }
            assertThat(after.values().stream().filter(r -> r.pages >= LARGE_PAGES).map(r -> r.name))
                    .as("the relations that grew large enough to tell")
                    .contains("events", "events_pkey", "events_event_id_key", "checkpoints", "checkpoints_pkey", "memories", "memories_pkey");
        }
    }

    /** One thread of {@code head} events with known ids ({@code md5(thread || version)}) and bytes ("event " + version). */
    private void prefill(SqlSession session, String thread, int head) {
        session.sql("INSERT INTO " + s + ".threads (tenant, thread_id, ns, head, generation, created_at, updated_at)"
                + " VALUES ('default', '" + thread + "', '', " + head + ", 1, " + NOW + ", " + NOW + ")");
        session.sql("INSERT INTO " + s + ".events SELECT 'default', '" + thread + "', '', v, md5('" + thread + "' || v)::uuid, 'test', "
                + NOW + ", convert_to('event ' || v, 'UTF8') FROM generate_series(1, " + head + ") v");
    }

    /** Other tenants' worth of rows: 2,000 threads of 10 events and 10 checkpoints each, 20,000 memory items. */
    private void grow(SqlSession session) {
        session.sql("INSERT INTO " + s + ".threads (tenant, thread_id, ns, head, generation, created_at, updated_at)"
                + " SELECT 'other', 't' || i, '', 10, 1, " + NOW + ", " + NOW + " FROM generate_series(1, 2000) i");
        session.sql("INSERT INTO " + s + ".events SELECT 'other', 't' || (i % 2000 + 1), '', i / 2000 + 1, gen_random_uuid(), 'test', "
                + NOW + ", '\\x00' FROM generate_series(0, 19999) i");
        session.sql("INSERT INTO " + s + ".checkpoints SELECT 'other', 't' || (i % 2000 + 1), '', i / 2000 + 1, 1, " + NOW + ", '\\x00'"
                + " FROM generate_series(0, 19999) i");
        session.sql("INSERT INTO " + s + ".memories SELECT 'other', 'user-' || i, 'k', '\\x00', NULL, " + NOW
                + " FROM generate_series(1, 20000) i");
    }

    /**
     * Every path of append_batch, delete_thread, sweep_expired and sweep_memories, on threads a{round} (prefilled with
     * {@code head} events), b, c and d of the round; checks each outcome on the way.
     */
    private void runEveryPath(SqlSession session, String round, long head, List<EventRecord> stored) {
        ThreadKey a = ThreadKey.of("a" + round);
        ThreadKey b = ThreadKey.of("b" + round);
        ThreadKey c = ThreadKey.of("c" + round);
        ThreadKey d = ThreadKey.of("d" + round);
        EventRecord e1 = stored.get(0);
        EventRecord e2 = stored.get(1);
        EventRecord e3 = stored.get(2);
        EventRecord x = event("x");
        Duration second = Duration.ofSeconds(1);

        assertThat(session.appendBatch(s, List.of(
                append(a, ExpectedVersion.exactly(head), null, NOW, x),
                append(b, ExpectedVersion.noThread(), second, NOW, event("b")),
                append(c, ExpectedVersion.any(), null, NOW, event("c")),
                append(d, ExpectedVersion.any(), second, NOW, event("d")))))
                .containsExactly(appended(head + 1, head + 1), appended(1, 1), appended(1, 1), appended(1, 1));

        assertThat(session.appendBatch(s, List.of(
                append(a, ExpectedVersion.exactly(head), null, NOW, x),
                append(a, ExpectedVersion.exactly(head + 1), null, NOW, x),
                append(a, ExpectedVersion.any(), null, NOW, x),
                append(a, ExpectedVersion.any(), null, NOW, new EventRecord(0, e1.eventId(), "test", NOW, new byte[] {9})),
                append(a, ExpectedVersion.exactly(head + 1), null, NOW, e1, event("new")),
                append(a, ExpectedVersion.exactly(head + 1), null, NOW, event("new"), e2),
                append(a, ExpectedVersion.any(), null, NOW, e1, e3),
                append(a, ExpectedVersion.exactly(0), null, NOW, e2, e3),
                append(a, ExpectedVersion.exactly(head + 1), null, NOW, event("w")),
                append(c, ExpectedVersion.exactly(7), null, NOW, event("late")))))
                .containsExactly(
                        "1 " + (head + 1) + ".." + (head + 1) + " 0 null",   // retry, expecting the head it was sent at
                        "1 " + (head + 1) + ".." + (head + 1) + " 0 null",   // retry, expecting the head it made
                        "1 " + (head + 1) + ".." + (head + 1) + " 0 null",   // retry, expecting any
                        "3 0..0 0 " + e1.eventId(),                          // a stored id with other bytes
                        "4 0..0 0 1",                                        // a stored id, then a new one
                        "4 0..0 0 1",                                        // a new id, then a stored one
                        "5 0..0 0 null",                                     // ids from two appends
                        "1 2..3 0 null",                                     // consecutive stored ids, a stale expectation
                        appended(head + 2, head + 2),                        // lands right after the refusals
                        "2 0..0 1 null");                                    // a conflict on another thread

        assertThat(session.appendBatch(s, List.of(append(b, ExpectedVersion.noThread(), null, NOW + 1_000, event("again")))))
                .as("an expired thread starts afresh").containsExactly(appended(1, 1));
        assertThat(session.sql("SELECT " + s + ".delete_thread('default', '" + c.threadId() + "', '', " + NOW + ")")).containsExactly("true");
        session.sql("INSERT INTO " + s + ".checkpoints VALUES ('default', '" + d.threadId() + "', '', 1, 1, " + NOW + ", '\\x00')");
        assertThat(session.sql("SELECT " + s + ".sweep_expired(" + (NOW + 2_000) + ", 10)")).containsExactly("1");
        session.sql("INSERT INTO " + s + ".memories VALUES ('default', 'expiring', 'k" + round + "', '\\x00', " + NOW + ", " + NOW + ")");
        assertThat(session.sql("SELECT " + s + ".sweep_memories(" + NOW + ", 10)")).containsExactly("1");
    }

    /** The first three prefilled events of {@code thread}, as a retry would send them. */
    private List<EventRecord> storedEvents(SqlSession session, String thread) {
        return session.sql("SELECT event_id || ' ' || version FROM " + s + ".events WHERE tenant = 'default' AND thread_id = '" + thread
                        + "' AND ns = '' AND version <= 3 ORDER BY version").stream()
                .map(row -> row.split(" "))
                .map(f -> new EventRecord(0, UUID.fromString(f[0]), "test", NOW, ("event " + f[1]).getBytes(StandardCharsets.UTF_8)))
                .toList();
    }

    /** The thread holds its prefilled events and the two appended, at consecutive versions: the refused ones left nothing. */
    private void assertNothingLeftBehind(SqlSession session, String thread, long head) {
        assertThat(session.sql("SELECT count(*) || ' ' || max(version) FROM " + s + ".events WHERE tenant = 'default'"
                + " AND thread_id = '" + thread + "' AND ns = ''")).containsExactly((head + 2) + " " + (head + 2));
    }

    private record Relation(String name, boolean table, long scans, long blocks, long pages) {
    }

    /** This transaction's sequential scans (of tables) and blocks fetched, for every table and index of the schema. */
    private Map<String, Relation> relations(SqlSession session) {
        Map<String, Relation> all = new HashMap<>();
        for (String row : session.sql("SELECT concat_ws(' ', c.relname, c.relkind, pg_stat_get_xact_numscans(c.oid),"
                + " pg_stat_get_xact_blocks_fetched(c.oid), pg_relation_size(c.oid) / 8192) FROM pg_class c"
                + " WHERE c.relnamespace = '" + s + "'::regnamespace AND c.relkind IN ('r', 'i')")) {
            String[] f = row.split(" ");
            all.put(f[0], new Relation(f[0], f[1].equals("r"), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4])));
        }
        return all;
    }

    private static EventRecord event(String text) {
        return new EventRecord(0, UUID.randomUUID(), "test", NOW, text.getBytes(StandardCharsets.UTF_8));
    }

    private static LogAppend append(ThreadKey key, ExpectedVersion expected, @Nullable Duration ttl, long now, EventRecord... events) {
        return new LogAppend(key, expected, List.of(events), Map.of(), ttl, now);
    }

    private static String appended(long first, long last) {
        return "0 " + first + ".." + last + " 0 null";
    }
}
