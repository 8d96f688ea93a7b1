package dev.engram.backend.postgres;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ChangeFeed;
import io.r2dbc.postgresql.api.Notification;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.ValidationDepth;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Heads over LISTEN/NOTIFY: appends and deletes {@code pg_notify} the schema's channel with
 * {@code tenant/thread/namespace/head} when they commit, and one dedicated connection per backend listens and fans
 * the notifications out to this process's subscribers. That connection opens with the first subscription; when it is
 * lost it is opened again with backoff, and every subscribed thread's current head is re-read and emitted, which
 * covers whatever was notified while nobody listened.
 */
final class PostgresChangeFeed implements ChangeFeed {

    private static final Logger LOG = LoggerFactory.getLogger(PostgresChangeFeed.class);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(5);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final int CATCH_UP_CONCURRENCY = 8;

    private final PostgresClient client;
    private final Function<ThreadKey, Mono<Long>> currentHead;
    private final ConcurrentHashMap<ThreadKey, Set<FluxSink<Long>>> subscribers = new ConcurrentHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private volatile boolean live;
    private volatile boolean closed;
    private volatile @Nullable Disposable listener;

    PostgresChangeFeed(PostgresClient client, Function<ThreadKey, Mono<Long>> currentHead) {
        this.client = client;
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
            startListening();
            // registered first, then checked: either this sees the listener live, or the listener's catch-up sees this sink
            if (live) {
                emitCurrentHead(key, Set.of(sink)).subscribe();
            }
        }, FluxSink.OverflowStrategy.LATEST);
    }

    /** Whether the LISTEN connection is up (for tests and health). */
    boolean isLive() {
        return live;
    }

    Mono<Void> close() {
        return Mono.fromRunnable(() -> {
            closed = true;
            live = false;
            Disposable d = listener;
            if (d != null) {
                d.dispose();
            }
        });
    }

    private void startListening() {
        if (!started.compareAndSet(false, true)) {
            return;
        }
        listener = Flux.defer(this::session)
                // a session that ends without an error lost its connection too
                .concatWith(Mono.error(() -> new IllegalStateException("the LISTEN connection closed")))
                .doOnError(e -> {
                    if (live) {
                        LOG.warn("Lost the change feed connection of schema {}; reconnecting: {}", client.settings().schema(), e.toString());
                    }
                    live = false;
                })
                // transient: the backoff starts over after each session that went live
                .retryWhen(Retry.backoff(Long.MAX_VALUE, FIRST_BACKOFF).maxBackoff(MAX_BACKOFF).transientErrors(true)
                        .filter(e -> !closed))
                .subscribe(null, e -> LOG.debug("Change feed of {} stopped: {}", client.settings().schema(), e.toString()));
        if (closed) {
            listener.dispose();
        }
    }

    /** One LISTEN connection: emits once when it is listening, then dispatches until it fails. */
    private Flux<Boolean> session() {
        return client.ready().thenMany(Flux.usingWhen(client.unpooled().create(), c -> {
            Flux<Boolean> notifications = c.getNotifications().doOnNext(this::dispatch).thenMany(Flux.empty());
            Mono<Boolean> listen = Flux.from(c.createStatement("LISTEN \"" + client.settings().channel() + "\"").execute())
                    .concatMap(r -> r.getRowsUpdated())
                    .then(Mono.fromCallable(() -> {
                        live = true;
                        LOG.debug("Listening on {}", client.settings().channel());
                        catchUp();
                        return true;
                    }));
            Flux<Boolean> keepAlive = Flux.interval(KEEP_ALIVE)
                    .concatMap(tick -> c.validate(ValidationDepth.REMOTE).timeout(client.settings().connectTimeout()))
                    .flatMap(ok -> ok ? Mono.empty() : Mono.error(new IllegalStateException("the LISTEN connection does not answer")));
            // notifications first: the driver drops what arrives while nobody subscribes
            return Flux.merge(notifications, listen, keepAlive);
        }, PostgresqlConnection::close));
    }

    private void dispatch(Notification n) {
        String payload = n.getParameter();
        if (payload == null) {
            return;
        }
        String[] parts = payload.split("/", -1);
        if (parts.length != 4) {
            return;
        }
        ThreadKey key;
        long head;
        try {
            key = new ThreadKey(parts[0], parts[1], parts[2]);
            head = Long.parseLong(parts[3]);
        } catch (RuntimeException e) {
            LOG.debug("Ignoring notification '{}' on {}", payload, n.getName());
            return;
        }
        Set<FluxSink<Long>> sinks = subscribers.get(key);
        if (sinks != null) {
            for (FluxSink<Long> sink : sinks) {
                sink.next(head);
            }
        }
    }

    /** Emits the current head of every subscribed thread: whatever was notified while nobody listened is covered. */
    private void catchUp() {
        Flux.fromIterable(subscribers.entrySet())
                .flatMap(e -> emitCurrentHead(e.getKey(), e.getValue()), CATCH_UP_CONCURRENCY)
                .subscribe();
    }

    private Mono<Void> emitCurrentHead(ThreadKey key, Set<FluxSink<Long>> sinks) {
        return currentHead.apply(key)
                .retryWhen(Retry.backoff(3, FIRST_BACKOFF))
                .doOnNext(head -> sinks.forEach(s -> s.next(head)))
                .onErrorResume(e -> {
                    LOG.warn("Cannot read the head of {} for its subscribers: {}", key, e.toString());
                    return Mono.empty();
                })
                .then();
    }
}
