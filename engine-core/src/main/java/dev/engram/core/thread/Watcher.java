package dev.engram.core.thread;

import dev.engram.core.NotFoundException;
import dev.engram.core.SubscriberOverflowException;
import dev.engram.core.config.WatchSettings;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadUpdate;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.EventRecord;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Catch-up then live, as one loop: every head hint (the first one arrives once the feed is subscribed) triggers
 * reading the log from the next undelivered version until it is exhausted. Hints that arrive while reading are
 * coalesced to the latest. Since the log, not the hint, says what to deliver, there is no gap and no duplicate
 * at the switch, and a slow subscriber is simply read for less often, until it is too far behind.
 */
final class Watcher {

    private final ChangeFeed feed;
    private final ThreadEngine engine;
    private final WatchSettings settings;

    Watcher(ChangeFeed feed, ThreadEngine engine, WatchSettings settings) {
        this.feed = feed;
        this.engine = engine;
        this.settings = settings;
    }

    Flux<ThreadUpdate> watch(ThreadKey key, long fromVersion) {
        Cursor cursor = new Cursor(fromVersion);
        Sinks.Empty<Void> cutOff = Sinks.empty();
        Flux<ThreadUpdate> updates = feed.heads(key)
                .doOnNext(head -> cursor.observe(key, head, settings.maxLag(), cutOff))
                .onBackpressureLatest()
                .concatMap(head -> readFrom(key, cursor), 1);
        // prefetch 1: pages are read only as the subscriber asks for them, so the log, not a queue, holds the backlog
        return Flux.merge(1, updates, cutOff.asMono().thenMany(Flux.<ThreadUpdate>empty()))
                .doOnNext(u -> cursor.demand.decrementAndGet())
                .doOnRequest(n -> cursor.demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b));
    }

    private Flux<ThreadUpdate> readFrom(ThreadKey key, Cursor cursor) {
        int batch = settings.batchSize();
        return page(key, cursor.next, batch)
                .expand(page -> page.size() < batch ? Mono.empty() : page(key, page.get(page.size() - 1).version() + 1, batch))
                .filter(page -> !page.isEmpty())
                .map(page -> {
                    cursor.next = page.get(page.size() - 1).version() + 1;
                    return new ThreadUpdate(key, page.stream().map(r -> engine.decode(key, r)).toList());
                });
    }

    private Mono<List<EventRecord>> page(ThreadKey key, long from, int batch) {
        return engine.log().read(key, from, Long.MAX_VALUE, batch).collectList();
    }

    /** Where one subscriber is: the next version to read, the highest head seen, and its outstanding demand. */
    private static final class Cursor {
        volatile long next;
        volatile long highestHead;
        final AtomicLong demand = new AtomicLong();

        Cursor(long next) {
            this.next = next;
        }

        void observe(ThreadKey key, long head, int maxLag, Sinks.Empty<Void> cutOff) {
            // hints from concurrent writers may arrive out of order; only a delete publishes 0
            if (head == 0 && highestHead > 0) {
                cutOff.tryEmitError(new NotFoundException("thread " + key + " was deleted while watched"));
                return;
            }
            highestHead = Math.max(highestHead, head);
            long lag = head - (next - 1);
            if (lag > maxLag && demand.get() <= 0) {
                cutOff.tryEmitError(new SubscriberOverflowException(key, next, lag));
            }
        }
    }
}
