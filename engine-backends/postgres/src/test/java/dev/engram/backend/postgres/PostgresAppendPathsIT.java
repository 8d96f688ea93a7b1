package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.InvalidInputException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * The two ways {@code append_batch} decides an append to a live thread: when the expectation holds it inserts first
 * and looks the ids up only if some were stored already (taking back what went in); when it does not hold it looks
 * them up first. Either way a retry is deduplicated and a refused append leaves nothing behind.
 */
class PostgresAppendPathsIT {

    private static final long NOW = 1_700_000_000_000L;

    private final String schema = LocalPostgres.newSchema();
    private Backend backend;

    @BeforeEach
    void open() {
        LocalPostgres.requireRunning();
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), new MutableClock(NOW));
    }

    @AfterEach
    void close() {
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
    }

    private static EventRecord event(String text) {
        return event(UUID.randomUUID(), text);
    }

    private static EventRecord event(UUID id, String text) {
        return new EventRecord(0, id, "test", NOW, text.getBytes(StandardCharsets.UTF_8));
    }

    private static LogAppend append(ThreadKey key, ExpectedVersion expected, EventRecord... events) {
        return new LogAppend(key, expected, List.of(events), Map.of(), null, NOW);
    }

    private List<Long> versions(ThreadKey key) {
        return backend.events().read(key, 1, Long.MAX_VALUE, 1000).map(EventRecord::version).collectList().block(TIMEOUT);
    }

    private List<String> rows(ThreadKey key) {
        return LocalPostgres.sql("SELECT count(*) || ' ' || max(version) FROM \"" + schema + "\".events WHERE thread_id = '"
                + key.threadId() + "'");
    }

    @Test
    void aRetryIsDeduplicatedWhicheverHeadItExpects() {
        ThreadKey key = ThreadKey.of("retry");
        EventRecord a = event("a");
        EventRecord b = event("b");
        backend.events().append(append(key, ExpectedVersion.any(), event("first"))).block(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.exactly(1), a, b)).as(StepVerifier::create)
                .expectNext(new LogAppended(2, 3, false)).verifyComplete();

        backend.events().append(append(key, ExpectedVersion.exactly(1), a, b)).as(StepVerifier::create)
                .expectNext(new LogAppended(2, 3, true)).as("expecting the head it was sent at: looked up first").verifyComplete();
        backend.events().append(append(key, ExpectedVersion.exactly(3), a, b)).as(StepVerifier::create)
                .expectNext(new LogAppended(2, 3, true)).as("expecting the head it made: the insert meets the stored ids").verifyComplete();
        backend.events().append(append(key, ExpectedVersion.noThread(), a, b)).as(StepVerifier::create)
                .expectNext(new LogAppended(2, 3, true)).verifyComplete();
        backend.events().append(append(key, ExpectedVersion.any(), b)).as(StepVerifier::create)
                .expectNext(new LogAppended(3, 3, true)).as("the tail of an append").verifyComplete();

        assertThat(versions(key)).containsExactly(1L, 2L, 3L);
        backend.events().find(key).map(ThreadRecord::version).as(StepVerifier::create).expectNext(3L).verifyComplete();
    }

    @Test
    void aRefusedRetryLeavesNothingWhicheverPathItTakes() {
        ThreadKey key = ThreadKey.of("refused");
        EventRecord a = event("a");
        EventRecord b = event("b");
        backend.events().append(append(key, ExpectedVersion.any(), a, b)).block(TIMEOUT);
        EventRecord otherBytes = event(a.eventId(), "not a");

        backend.events().append(append(key, ExpectedVersion.exactly(2), otherBytes)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("different payload"))
                .verify(TIMEOUT);
        // the same, looked up first
        backend.events().append(append(key, ExpectedVersion.exactly(0), otherBytes)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("different payload"))
                .verify(TIMEOUT);
        // a stored id, then a new one that goes in and is taken back
        backend.events().append(append(key, ExpectedVersion.exactly(2), a, event("new"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("mixes 1"))
                .verify(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.exactly(2), event("new"), b)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("mixes 1"))
                .verify(TIMEOUT);
        // stored ids out of their order
        backend.events().append(append(key, ExpectedVersion.exactly(2), b, a)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("different batches"))
                .verify(TIMEOUT);
        assertThat(rows(key)).as("nothing of the refused appends").containsExactly("2 2");

        backend.events().append(append(key, ExpectedVersion.exactly(2), event("c"))).as(StepVerifier::create)
                .expectNext(new LogAppended(3, 3, false)).as("no gap where the taken-back events were").verifyComplete();
        assertThat(versions(key)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void oneAppendOfACallIsRefusedWhileTheOthersLand() {
        ThreadKey one = ThreadKey.of("one");
        ThreadKey two = ThreadKey.of("two");
        ThreadKey three = ThreadKey.of("three");
        EventRecord a = event("a");
        backend.events().append(append(one, ExpectedVersion.any(), a)).block(TIMEOUT);
        backend.events().append(append(two, ExpectedVersion.any(), event("b"))).block(TIMEOUT);

        // one call, as the batcher makes under load: each append decided on its own, in order, in one transaction
        try (SqlSession session = new SqlSession(LocalPostgres.factory())) {
            assertThat(session.appendBatch("\"" + schema + "\"", List.of(
                    append(one, ExpectedVersion.exactly(1), event("c")),
                    append(two, ExpectedVersion.exactly(5), event("d")),
                    append(three, ExpectedVersion.noThread(), event("e"), event("f")),
                    append(one, ExpectedVersion.exactly(2), a),
                    append(one, ExpectedVersion.exactly(2), event("g")),
                    append(two, ExpectedVersion.any(), a))))
                    .containsExactly(
                            "0 2..2 0 null",     // lands
                            "2 0..0 1 null",     // conflicts with head 1
                            "0 1..2 0 null",     // creates its thread
                            "1 1..1 0 null",     // a retry
                            "0 3..3 0 null",     // lands after the append before it in the same call
                            "0 2..2 0 null");    // an id is unique per thread only
        }
        assertThat(versions(one)).containsExactly(1L, 2L, 3L);
        assertThat(versions(two)).as("the refused append wrote nothing, the last one landed").containsExactly(1L, 2L);
        assertThat(versions(three)).containsExactly(1L, 2L);
    }

    @Test
    void aSchemaOfThePreviousVersionGetsTheNewFunctionsAndKeepsItsThreads() {
        backend.ping().block(TIMEOUT); // the migration started at creation is over
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
        // the schema as the previous version left it: V1 to V3 applied and recorded, and a thread appended by V2's function
        String s = "\"" + schema + "\"";
        StringBuilder previous = new StringBuilder("CREATE SCHEMA " + s + "; CREATE TABLE " + s + ".engram_migrations"
                + " (version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());");
        for (PostgresMigrations.Migration m : PostgresMigrations.ALL.subList(0, 3)) {
            previous.append(PostgresMigrations.script(m.resource()).replace("${schema}", s).replace("${channel}", "'engram_" + schema + "'"))
                    .append(";\nINSERT INTO ").append(s).append(".engram_migrations (version, description) VALUES (")
                    .append(m.version()).append(", '").append(m.description()).append("');\n");
        }
        LocalPostgres.script(previous.toString());
        ThreadKey key = ThreadKey.of("old");
        EventRecord a = event("a");
        try (SqlSession session = new SqlSession(LocalPostgres.factory())) {
            assertThat(session.appendBatch(s, List.of(append(key, ExpectedVersion.noThread(), a, event("b")))))
                    .containsExactly("0 1..2 0 null");
        }

        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), new MutableClock(NOW));
        // decided by the new function over the rows the old one wrote
        backend.events().append(append(key, ExpectedVersion.noThread(), a)).as(StepVerifier::create)
                .expectNext(new LogAppended(1, 1, true)).verifyComplete();
        backend.events().append(append(key, ExpectedVersion.exactly(2), a, event("new"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("mixes 1"))
                .verify(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.exactly(2), event("c"))).as(StepVerifier::create)
                .expectNext(new LogAppended(3, 3, false)).verifyComplete();
        assertThat(LocalPostgres.sql("SELECT version FROM " + s + ".engram_migrations ORDER BY version")).containsExactly("1", "2", "3", "4");

        // the script again over what it made (a lost record): nothing changes
        backend.close().block(TIMEOUT);
        LocalPostgres.sql("DELETE FROM " + s + ".engram_migrations WHERE version = 4");
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), new MutableClock(NOW));
        backend.events().append(append(key, ExpectedVersion.exactly(2), event("c"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("actual 3")).verify(TIMEOUT);
        assertThat(versions(key)).containsExactly(1L, 2L, 3L);
        assertThat(LocalPostgres.sql("SELECT version FROM " + s + ".engram_migrations ORDER BY version")).containsExactly("1", "2", "3", "4");
    }
}
