package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import dev.engram.core.spi.ThreadRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The memory storage SPI on the machine's PostgreSQL, with a clock the test moves: keys, prefixes, expiry, sweeping, migration. */
class PostgresMemoryStorageIT {

    private final String schema = LocalPostgres.newSchema();
    private final List<String> otherSchemas = new ArrayList<>();
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private Backend backend;
    private MemoryStorage memories;

    @BeforeEach
    void open() {
        LocalPostgres.requireRunning();
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), clock);
        memories = backend.memories();
    }

    @AfterEach
    void close() {
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
        otherSchemas.forEach(LocalPostgres::dropSchema);
    }

    private Instant now() {
        return clock.instant();
    }

    private MemoryRecord record(String tenant, Namespace ns, String key, String text, @Nullable Instant expiresAt, float @Nullable [] vector) {
        Provenance from = new Provenance(new ThreadKey(tenant, "chat-1", ""), 3, 5, "extractor", "model-a");
        MemoryItem item = new MemoryItem(new MemoryKey(tenant, ns, key), Map.of("text", text), MemoryItem.FACT, from,
                now().minusSeconds(60), now(), expiresAt);
        return new MemoryRecord(item, vector);
    }

    private MemoryRecord record(Namespace ns, String key) {
        return record("default", ns, key, key + " in " + ns.path(), null, null);
    }

    private List<String> scanned(String tenant, Namespace prefix) {
        return memories.scan(tenant, prefix, now()).map(r -> r.key().namespace().path() + "#" + r.key().key()).collectList()
                .block(TIMEOUT).stream().sorted().toList();
    }

    private String count(String where) {
        return LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".memories " + where).get(0);
    }

    @Test
    void putStoresGetReadsAndAPutReplaces() {
        MemoryRecord first = record("default", Namespace.of("user-42", "facts"), "diet", "vegetarian", null, new float[] {0.6f, 0.8f});
        memories.put(first).as(StepVerifier::create).verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item()).isEqualTo(first.item());
            assertThat(r.vector()).as("the vector travels inside the blob").containsExactly(0.6f, 0.8f);
        }).verifyComplete();

        clock.advance(1_000);
        MemoryRecord second = record("default", first.key().namespace(), "diet", "vegan", now().plusSeconds(30), null);
        memories.put(second).as(StepVerifier::create).verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item().value()).isEqualTo(Map.of("text", "vegan"));
            assertThat(r.vector()).isNull();
            assertThat(r.expiresAt()).isEqualTo(now().plusSeconds(30));
        }).as("the second put replaced the first").verifyComplete();
        assertThat(LocalPostgres.sql("SELECT ns_path || '#' || key || ' ' || expires_at || ' ' || updated_at FROM \"" + schema
                + "\".memories")).as("one row, with the columns of the latest put")
                .containsExactly("user-42/facts#diet " + now().plusSeconds(30).toEpochMilli() + " " + now().toEpochMilli());

        memories.get(new MemoryKey("default", Namespace.of("user-42", "facts"), "absent"), now()).as(StepVerifier::create)
                .verifyComplete();
    }

    @Test
    void deleteReportsWhetherALiveItemWasThere() {
        MemoryRecord live = record(Namespace.of("u1"), "live");
        MemoryRecord expiring = record("default", Namespace.of("u1"), "expiring", "soon", now().plusMillis(500), null);
        memories.put(live).then(memories.put(expiring)).block(TIMEOUT);

        memories.delete(live.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
        memories.delete(live.key()).as(StepVerifier::create).expectNext(false).as("nothing left to delete").verifyComplete();
        memories.get(live.key(), now()).as(StepVerifier::create).verifyComplete();

        clock.advance(500);
        memories.delete(expiring.key()).as(StepVerifier::create).expectNext(false)
                .as("an expired row was there, but not a live one").verifyComplete();
        assertThat(count("")).as("the expired row went too").isEqualTo("0");
    }

    @Test
    void aPrefixMatchesWholeSegmentsOfOneTenant() {
        for (String path : List.of("a", "a/x", "a/x/y", "ab", "a-b", "a.b", "a0", "a:b", "a@b", "b", "A")) {
            memories.put(record(Namespace.parse(path), "k")).block(TIMEOUT);
        }
        memories.put(record("other", Namespace.of("a"), "k", "another tenant's", null, null)).block(TIMEOUT);
        memories.put(record("other", Namespace.of("a", "x"), "k", "another tenant's", null, null)).block(TIMEOUT);

        assertThat(scanned("default", Namespace.of("a"))).as("['a'] is 'a' and below it, never 'ab', 'a-b' or 'a0'")
                .containsExactly("a#k", "a/x#k", "a/x/y#k");
        assertThat(scanned("default", Namespace.of("a", "x"))).containsExactly("a/x#k", "a/x/y#k");
        assertThat(scanned("default", Namespace.of("a", "x", "y", "z"))).isEmpty();
        assertThat(scanned("default", Namespace.of("ab"))).containsExactly("ab#k");
        assertThat(scanned("default", Namespace.ROOT)).as("the root is the whole tenant")
                .containsExactly("A#k", "a#k", "a-b#k", "a.b#k", "a/x#k", "a/x/y#k", "a0#k", "a:b#k", "a@b#k", "ab#k", "b#k");
        assertThat(scanned("other", Namespace.ROOT)).containsExactly("a#k", "a/x#k");
        assertThat(scanned("nobody", Namespace.of("a"))).isEmpty();
    }

    @Test
    void aPrefixScanIsARangeOfThePrimaryKey() {
        PostgresMemoryStorage storage = (PostgresMemoryStorage) memories;
        memories.put(record(Namespace.of("a"), "k")).block(TIMEOUT);
        // a tenant of 5,000 users, so that reading the whole tenant is what the planner would avoid
        LocalPostgres.sql("INSERT INTO \"" + schema + "\".memories SELECT 'default', 'user-' || i, 'k', '\\x00', NULL, 0"
                + " FROM generate_series(1, 5000) i");
        LocalPostgres.sql("ANALYZE \"" + schema + "\".memories");
        // the statement with its parameters filled in
        String statement = storage.scanPrefixSql().replace("$1", "'default'").replace("$2", "'a'").replace("$3", "'a/'")
                .replace("$4", "'a0'").replace("$5", "0");
        List<String> plan = LocalPostgres.script("SET enable_seqscan = off; EXPLAIN " + statement);
        assertThat(String.join("\n", plan))
                .contains("memories_pkey")
                .contains("Index Cond: ((tenant = 'default'::text) AND (ns_path = 'a'::text))")
                .contains("Index Cond: ((tenant = 'default'::text) AND (ns_path > 'a/'::text) AND (ns_path < 'a0'::text))")
                .doesNotContain("Seq Scan")
                .doesNotContain("Filter: ((ns_path");
    }

    @Test
    void tenantsKeepTheirOwnItems() {
        Namespace ns = Namespace.of("shared-name");
        MemoryRecord ann = record("ann", ns, "k", "ann's", null, null);
        MemoryRecord bob = record("bob", ns, "k", "bob's", null, null);
        memories.put(ann).then(memories.put(bob)).block(TIMEOUT);
        memories.get(ann.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create).expectNext("ann's").verifyComplete();
        memories.delete(bob.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
        memories.get(ann.key(), now()).as(StepVerifier::create).expectNextCount(1).as("ann's survives bob's delete").verifyComplete();
        memories.get(bob.key(), now()).as(StepVerifier::create).verifyComplete();
    }

    @Test
    void schemasNeverMix() {
        String otherSchema = LocalPostgres.newSchema();
        otherSchemas.add(otherSchema);
        Backend other = LocalPostgres.backend(otherSchema, Map.of("sweepInterval", "0"), clock);
        try {
            MemoryRecord here = record(Namespace.of("u"), "k");
            memories.put(here).block(TIMEOUT);
            other.memories().get(here.key(), now()).as(StepVerifier::create).as("not in the other schema").verifyComplete();
            other.memories().scan("default", Namespace.ROOT, now()).as(StepVerifier::create).verifyComplete();
            other.memories().put(record("default", Namespace.of("u"), "k", "there", null, null)).block(TIMEOUT);
            other.memories().delete(here.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
            memories.get(here.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create)
                    .expectNext("k in u").as("a delete in the other schema leaves this one").verifyComplete();
        } finally {
            other.close().block(TIMEOUT);
        }
    }

    @Test
    void expiredItemsAreNeverReturnedAndTheSweeperRemovesThem() {
        MemoryRecord expiring = record("default", Namespace.of("u", "facts"), "short", "short-lived", now().plusSeconds(10), null);
        MemoryRecord later = record("default", Namespace.of("u", "facts"), "long", "long-lived", now().plusSeconds(60), null);
        MemoryRecord forever = record(Namespace.of("u", "facts"), "forever");
        memories.put(expiring).then(memories.put(later)).then(memories.put(forever)).block(TIMEOUT);

        clock.advance(9_999);
        memories.get(expiring.key(), now()).as(StepVerifier::create).expectNextCount(1).as("alive a millisecond before").verifyComplete();
        assertThat(scanned("default", Namespace.of("u"))).hasSize(3);

        clock.advance(1);
        memories.get(expiring.key(), now()).as(StepVerifier::create).as("expired at its expiry instant").verifyComplete();
        assertThat(scanned("default", Namespace.of("u"))).containsExactly("u/facts#forever", "u/facts#long");
        assertThat(scanned("default", Namespace.ROOT)).containsExactly("u/facts#forever", "u/facts#long");
        memories.get(expiring.key(), now().minusSeconds(1)).as(StepVerifier::create).expectNextCount(1)
                .as("expiry is decided by the given time, not the database's").verifyComplete();
        assertThat(count("")).as("still stored, until swept").isEqualTo("3");

        assertThat(((PostgresBackend) backend).sweeper().sweep().block(TIMEOUT)).isEqualTo(new PostgresSweeper.Swept(0, 1));
        assertThat(count("")).isEqualTo("2");
        assertThat(count("WHERE key = 'short'")).isEqualTo("0");

        memories.put(record("default", Namespace.of("u", "facts"), "short", "again", now().plusSeconds(10), null)).block(TIMEOUT);
        memories.get(expiring.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create)
                .expectNext("again").as("a key comes back after its expiry").verifyComplete();
    }

    @Test
    void theSweeperWorksInBatches() {
        Backend small = LocalPostgres.backend(schema, Map.of("sweepInterval", "0", "sweepBatchSize", "3"), clock);
        try {
            for (int i = 0; i < 7; i++) {
                memories.put(record("default", Namespace.of("u" + i), "k", "v", now().plusMillis(1 + i), null)).block(TIMEOUT);
            }
            memories.put(record(Namespace.of("u0"), "stays")).block(TIMEOUT);
            clock.advance(100);
            assertThat(((PostgresBackend) small).sweeper().sweep().block(TIMEOUT)).isEqualTo(new PostgresSweeper.Swept(0, 7));
            assertThat(scanned("default", Namespace.ROOT)).containsExactly("u0#stays");
        } finally {
            small.close().block(TIMEOUT);
        }
    }

    @Test
    void theMigrationAddsTheTableToASchemaOfThePreviousVersionAndIsIdempotent() {
        backend.ping().block(TIMEOUT); // the migration started at creation is over
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
        // the schema as the previous version left it: V1 and V2 applied and recorded, with a thread in it
        String s = "\"" + schema + "\"";
        StringBuilder previous = new StringBuilder("CREATE SCHEMA " + s + ";"
                + " CREATE TABLE " + s + ".engram_migrations (version int PRIMARY KEY, description text NOT NULL,"
                + " applied_at timestamptz NOT NULL DEFAULT now());");
        for (PostgresMigrations.Migration m : PostgresMigrations.ALL.subList(0, 2)) {
            previous.append(PostgresMigrations.script(m.resource()).replace("${schema}", s).replace("${channel}", "'engram_" + schema + "'"))
                    .append(";\nINSERT INTO ").append(s).append(".engram_migrations (version, description) VALUES (")
                    .append(m.version()).append(", '").append(m.description()).append("');\n");
        }
        previous.append("INSERT INTO ").append(s).append(".threads (tenant, thread_id, ns, head, generation, created_at, updated_at)"
                + " VALUES ('default', 'old', '', 1, 7, 1, 1);");
        previous.append("INSERT INTO ").append(s).append(".events (tenant, thread_id, ns, version, event_id, type, ts, data)"
                + " VALUES ('default', 'old', '', 1, gen_random_uuid(), 'test', 1, '\\x01');");
        LocalPostgres.script(previous.toString());
        assertThat(LocalPostgres.sql("SELECT to_regclass('" + s + ".memories')::text")).containsExactly("null");

        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), clock);
        memories = backend.memories();
        MemoryRecord item = record(Namespace.of("u"), "k");
        memories.put(item).block(TIMEOUT);
        memories.get(item.key(), now()).as(StepVerifier::create).expectNextCount(1).verifyComplete();
        backend.events().find(ThreadKey.of("old")).map(ThreadRecord::generation).as(StepVerifier::create).expectNext(7L)
                .as("the previous version's data is untouched").verifyComplete();
        backend.events().read(ThreadKey.of("old"), 1, 10, 10).map(EventRecord::version).as(StepVerifier::create).expectNext(1L)
                .verifyComplete();
        assertThat(LocalPostgres.sql("SELECT version FROM " + s + ".engram_migrations ORDER BY version")).containsExactly("1", "2", "3", "4");

        // the script again over the table it made (a record lost, or two versions' scripts overlapping): nothing changes
        backend.close().block(TIMEOUT);
        LocalPostgres.sql("DELETE FROM " + s + ".engram_migrations WHERE version = 3");
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), clock);
        memories = backend.memories();
        memories.get(item.key(), now()).map(r -> r.item().value()).as(StepVerifier::create).expectNext(item.item().value())
                .as("the item survives the script running again").verifyComplete();
        assertThat(LocalPostgres.sql("SELECT version FROM " + s + ".engram_migrations ORDER BY version")).containsExactly("1", "2", "3", "4");
        assertThat(LocalPostgres.sql("SELECT indexname FROM pg_indexes WHERE schemaname = '" + schema + "' AND tablename = 'memories'"
                + " ORDER BY indexname")).containsExactly("memories_expires_at", "memories_pkey");
    }

    @Test
    void refreshingTheExpiryIsACompareAndSetOnTheWritesTime() {
        Namespace ns = Namespace.of("u");
        MemoryRecord first = record("default", ns, "k", "first", now().plusSeconds(10), null);
        memories.put(first).block(TIMEOUT);
        Instant written = first.item().updatedAt();

        memories.refreshExpiry(first.key(), written, now().plusSeconds(60), now()).as(StepVerifier::create).expectNext(true)
                .verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.expiresAt()).as("in the blob").isEqualTo(now().plusSeconds(60));
            assertThat(r.item().value()).isEqualTo(first.item().value());
            assertThat(r.item().updatedAt()).as("a refresh is not a write").isEqualTo(written);
        }).verifyComplete();
        assertThat(LocalPostgres.sql("SELECT expires_at FROM \"" + schema + "\".memories"))
                .as("and in the column the sweeper reads").containsExactly(String.valueOf(now().plusSeconds(60).toEpochMilli()));

        clock.advance(1_000);
        MemoryRecord second = record("default", ns, "k", "second", now().plusSeconds(10), null);
        memories.put(second).block(TIMEOUT);
        memories.refreshExpiry(first.key(), written, now().plusSeconds(600), now()).as(StepVerifier::create).expectNext(false)
                .as("the first write's refresh never touches the second write").verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item().value()).isEqualTo(Map.of("text", "second"));
            assertThat(r.expiresAt()).isEqualTo(now().plusSeconds(10));
        }).verifyComplete();

        clock.advance(10_000);
        memories.refreshExpiry(first.key(), second.item().updatedAt(), now().plusSeconds(600), now()).as(StepVerifier::create)
                .expectNext(false).as("an expired item is not brought back").verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).verifyComplete();
        memories.refreshExpiry(new MemoryKey("default", ns, "absent"), written, now().plusSeconds(60), now()).as(StepVerifier::create)
                .expectNext(false).verifyComplete();
    }
}
