package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class RedisBasicsIT {

    private final String prefix = RedisTestSupport.uniquePrefix("basics");
    private Backend backend;

    @BeforeEach
    void open() {
        RedisTestSupport.requireRedis();
        backend = RedisTestSupport.backend(prefix, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        backend.close().block();
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefix);
    }

    static EventRecord event(byte... data) {
        return new EventRecord(0, UUID.randomUUID(), "t", 42, data);
    }

    static LogAppend append(ThreadKey key, ExpectedVersion expected, List<EventRecord> events) {
        return new LogAppend(key, expected, events, Map.of("a", "b"), null, System.currentTimeMillis());
    }

    @Test
    void appendReadDedupConflict() {
        ThreadKey key = ThreadKey.of("acme", "t1");
        List<EventRecord> batch = List.of(event((byte) 0, (byte) 0xff, (byte) 0x80), event());
        assertThat(backend.events().append(append(key, ExpectedVersion.noThread(), batch)).block())
                .usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 2, false));
        assertThat(backend.events().append(append(key, ExpectedVersion.noThread(), batch)).block())
                .usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 2, true));
        StepVerifier.create(backend.events().append(append(key, ExpectedVersion.exactly(1), List.of(event()))))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(VersionConflictException.class)
                        .extracting(x -> ((VersionConflictException) x).actual()).isEqualTo(2L))
                .verify();
        StepVerifier.create(backend.events().append(append(key, ExpectedVersion.any(),
                        List.of(new EventRecord(0, batch.get(0).eventId(), "t", 1, new byte[] {9})))))
                .expectError(InvalidInputException.class).verify();
        List<EventRecord> read = backend.events().read(key, 1, Long.MAX_VALUE, 100).collectList().block();
        assertThat(read).containsExactly(batch.get(0).withVersion(1), batch.get(1).withVersion(2));
        ThreadRecord r = backend.events().find(key).block();
        assertThat(r.version()).isEqualTo(2);
        assertThat(r.metadata()).isEqualTo(Map.of("a", "b"));
        assertThat(backend.events().updateMetadata(key, Map.of("x", "y"), Set.of("a")).block().metadata()).isEqualTo(Map.of("x", "y"));
        assertThat(backend.events().list(ThreadQuery.of("acme")).block().items()).extracting(ThreadRecord::key).containsExactly(key);
        assertThat(backend.events().deleteEventsUpTo(key, 1).block()).isEqualTo(1);
        assertThat(backend.events().read(key, 1, 10, 10).collectList().block()).hasSize(1);
        backend.checkpoints().save(new StoredCheckpoint(key, 2, r.generation(), 5, new byte[] {1, 2})).block();
        assertThat(backend.checkpoints().list(key).collectList().block()).hasSize(1);
        assertThat(backend.checkpoints().load(key, 2).block().data()).containsExactly(1, 2);
        assertThat(backend.events().delete(key).block()).isTrue();
        assertThat(backend.events().delete(key).block()).isFalse();
        assertThat(backend.events().list(ThreadQuery.of("acme")).block().items()).isEmpty();
        backend.ping().block(Duration.ofSeconds(5));
    }

    @Test
    void feed() {
        ThreadKey key = ThreadKey.of("acme", "feed");
        StepVerifier.create(backend.changes().heads(key))
                .expectNext(0L)
                .then(() -> backend.events().append(append(key, ExpectedVersion.any(), List.of(event()))).block())
                .expectNext(1L)
                .then(() -> backend.events().delete(key).block())
                .expectNext(0L)
                .thenCancel()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void aThreadLeftUnlistedByACrashIsListedByItsNextAppend() {
        ThreadKey key = ThreadKey.of("acme", "unlisted");
        LogAppended created = backend.events().append(append(key, ExpectedVersion.noThread(), List.of(event()))).block();
        assertThat(created.generation()).as("the new thread's generation, reported on creation")
                .isEqualTo(backend.events().find(key).block().generation());
        RedisKeys keys = new RedisKeys(prefix);
        try (var client = io.lettuce.core.RedisClient.create(RedisTestSupport.URL); var c = client.connect()) {
            // what a writer that died between its append and the index update leaves: a thread, unlisted and unmarked
            c.sync().zrem(keys.tenantIndex("acme"), RedisKeys.member(key));
            c.sync().hdel(keys.record(key), "ix");
            assertThat(backend.events().list(ThreadQuery.of("acme")).block().items()).as("unlisted").isEmpty();

            LogAppended next = backend.events().append(append(key, ExpectedVersion.exactly(1), List.of(event()))).block();

            assertThat(next.generation()).as("not a creation: no generation reported").isZero();
            assertThat(backend.events().list(ThreadQuery.of("acme")).block().items()).extracting(ThreadRecord::key).containsExactly(key);
            assertThat(c.sync().hexists(keys.record(key), "ix")).as("marked, so later appends skip the index").isTrue();
        }
    }
}
