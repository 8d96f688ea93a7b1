package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.config.ProviderOptions;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Threads spread over the slots of three masters: every script stays in one slot, listing and the feed span nodes. */
@ExtendWith(RedisClusterExtension.class)
class RedisClusterIT {

    private Backend writer;
    private Backend reader;

    @BeforeEach
    void open() {
        ProviderOptions options = new ProviderOptions("providers.redis", Map.of("url", RedisClusterExtension.url(), "cluster", "true",
                "keyPrefix", RedisTestSupport.uniquePrefix("cluster")));
        writer = new RedisProvider().create(new BackendContext(options, Clock.systemUTC()));
        reader = new RedisProvider().create(new BackendContext(options, Clock.systemUTC()));
    }

    @AfterEach
    void close() {
        Mono.when(writer.close(), reader.close()).block();
    }

    @Test
    void everyOperationWorksAcrossTheMasters() {
        String tenant = "tenant-" + UUID.randomUUID();
        List<ThreadKey> keys = IntStream.range(0, 30).mapToObj(i -> new ThreadKey(tenant, String.format("t%02d", i), "")).toList();
        ThreadKey watched = keys.get(7);
        StepVerifier.create(reader.changes().heads(watched))
                .expectNext(0L)
                .then(() -> Flux.fromIterable(keys)
                        .flatMap(k -> writer.events().append(new LogAppend(k, ExpectedVersion.noThread(),
                                List.of(new EventRecord(0, UUID.randomUUID(), "t", 1, new byte[] {1, 2, 3})),
                                Map.of("parity", k.threadId().hashCode() % 2 == 0 ? "even" : "odd"), Duration.ofHours(1),
                                System.currentTimeMillis())))
                        .blockLast())
                .expectNext(1L)
                .thenCancel()
                .verify(Duration.ofSeconds(20));

        List<ThreadRecord> all = reader.events().list(new ThreadQuery(tenant, Map.of(), null, 1000)).block().items();
        assertThat(all).extracting(ThreadRecord::key).containsExactlyElementsOf(keys);
        var firstPage = reader.events().list(new ThreadQuery(tenant, Map.of(), null, 10)).block();
        assertThat(firstPage.items()).hasSize(10);
        assertThat(reader.events().list(new ThreadQuery(tenant, Map.of(), firstPage.next(), 10)).block().items().get(0).key())
                .isEqualTo(keys.get(10));

        ThreadKey k = keys.get(3);
        ThreadRecord r = reader.events().find(k).block();
        assertThat(r.ttlMillis()).isEqualTo(3_600_000);
        assertThat(reader.events().updateMetadata(k, Map.of("x", "1"), Set.of("parity")).block().metadata()).isEqualTo(Map.of("x", "1"));
        writer.checkpoints().save(new StoredCheckpoint(k, 1, r.generation(), 1, new byte[] {4})).block();
        assertThat(reader.checkpoints().load(k, 1).block().data()).containsExactly(4);
        assertThat(reader.events().read(k, 1, 10, 10).collectList().block()).hasSize(1);
        assertThat(writer.events().deleteEventsUpTo(k, 1).block()).isEqualTo(1);
        writer.checkpoints().deleteAll(k).block();
        assertThat(writer.events().delete(k).block()).isTrue();
        assertThat(reader.events().list(new ThreadQuery(tenant, Map.of(), null, 1000)).block().items()).hasSize(29);
        writer.ping().block(Duration.ofSeconds(5));
    }
}
