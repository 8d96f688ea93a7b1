package dev.engram.core.thread;

import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import dev.engram.core.model.ThreadUpdate;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

final class DefaultThreadHandle implements ThreadHandle {

    private final ThreadEngine engine;
    private final ThreadKey key;

    DefaultThreadHandle(ThreadEngine engine, ThreadKey key) {
        this.engine = engine;
        this.key = key;
    }

    @Override
    public ThreadKey key() {
        return key;
    }

    @Override
    public Mono<Appended> append(AppendBatch batch) {
        Objects.requireNonNull(batch, "batch");
        return engine.append(key, batch);
    }

    @Override
    public Flux<Event> events(long fromVersion) {
        return engine.events(key, fromVersion, Long.MAX_VALUE);
    }

    @Override
    public Flux<Event> events(long fromVersion, int limit) {
        return engine.events(key, fromVersion, limit);
    }

    @Override
    public Mono<ThreadState> state() {
        return engine.state(key);
    }

    @Override
    public Mono<ThreadState> stateAt(long version) {
        return engine.stateAt(key, version);
    }

    @Override
    public Mono<ThreadInfo> info() {
        return engine.info(key);
    }

    @Override
    public Mono<ThreadInfo> updateMetadata(Map<String, String> set, Set<String> remove) {
        return engine.updateMetadata(key, set, remove);
    }

    @Override
    public Flux<ThreadUpdate> watch(long fromVersion) {
        return engine.watch(key, fromVersion);
    }

    @Override
    public Mono<CheckpointInfo> checkpoint() {
        return engine.checkpoint(key);
    }

    @Override
    public Flux<CheckpointInfo> checkpoints() {
        return engine.checkpoints(key);
    }

    @Override
    public Mono<ThreadInfo> fork(ThreadKey newKey, long atVersion) {
        Objects.requireNonNull(newKey, "newKey");
        return engine.fork(key, newKey, atVersion);
    }

    @Override
    public Mono<Boolean> delete() {
        return engine.delete(key);
    }

    @Override
    public String toString() {
        return "ThreadHandle[" + key + "]";
    }
}
