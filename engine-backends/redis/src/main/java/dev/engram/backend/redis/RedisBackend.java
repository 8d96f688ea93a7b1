package dev.engram.backend.redis;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import reactor.core.publisher.Mono;

/** A Redis deployment (one key prefix on one server or Cluster) as an Engram backend. */
final class RedisBackend implements Backend {

    private final RedisConnections redis;
    private final RedisEventLog events;
    private final RedisCheckpointStore checkpoints;
    private final RedisChangeFeed changes;
    private final RedisMemoryStorage memories;

    RedisBackend(RedisSettings settings, Clock clock) {
        this.redis = new RedisConnections(settings);
        RedisKeys keys = new RedisKeys(settings.keyPrefix());
        this.events = new RedisEventLog(redis, keys, clock, settings.cluster());
        this.checkpoints = new RedisCheckpointStore(redis, keys, clock);
        this.changes = new RedisChangeFeed(redis, keys, events::head);
        this.memories = new RedisMemoryStorage(redis, keys, clock);
        redis.openInBackground();
    }

    @Override
    public EventLog events() {
        return events;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public ChangeFeed changes() {
        return changes;
    }

    @Override
    public MemoryStorage memories() {
        return memories;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.DURABLE, Capability.SHARED_STORAGE);
    }

    @Override
    public Mono<Void> ping() {
        return redis.commands()
                .flatMap(c -> c.ping())
                .then()
                .onErrorMap(e -> RedisErrors.translate(e, "ping"));
    }

    @Override
    public Mono<Void> close() {
        return Mono.fromRunnable(changes::close).then(events.close()).then(redis.close());
    }
}
