package dev.engram.backend.mongodb;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;
import org.bson.Document;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** A MongoDB database shared by every engine created with the same url, database and collection prefix. */
final class MongoBackend implements Backend {

    private final MongoClient client;
    private final MongoStore store;
    private final MongoEventLog events;
    private final MongoCheckpointStore checkpoints;
    private final MongoChangeFeed changes;
    private final MongoMemoryStorage memories;

    MongoBackend(MongoSettings settings, Clock clock) {
        this.client = MongoClients.create(settings.clientSettings());
        this.store = new MongoStore(client, settings);
        MongoEventLog[] log = new MongoEventLog[1];
        this.changes = new MongoChangeFeed(store, settings, clock, key -> log[0].head(key));
        this.events = log[0] = new MongoEventLog(store, clock, changes::publish);
        this.checkpoints = new MongoCheckpointStore(store);
        this.memories = new MongoMemoryStorage(store, clock);
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

    MongoChangeFeed feed() {
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
        return store.run("ping", Mono.from(store.database.runCommand(new Document("ping", 1))).then());
    }

    @Override
    public Mono<Void> close() {
        // the driver's close waits for its pools to shut: not on a caller's or event loop's thread
        return events.close().then(Mono.fromRunnable(() -> {
            changes.close();
            client.close();
        }).subscribeOn(Schedulers.boundedElastic())).then();
    }
}
