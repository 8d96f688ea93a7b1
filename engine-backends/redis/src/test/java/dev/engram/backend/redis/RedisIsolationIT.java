package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.StoredCheckpoint;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Two key prefixes on one server are two deployments: nothing of one is visible to the other. */
class RedisIsolationIT {

    private final String prefixA = RedisTestSupport.uniquePrefix("iso-a");
    private final String prefixB = RedisTestSupport.uniquePrefix("iso-b");
    private Backend a;
    private Backend b;

    @BeforeEach
    void open() {
        RedisTestSupport.requireRedis();
        a = RedisTestSupport.backend(prefixA, Clock.systemUTC());
        b = RedisTestSupport.backend(prefixB, Clock.systemUTC());
    }

    @AfterEach
    void close() {
        Mono.when(a.close(), b.close()).block();
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefixA);
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefixB);
    }

    @Test
    void twoPrefixesDoNotSeeEachOther() {
        ThreadKey key = ThreadKey.of("shared-tenant", "same-thread");
        EventRecord event = new EventRecord(0, UUID.randomUUID(), "t", 1, new byte[] {1});
        StepVerifier.create(b.changes().heads(key))
                .expectNext(0L)
                .then(() -> {
                    a.events().append(new LogAppend(key, ExpectedVersion.noThread(), List.of(event), Map.of(), null,
                            System.currentTimeMillis())).block();
                    a.checkpoints().save(new StoredCheckpoint(key, 1, 7, 1, new byte[] {2})).block();
                })
                .expectNoEvent(Duration.ofMillis(300))
                .thenCancel()
                .verify(Duration.ofSeconds(10));

        assertThat(b.events().find(key).blockOptional()).isEmpty();
        assertThat(b.events().read(key, 1, 10, 10).collectList().block()).isEmpty();
        assertThat(b.events().list(ThreadQuery.of("shared-tenant")).block().items()).isEmpty();
        assertThat(b.checkpoints().list(key).collectList().block()).isEmpty();
        assertThat(b.events().delete(key).block()).isFalse();
        // the same event id is new to the other prefix
        assertThat(b.events().append(new LogAppend(key, ExpectedVersion.noThread(), List.of(event), Map.of(), null,
                System.currentTimeMillis())).block().deduplicated()).isFalse();
        assertThat(a.events().find(key).block().version()).isEqualTo(1);
        assertThat(a.events().list(ThreadQuery.of("shared-tenant")).block().items()).hasSize(1);
    }
}
