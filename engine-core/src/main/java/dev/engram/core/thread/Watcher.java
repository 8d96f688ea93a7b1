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
                .concatMap(head -> cursor.suspectDeleted ? verifyThenRead(key, cursor) : readFrom(key, cursor), 1);
        // prefetch 1: pages are read only as the subscriber asks for them, so the log, not a queue, holds the backlog
        return Flux.merge(1, updates, cutOff.asMono().thenMany(Flux.<ThreadUpdate>empty()))
                .doOnNext(u -> {
                    cursor.delivered = u.lastVersion();
                    cursor.demand.decrementAndGet();
                })
                .doOnRequest(n -> cursor.demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b));
    }

    /** A head below what was read may be a reordered hint or a delete; the stored head tells which. */
    private Flux<ThreadUpdate> verifyThenRead(ThreadKey key, Cursor cursor) {
        cursor.suspectDeleted = false;
        return engine.log().find(key).map(r -> r.version()).defaultIfEmpty(0L).flatMapMany(head -> head < cursor.next - 1
                ? Flux.error(new NotFoundException("thread " + key + " was deleted while watched"))
                : readFrom(key, cursor));
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

    /**
     * Where one subscriber is: the next version to read, the last version delivered to it, whether a hint suggested a
     * delete, and its outstanding demand.
     */
    private static final class Cursor {
        volatile long next;
        volatile long delivered;
        volatile boolean suspectDeleted;
        final AtomicLong demand = new AtomicLong();

        Cursor(long next) {
            this.next = next;
            this.delivered = next - 1;
        }

        void observe(ThreadKey key, long head, int maxLag, Sinks.Empty<Void> cutOff) {
            if (head < next - 1) {
                // hints from concurrent writers can arrive out of order, so a lower head alone does not prove a delete
                suspectDeleted = true;
                return;
            }
            // measured from what the subscriber received, not from what was read ahead for it
            long lag = head - delivered;
            if (lag > maxLag && demand.get() <= 0) {
                cutOff.tryEmitError(new SubscriberOverflowException(key, delivered + 1, lag));
            }
        }
    }
}
