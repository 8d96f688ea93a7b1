package dev.engram.backend.postgres;

import java.time.Clock;
import java.time.Duration;
import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Removes expired threads and memory items now and then, in bounded batches. Only storage depends on it: reads already
 * treat an expired thread or item as absent. Several servers may sweep the same schema; they skip each other's rows.
 */
final class PostgresSweeper {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresSweeper.class);
    private static final int MAX_BATCHES_PER_RUN = 20;

    /** What one sweep removed. */
    record Swept(long threads, long memories) {
    }

    private final PostgresClient client;
    private final PostgresMemoryStorage memories;
    private final Clock clock;
    private final String sql;
    private final int batchSize;

    PostgresSweeper(PostgresClient client, PostgresMemoryStorage memories, Clock clock) {
        this.client = client;
        this.memories = memories;
        this.clock = clock;
        this.batchSize = client.settings().sweepBatchSize();
        this.sql = "SELECT " + client.settings().quotedSchema() + ".sweep_expired($1, $2)";
    }

    /** Sweeps every {@code interval} until disposed. */
    Disposable start(Duration interval) {
        return Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> sweep()
                        .doOnNext(s -> {
                            if (s.threads() > 0 || s.memories() > 0) {
                                LOG.debug("Swept {} expired threads and {} expired memory items from {}", s.threads(), s.memories(),
                                        client.settings().schema());
                            }
                        })
                        .onErrorResume(e -> {
                            LOG.warn("Sweeping expired data of {} failed: {}", client.settings().schema(), e.toString());
                            return Mono.empty();
                        }), 1)
                .subscribe();
    }

    /**
     * Removes the threads, then the memory items, expired by now, a batch at a time and at most a bounded number of
     * batches each; emits how many of each went.
     */
    Mono<Swept> sweep() {
        return Mono.defer(() -> {
            long now = clock.millis();
            return batches(now, this::threads)
                    .flatMap(threads -> batches(now, this::memoryItems).map(items -> new Swept(threads, items)));
        });
    }

    private Mono<Long> batches(long now, LongFunction<Mono<Long>> once) {
        return once.apply(now)
                .expand(n -> n == batchSize ? once.apply(now) : Mono.empty())
                .take(MAX_BATCHES_PER_RUN)
                .reduce(0L, Long::sum);
    }

    private Mono<Long> threads(long now) {
        return client.query("sweeping expired threads", sql, row -> row.get(0, Integer.class), now, batchSize)
                .map(list -> (long) list.get(0));
    }

    private Mono<Long> memoryItems(long now) {
        return memories.sweep(now, batchSize);
    }
}
