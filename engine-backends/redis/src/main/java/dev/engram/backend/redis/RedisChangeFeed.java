package dev.engram.backend.redis;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ChangeFeed;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Heads over Redis pub/sub: the append and delete scripts publish a thread's new head on its channel. One
 * subscription per channel serves every local subscriber of that thread; it is made when the first one arrives
 * and dropped when the last one leaves. Once Redis confirms a subscription the current head is read and emitted,
 * and again whenever Lettuce re-subscribes after a reconnect, so a notification lost meanwhile loses nothing.
 */
final class RedisChangeFeed implements ChangeFeed {

    private static final Logger LOG = LoggerFactory.getLogger(RedisChangeFeed.class);

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final Function<ThreadKey, Mono<Long>> currentHead;
    /** The channels local subscribers want; guarded by itself. */
    private final Map<String, Channel> wanted = new HashMap<>();
    /** The channels subscribed on the server; touched only by the serial {@link #changes} pipeline. */
    private final Set<String> subscribed = new HashSet<>();
    /** Channel names whose subscription may have to change; applied one at a time, in order. */
    private final Sinks.Many<String> changes = Sinks.many().unicast().onBackpressureBuffer();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean listening = new AtomicBoolean();

    RedisChangeFeed(RedisConnections redis, RedisKeys keys, Function<ThreadKey, Mono<Long>> currentHead) {
        this.redis = redis;
        this.keys = keys;
        this.currentHead = currentHead;
    }

    /** The local subscribers of one channel, and whether the server has confirmed its subscription. */
    private static final class Channel {
        final ThreadKey key;
        final String name;
        final Set<FluxSink<Long>> sinks = ConcurrentHashMap.newKeySet();
        volatile boolean live;
        /** Confirmations of our own SUBSCRIBE commands still to come; any other confirmation is a re-subscription. */
        final AtomicInteger ownConfirmations = new AtomicInteger();

        Channel(ThreadKey key, String name) {
            this.key = key;
            this.name = name;
        }
    }

    @Override
    public Flux<Long> heads(ThreadKey key) {
        return Flux.create(sink -> {
            start();
            String name = keys.channel(key);
            Channel channel;
            boolean created;
            synchronized (wanted) {
                channel = wanted.get(name);
                created = channel == null;
                if (created) {
                    channel = new Channel(key, name);
                    wanted.put(name, channel);
                }
                channel.sinks.add(sink);
            }
            Channel c = channel;
            sink.onDispose(() -> release(c, sink));
            if (created) {
                reconcile(name);
            } else if (c.live) {
                emitHead(c, List.of(sink), true);
            }
        }, FluxSink.OverflowStrategy.LATEST);
    }

    /** Ends the subscription pipeline and fails the remaining subscribers: their connection is about to close. */
    void close() {
        List<Channel> open;
        synchronized (wanted) {
            open = List.copyOf(wanted.values());
            wanted.clear();
        }
        synchronized (changes) {
            changes.tryEmitComplete();
        }
        BackendUnavailableException closed = new BackendUnavailableException("the Redis backend was closed");
        open.forEach(c -> c.sinks.forEach(s -> s.error(closed)));
    }

    private void release(Channel channel, FluxSink<Long> sink) {
        boolean gone = false;
        synchronized (wanted) {
            channel.sinks.remove(sink);
            if (channel.sinks.isEmpty() && wanted.get(channel.name) == channel) {
                wanted.remove(channel.name);
                gone = true;
            }
        }
        if (gone) {
            reconcile(channel.name);
        }
    }

    private void reconcile(String name) {
        synchronized (changes) {
            changes.tryEmitNext(name);
        }
    }

    private void start() {
        if (started.compareAndSet(false, true)) {
            changes.asFlux()
                    .concatMap(name -> redis.pubSub().flatMap(connection -> apply(connection, name))
                            .onErrorResume(e -> {
                                failChannel(name, e);
                                return Mono.empty();
                            }), 1)
                    .subscribe();
        }
    }

    /** Makes the server's subscription to {@code name} match what local subscribers want. */
    private Mono<Void> apply(StatefulRedisPubSubConnection<String, byte[]> connection, String name) {
        listenTo(connection);
        Channel channel;
        synchronized (wanted) {
            channel = wanted.get(name);
        }
        if (channel == null) {
            if (!subscribed.remove(name)) {
                return Mono.empty();
            }
            return connection.reactive().unsubscribe(name).onErrorResume(e -> {
                LOG.debug("Could not unsubscribe from {}: {}", name, e.toString());
                return Mono.empty();
            });
        }
        Channel c = channel;
        Mono<Void> subscribe = subscribed.contains(name) ? Mono.empty()
                : Mono.defer(() -> {
                    c.ownConfirmations.incrementAndGet();
                    return connection.reactive().subscribe(name);
                }).doOnSuccess(v -> subscribed.add(name));
        return subscribe.doOnSuccess(v -> {
            if (!c.live) {
                c.live = true;
                emitHead(c, List.copyOf(c.sinks), true);
            }
        });
    }

    private void listenTo(StatefulRedisPubSubConnection<String, byte[]> connection) {
        if (listening.compareAndSet(false, true)) {
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String name, byte[] message) {
                    Channel c = channel(name);
                    Long head = parse(message);
                    if (c != null && head != null) {
                        c.sinks.forEach(s -> s.next(head));
                    }
                }

                @Override
                public void subscribed(String name, long count) {
                    // also called when Lettuce re-subscribes after a reconnect: whatever was published meanwhile is lost
                    Channel c = channel(name);
                    if (c != null && c.ownConfirmations.getAndUpdate(n -> Math.max(0, n - 1)) == 0 && c.live) {
                        emitHead(c, List.copyOf(c.sinks), false);
                    }
                }
            });
        }
    }

    private @Nullable Channel channel(String name) {
        synchronized (wanted) {
            return wanted.get(name);
        }
    }

    private static @Nullable Long parse(byte[] message) {
        try {
            return Long.parseLong(new String(message, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private void emitHead(Channel channel, List<FluxSink<Long>> sinks, boolean failOnError) {
        currentHead.apply(channel.key).subscribe(head -> sinks.forEach(s -> s.next(head)), e -> {
            if (failOnError) {
                sinks.forEach(s -> s.error(e));
            } else {
                LOG.debug("Could not read the head of {} after re-subscribing: {}", channel.key, e.toString());
            }
        });
    }

    private void failChannel(String name, Throwable e) {
        Channel channel = channel(name);
        if (channel != null && !channel.live) {
            Throwable error = RedisErrors.translate(e, "subscription to the changes of " + channel.key);
            channel.sinks.forEach(s -> s.error(error));
        }
    }
}
