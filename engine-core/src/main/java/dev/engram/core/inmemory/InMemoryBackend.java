package dev.engram.core.inmemory;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.util.EnumSet;
import java.util.Set;
import reactor.core.publisher.Mono;

final class InMemoryBackend implements Backend {

    private final InMemoryStore store;
    private final Set<Capability> capabilities;

    InMemoryBackend(InMemoryStore store, boolean shared) {
        this.store = store;
        this.capabilities = shared ? EnumSet.of(Capability.SHARED_STORAGE) : EnumSet.noneOf(Capability.class);
    }

    @Override
    public EventLog events() {
        return store;
    }

    @Override
    public CheckpointStore checkpoints() {
        return store.checkpointStore();
    }

    @Override
    public ChangeFeed changes() {
        return store.feed();
    }

    @Override
    public MemoryStorage memories() {
        return store.memories();
    }

    @Override
    public Set<Capability> capabilities() {
        return capabilities;
    }

    @Override
    public Mono<Void> ping() {
        return Mono.empty();
    }

    @Override
    public Mono<Void> close() {
        return Mono.empty();
    }
}
