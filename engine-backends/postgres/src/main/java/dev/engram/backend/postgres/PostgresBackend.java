package dev.engram.backend.postgres;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/** A PostgreSQL schema as an Engram backend. */
final class PostgresBackend implements Backend {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresBackend.class);

    private final PostgresClient client;
    private final PostgresEventLog events;
    private final PostgresCheckpointStore checkpoints;
    private final PostgresChangeFeed changes;
    private final PostgresMemoryStorage memories;
    private final PostgresSweeper sweeper;
    private final @Nullable Disposable sweeping;

    private PostgresBackend(PostgresClient client, Clock clock) {
        this.client = client;
        this.events = new PostgresEventLog(client, clock);
        this.checkpoints = new PostgresCheckpointStore(client);
        this.changes = new PostgresChangeFeed(client, events::head);
        this.memories = new PostgresMemoryStorage(client, clock);
        this.sweeper = new PostgresSweeper(client, memories, clock);
        this.sweeping = client.settings().sweepInterval().isZero() ? null : sweeper.start(client.settings().sweepInterval());
    }

    static PostgresBackend create(PostgresSettings settings, Clock clock) {
        PostgresBackend backend = new PostgresBackend(PostgresClient.create(settings), clock);
        LOG.info("PostgreSQL backend on {}", settings);
        // migrate now rather than on the first request; a server that is not up yet is retried by that request
        backend.client.ready().subscribe(null, e -> { });
        return backend;
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
        return client.ping();
    }

    PostgresClient client() {
        return client;
    }

    PostgresSweeper sweeper() {
        return sweeper;
    }

    PostgresChangeFeed feed() {
        return changes;
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            if (sweeping != null) {
                sweeping.dispose();
            }
            return changes.close()
                    .then(events.batcher().close())
                    .then(client.close());
        });
    }
}
