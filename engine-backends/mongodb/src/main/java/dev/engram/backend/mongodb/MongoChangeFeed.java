package dev.engram.backend.mongodb;

import static dev.engram.backend.mongodb.ThreadDocuments.DELETED_UP_TO;
import static dev.engram.backend.mongodb.ThreadDocuments.EXPIRES_AT;
import static dev.engram.backend.mongodb.ThreadDocuments.GENERATION;
import static dev.engram.backend.mongodb.ThreadDocuments.HEAD;
import static dev.engram.backend.mongodb.ThreadDocuments.ID;

import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.OperationType;
import com.mongodb.reactivestreams.client.ClientSession;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ChangeFeed;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Heads of watched threads. Appends of this process are published at once; those of other processes arrive through
 * one change stream on the records collection where the server has them (replica sets, sharded clusters), and
 * otherwise through one shared poller that reads the records of the watched threads (and nothing while nobody
 * watches). Publishing never blocks: each subscriber keeps only the latest head it has not yet requested.
 */
final class MongoChangeFeed implements ChangeFeed {

    private static final Logger log = LoggerFactory.getLogger(MongoChangeFeed.class);
    private static final int POLL_CHUNK = 500;
    private static final Duration STREAM_RETRY = Duration.ofSeconds(1);

    private final MongoStore store;
    private final Clock clock;
    private final Duration pollInterval;
    private final Function<ThreadKey, Mono<Long>> currentHead;
    private final CommitChains chains;
    private final ConcurrentHashMap<ThreadKey, Watched> watched = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private @Nullable Disposable running;
    private volatile boolean polling;
    private volatile boolean reemit;
    private boolean closed;

    /** The subscribers of one thread and the head the poller saw last. */
    private static final class Watched {
        final Set<FluxSink<Long>> sinks = ConcurrentHashMap.newKeySet();
        volatile long lastPolled = -1;

        void emit(long head) {
            for (FluxSink<Long> sink : sinks) {
                sink.next(head);
            }
        }
    }

    MongoChangeFeed(MongoStore store, MongoSettings settings, Clock clock, Function<ThreadKey, Mono<Long>> currentHead) {
        this.store = store;
        this.clock = clock;
        this.pollInterval = settings.pollInterval();
        this.polling = settings.changeFeed() == MongoSettings.ChangeFeedMode.POLL;
        this.currentHead = currentHead;
        this.chains = new CommitChains(store);
    }

    /** Whether heads of other processes come from polling (no change streams, or configured so). */
    boolean isPolling() {
        return polling;
    }

    @Override
    public Flux<Long> heads(ThreadKey key) {
        return Flux.create(sink -> {
            watched.compute(key, (k, w) -> {
                Watched x = w == null ? new Watched() : w;
                x.sinks.add(sink);
                return x;
            });
            sink.onDispose(() -> {
                watched.computeIfPresent(key, (k, w) -> {
                    w.sinks.remove(sink);
                    return w.sinks.isEmpty() ? null : w;
                });
                stopIfIdle();
            });
            startIfNeeded();
            // registered first, then read: an append in between is seen by one or the other
            currentHead.apply(key).subscribe(sink::next, sink::error);
        }, FluxSink.OverflowStrategy.LATEST);
    }

    /** Tells this process's subscribers of the thread its head is now {@code head}. */
    void publish(ThreadKey key, long head) {
        Watched w = watched.get(key);
        if (w != null) {
            w.emit(head);
        }
    }

    void close() {
        synchronized (lifecycle) {
            closed = true;
            if (running != null) {
                running.dispose();
                running = null;
            }
        }
    }

    private void startIfNeeded() {
        synchronized (lifecycle) {
            if (running == null && !closed && !watched.isEmpty()) {
                running = polling ? startPolling() : startStream();
            }
        }
    }

    private void stopIfIdle() {
        synchronized (lifecycle) {
            if (watched.isEmpty() && running != null) {
                running.dispose();
                running = null;
            }
        }
    }

    // ---- polling

    private Disposable startPolling() {
        reemit = true;
        return Flux.interval(pollInterval, pollInterval, Schedulers.parallel())
                .onBackpressureDrop()
                .concatMap(tick -> pollOnce(), 1)
                .subscribe();
    }

    /** One round trip per {@value #POLL_CHUNK} watched threads; a failed poll makes the next one re-emit every head. */
    private Mono<Void> pollOnce() {
        if (watched.isEmpty()) {
            return Mono.empty();
        }
        Map<String, ThreadKey> ids = new HashMap<>();
        watched.keySet().forEach(k -> ids.put(ThreadDocuments.id(k), k));
        List<String> all = new ArrayList<>(ids.keySet());
        List<List<String>> chunks = new ArrayList<>();
        for (int i = 0; i < all.size(); i += POLL_CHUNK) {
            chunks.add(all.subList(i, Math.min(all.size(), i + POLL_CHUNK)));
        }
        return Flux.fromIterable(chunks)
                .concatMap(chunk -> Flux.from(store.threads.find(Filters.in(ID, chunk))
                        .projection(Projections.include(GENERATION, HEAD, DELETED_UP_TO, EXPIRES_AT)))
                        .filter(d -> !ThreadDocuments.isExpired(d, clock.millis()))
                        .collectMap(d -> ids.get(d.getString(ID)))
                        // a record's head may lag its commits: the chunk's chains are followed at once
                        .flatMap(chains::tips))
                .collectList()
                .timeout(pollInterval.multipliedBy(10).plusSeconds(5))
                .doOnNext(tips -> {
                    Map<ThreadKey, CommitChains.Tip> found = new HashMap<>();
                    tips.forEach(found::putAll);
                    boolean all_ = reemit;
                    reemit = false;
                    ids.forEach((id, key) -> {
                        Watched w = watched.get(key);
                        if (w == null) {
                            return;
                        }
                        CommitChains.Tip tip = found.get(key);
                        long head = tip == null ? 0 : tip.head();
                        if (all_ || head != w.lastPolled) {
                            w.lastPolled = head;
                            w.emit(head);
                        }
                    });
                })
                .onErrorResume(e -> {
                    reemit = true;
                    log.debug("polling the heads of watched threads failed; the next poll re-emits them: {}", e.toString());
                    return Mono.empty();
                })
                .then();
    }

    private static long headOf(@Nullable Document record, long now) {
        if (record == null || ThreadDocuments.isExpired(record, now)) {
            return 0;
        }
        return CommitChains.start(record).head();
    }

    // ---- change streams

    /**
     * Opens the stream at a cluster time read first, then re-reads every watched head: what changed before that time is
     * in the re-read, what changed after is in the stream. On a server without change streams, falls back to polling.
     */
    private Disposable startStream() {
        return Mono.usingWhen(store.client.startSession(), this::clusterTime, s -> Mono.fromRunnable(s::close))
                .flatMapMany(time -> {
                    reemitAll();
                    return Flux.from(store.threads.watch(List.of(Aggregates.match(Filters.in("operationType",
                                            List.of("insert", "update", "replace", "delete")))))
                                    .fullDocument(FullDocument.UPDATE_LOOKUP)
                                    .startAtOperationTime(time));
                })
                .doOnNext(this::dispatch)
                .then()
                .onErrorResume(this::streamFailed)
                .subscribe();
    }

    private Mono<BsonTimestamp> clusterTime(ClientSession session) {
        return Mono.from(store.database.runCommand(session, new Document("ping", 1)))
                .then(Mono.fromCallable(session::getOperationTime))
                .switchIfEmpty(Mono.error(() -> new UnsupportedOperationException("the server keeps no cluster time (standalone)")));
    }

    private void dispatch(ChangeStreamDocument<Document> change) {
        if (change.getDocumentKey() == null || !change.getDocumentKey().isString(ID)) {
            return;
        }
        Document full = change.getFullDocument();
        long head;
        if (change.getOperationType() == OperationType.DELETE) {
            head = 0;
        } else if (full != null) {
            head = headOf(full, clock.millis());
        } else {
            return;
        }
        String id = change.getDocumentKey().getString(ID).getValue();
        String[] parts = id.split("/", -1);
        if (parts.length == 3) {
            publish(new ThreadKey(parts[0], parts[1], parts[2]), head);
        }
    }

    private Mono<Void> streamFailed(Throwable e) {
        boolean transientFailure = e instanceof MongoSocketException || e instanceof MongoTimeoutException;
        synchronized (lifecycle) {
            if (closed || running == null) {
                return Mono.empty();
            }
            if (!transientFailure) {
                log.info("change streams are not available ({}); polling watched threads every {}", e.toString(), pollInterval);
                polling = true;
                running = startPolling();
                return Mono.empty();
            }
        }
        log.warn("the change stream failed, reopening it in {}: {}", STREAM_RETRY, e.toString());
        return Mono.delay(STREAM_RETRY).then(Mono.fromRunnable(() -> {
            synchronized (lifecycle) {
                if (!closed && running != null) {
                    running = startStream();
                }
            }
        }));
    }

    private void reemitAll() {
        watched.keySet().forEach(key -> currentHead.apply(key).subscribe(head -> publish(key, head),
                e -> log.debug("re-reading the head of {} failed: {}", key, e.toString())));
    }
}
