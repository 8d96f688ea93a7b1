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
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** The SPI directly, with a clock the test moves: expiry follows the engine clock, the sweeper, the change feed's reconnect. */
class PostgresBackendIT {

    private final String schema = LocalPostgres.newSchema();
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private Backend backend;

    @BeforeEach
    void open() {
        LocalPostgres.requireRunning();
        backend = LocalPostgres.backend(schema, Map.of("sweepInterval", "0"), clock);
    }

    @AfterEach
    void close() {
        backend.close().block(TIMEOUT);
        LocalPostgres.dropSchema(schema);
    }

    private static EventRecord event(String text) {
        return new EventRecord(0, UUID.randomUUID(), "test", 1, text.getBytes());
    }

    private LogAppend append(ThreadKey key, ExpectedVersion expected, Duration ttl, EventRecord... events) {
        return new LogAppend(key, expected, List.of(events), Map.of("k", "v"), ttl, clock.millis());
    }

    @Test
    void expiryFollowsTheEngineClockAndTheSweeperRemovesTheRows() {
        ThreadKey key = ThreadKey.of("ttl");
        ThreadKey keeper = ThreadKey.of("keeper");
        backend.events().append(append(key, ExpectedVersion.noThread(), Duration.ofMinutes(5), event("a"), event("b"))).block(TIMEOUT);
        backend.events().append(append(keeper, ExpectedVersion.noThread(), null, event("c"))).block(TIMEOUT);
        backend.checkpoints().save(new StoredCheckpoint(key, 2, 7, clock.millis(), new byte[] {1})).block(TIMEOUT);
        long generation = backend.events().find(key).map(ThreadRecord::generation).block(TIMEOUT);
        backend.events().find(key).map(ThreadRecord::expiresAtMillis).as(StepVerifier::create)
                .expectNext(clock.millis() + 300_000).verifyComplete();

        clock.advance(299_999);
        backend.events().find(key).map(ThreadRecord::version).as(StepVerifier::create).expectNext(2L)
                .as("alive a millisecond before its expiry, by the engine clock").verifyComplete();
        clock.advance(1);
        backend.events().find(key).as(StepVerifier::create).as("expired at its expiry instant").verifyComplete();
        backend.events().read(key, 1, Long.MAX_VALUE, 100).as(StepVerifier::create).verifyComplete();
        assertThat(LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".events")).as("still stored, until swept").containsExactly("3");

        assertThat(((PostgresBackend) backend).sweeper().sweep().block(TIMEOUT))
                .isEqualTo(new PostgresSweeper.Swept(1, 0));
        assertThat(LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".events")).as("only the keeper's event").containsExactly("1");
        assertThat(LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".checkpoints")).containsExactly("0");

        backend.events().append(append(key, ExpectedVersion.noThread(), null, event("again"))).as(StepVerifier::create)
                .assertNext(r -> assertThat(r).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false))).verifyComplete();
        backend.events().find(key).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.generation()).isNotEqualTo(generation);
            assertThat(r.expiresAtMillis()).isZero();
        }).verifyComplete();
    }

    @Test
    void appendingToAnExpiredThreadStartsItAfresh() {
        ThreadKey key = ThreadKey.of("reborn");
        EventRecord old = event("old");
        backend.events().append(append(key, ExpectedVersion.any(), Duration.ofSeconds(1), old, event("older"))).block(TIMEOUT);
        long generation = backend.events().find(key).map(ThreadRecord::generation).block(TIMEOUT);
        clock.advance(1_000);
        backend.events().append(append(key, ExpectedVersion.exactly(2), null, event("x"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).hasMessageContaining("actual 0")).verify(TIMEOUT);
        backend.events().append(new LogAppend(key, ExpectedVersion.noThread(), List.of(old), Map.of("new", "yes"), null, clock.millis()))
                .as(StepVerifier::create)
                .assertNext(r -> assertThat(r).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false))).as("an old id is new again: the old events are gone").verifyComplete();
        backend.events().find(key).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.generation()).isNotEqualTo(generation);
            assertThat(r.metadata()).isEqualTo(Map.of("new", "yes"));
            assertThat(r.version()).isEqualTo(1);
            assertThat(r.ttlMillis()).as("the old TTL went with the old thread").isZero();
        }).verifyComplete();
        assertThat(LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".events")).containsExactly("1");
    }

    @Test
    void theTtlIsKeptWhenAnAppendDoesNotSetIt() {
        ThreadKey key = ThreadKey.of("keep-ttl");
        backend.events().append(append(key, ExpectedVersion.any(), Duration.ofSeconds(10), event("a"))).block(TIMEOUT);
        clock.advance(5_000);
        backend.events().append(append(key, ExpectedVersion.any(), null, event("b"))).block(TIMEOUT);
        backend.events().find(key).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.ttlMillis()).isEqualTo(10_000);
            assertThat(r.expiresAtMillis()).as("refreshed from this write").isEqualTo(clock.millis() + 10_000);
        }).verifyComplete();
    }

    @Test
    void theRulesComeInTheirOrder() {
        ThreadKey key = ThreadKey.of("rules");
        EventRecord a = event("a");
        EventRecord b = event("b");
        backend.events().append(append(key, ExpectedVersion.any(), null, a, b)).block(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.exactly(9), null, a, b)).as(StepVerifier::create)
                .expectNext(new LogAppended(1, 2, true)).as("a retry wins over a stale expectation").verifyComplete();
        backend.events().append(append(key, ExpectedVersion.any(), null, new EventRecord(0, a.eventId(), "test", 1, "other".getBytes())))
                .as(StepVerifier::create).expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("different payload")).verify(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.any(), null, a, event("c"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("mixes 1"))
                .verify(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.any(), null, event("c"))).block(TIMEOUT);
        backend.events().append(append(key, ExpectedVersion.any(), null, b, a)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class)).verify(TIMEOUT);
        backend.events().read(key, 1, Long.MAX_VALUE, 100).map(EventRecord::version).collectList().as(StepVerifier::create)
                .expectNext(List.of(1L, 2L, 3L)).verifyComplete();
    }

    @Test
    void theChangeFeedReconnectsAndCatchesUp() {
        ThreadKey key = ThreadKey.of("feed");
        backend.events().append(append(key, ExpectedVersion.any(), null, event("1"))).block(TIMEOUT);
        PostgresChangeFeed feed = ((PostgresBackend) backend).feed();
        backend.changes().heads(key).as(StepVerifier::create)
                .expectNext(1L).as("the current head once live")
                .then(() -> backend.events().append(append(key, ExpectedVersion.any(), null, event("2"))).block(TIMEOUT))
                .expectNext(2L)
                .then(() -> {
                    // cut the LISTEN connection as a failover or a restart would, and append while nobody listens
                    LocalPostgres.sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%"
                            + "engram_" + schema + "%'");
                    backend.events().append(append(key, ExpectedVersion.any(), null, event("3"))).block(TIMEOUT);
                })
                .expectNextMatches(h -> h >= 3).as("after reconnecting, the current head: nothing lost")
                .then(() -> assertThat(feed.isLive()).isTrue())
                .then(() -> backend.events().append(append(key, ExpectedVersion.any(), null, event("4"))).block(TIMEOUT))
                .expectNextMatches(h -> h == 4 || h == 3)
                .thenCancel()
                .verify(TIMEOUT);
        backend.events().delete(key).block(TIMEOUT);
        backend.changes().heads(key).take(1).as(StepVerifier::create).expectNext(0L).as("0 for a deleted thread").verifyComplete();
    }

    @Test
    void metadataUpdatesAndPartialDeletes() {
        ThreadKey key = ThreadKey.of("meta");
        backend.events().append(append(key, ExpectedVersion.any(), null, event("1"), event("2"), event("3"))).block(TIMEOUT);
        backend.events().updateMetadata(key, Map.of("a", "1", "b", "2"), java.util.Set.of("k", "b")).map(ThreadRecord::metadata)
                .as(StepVerifier::create).expectNext(Map.of("a", "1")).verifyComplete();
        backend.events().updateMetadata(ThreadKey.of("absent"), Map.of("a", "1"), java.util.Set.of()).as(StepVerifier::create)
                .expectError(dev.engram.core.NotFoundException.class).verify(TIMEOUT);
        backend.events().deleteEventsUpTo(key, 2).as(StepVerifier::create).expectNext(2L).verifyComplete();
        backend.events().read(key, 1, 10, 10).map(EventRecord::version).as(StepVerifier::create).expectNext(3L).verifyComplete();
        backend.events().find(key).map(ThreadRecord::version).as(StepVerifier::create).expectNext(3L).verifyComplete();
        Mono<Boolean> delete = backend.events().delete(key);
        delete.as(StepVerifier::create).expectNext(true).verifyComplete();
        delete.as(StepVerifier::create).expectNext(false).verifyComplete();
    }
}
