package dev.engram.core.spi.support;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ChangeFeed;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;

/**
 * A change feed for backends whose writers all live in this process. Publishing never blocks: each subscriber
 * keeps only the latest head it has not yet requested.
 */
public final class InProcessChangeFeed implements ChangeFeed {

    private final ConcurrentHashMap<ThreadKey, Set<FluxSink<Long>>> subscribers = new ConcurrentHashMap<>();
    private final Function<ThreadKey, Mono<Long>> currentHead;

    /** @param currentHead reads a thread's head (0 when absent); emitted to each subscriber once it is registered */
    public InProcessChangeFeed(Function<ThreadKey, Mono<Long>> currentHead) {
        this.currentHead = currentHead;
    }

    @Override
    public Flux<Long> heads(ThreadKey key) {
        return Flux.create(sink -> {
            Set<FluxSink<Long>> set = subscribers.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet());
            set.add(sink);
            sink.onDispose(() -> subscribers.computeIfPresent(key, (k, s) -> {
                s.remove(sink);
                return s.isEmpty() ? null : s;
            }));
            // registered first, then read: an append between the two is seen by one or the other
            currentHead.apply(key).subscribe(sink::next, sink::error);
        }, FluxSink.OverflowStrategy.LATEST);
    }

    /** Tells the thread's subscribers its head is now {@code head}. */
    public void publish(ThreadKey key, long head) {
        Set<FluxSink<Long>> set = subscribers.get(key);
        if (set != null) {
            for (FluxSink<Long> sink : set) {
                sink.next(head);
            }
        }
    }
}
