package dev.engram.backend.postgres;

import java.time.Clock;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Removes expired threads now and then, in bounded batches. Only storage depends on it: reads already treat an
 * expired thread as absent. Several servers may sweep the same schema; they skip each other's rows.
 */
final class PostgresSweeper {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresSweeper.class);
    private static final int MAX_BATCHES_PER_RUN = 20;

    private final PostgresClient client;
    private final Clock clock;
    private final String sql;
    private final int batchSize;

    PostgresSweeper(PostgresClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
        this.batchSize = client.settings().sweepBatchSize();
        this.sql = "SELECT " + client.settings().quotedSchema() + ".sweep_expired($1, $2)";
    }

    /** Sweeps every {@code interval} until disposed. */
    Disposable start(Duration interval) {
        return Flux.interval(interval, interval)
                .onBackpressureDrop()
                .concatMap(tick -> sweep()
                        .doOnNext(n -> {
                            if (n > 0) {
                                LOG.debug("Swept {} expired threads from {}", n, client.settings().schema());
                            }
                        })
                        .onErrorResume(e -> {
                            LOG.warn("Sweeping expired threads of {} failed: {}", client.settings().schema(), e.toString());
                            return Mono.empty();
                        }), 1)
                .subscribe();
    }

    /** Removes the threads expired by now, a batch at a time, at most a bounded number of batches; emits how many went. */
    Mono<Long> sweep() {
        return Mono.defer(() -> {
            long now = clock.millis();
            return once(now)
                    .expand(n -> n == batchSize ? once(now) : Mono.empty())
                    .take(MAX_BATCHES_PER_RUN)
                    .reduce(0L, (a, b) -> a + b);
        });
    }

    private Mono<Integer> once(long now) {
        return client.query("sweeping expired threads", sql, row -> row.get(0, Integer.class), now, batchSize)
                .map(list -> list.get(0));
    }
}
