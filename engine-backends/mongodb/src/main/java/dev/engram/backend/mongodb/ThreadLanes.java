package dev.engram.backend.mongodb;

import dev.engram.core.model.ThreadKey;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Runs this process's appends to one thread one after the other. Without it, N local writers of a thread would race
 * on the unique index and N-1 of them would lose and read again, for every append; the index still orders writers of
 * different processes. A cancelled or failed append lets the next one go.
 */
final class ThreadLanes {

    private final ConcurrentHashMap<ThreadKey, Mono<Void>> tails = new ConcurrentHashMap<>();

    <T> Mono<T> run(ThreadKey key, Supplier<Mono<T>> op) {
        return Mono.defer(() -> {
            Sinks.Empty<Void> done = Sinks.empty();
            Mono<Void> mine = done.asMono();
            Mono<Void> previous = tails.put(key, mine);
            Mono<Void> before = previous == null ? Mono.empty() : previous;
            return before.then(Mono.defer(op)).doFinally(signal -> {
                tails.remove(key, mine);
                done.tryEmitEmpty();
            });
        });
    }
}
