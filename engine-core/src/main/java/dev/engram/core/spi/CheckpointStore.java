package dev.engram.core.spi;

import dev.engram.core.model.ThreadKey;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Checkpoints per thread, keyed by version. Saving the same version again replaces it. */
public interface CheckpointStore {

    Mono<Void> save(StoredCheckpoint checkpoint);

    /** Emits the thread's checkpoints without their bytes, newest version first. */
    Flux<CheckpointMeta> list(ThreadKey key);

    /** Emits the checkpoint at exactly {@code version}, or completes empty. */
    Mono<StoredCheckpoint> load(ThreadKey key, long version);

    Mono<Void> delete(ThreadKey key, long version);

    Mono<Void> deleteAll(ThreadKey key);
}
