package dev.engram.backend.redis;

import dev.engram.core.BackendUnavailableException;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The backend's two connections, opened on first use: one multiplexed command connection that pipelines every
 * caller's commands, and one pub/sub connection for the change feed. Lettuce reconnects both on its own (and
 * resubscribes); a connection that could not be opened at all is tried again on the next call.
 */
final class RedisConnections {

    /** Keys are UTF-8 text; values stay bytes, so event payloads are never decoded as text. */
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private static final Object SHARED_LOCK = new Object();
    /** Event loops and timers shared by every backend of the JVM, as Lettuce recommends; shut down with the last one. */
    private static @Nullable ClientResources sharedResources;
    private static int sharedUsers;

    private final ClientResources resources;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AbstractRedisClient client;
    private final Lazy<StatefulConnection<String, byte[]>> commands;
    private final Lazy<StatefulRedisPubSubConnection<String, byte[]>> pubSub;

    RedisConnections(RedisSettings settings) {
        SocketOptions socket = SocketOptions.builder().connectTimeout(settings.connectTimeout()).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
        this.resources = acquireResources();
        if (settings.cluster()) {
            RedisClusterClient cluster = RedisClusterClient.create(resources, settings.uris());
            cluster.setOptions(ClusterClientOptions.builder()
                    .socketOptions(socket)
                    .timeoutOptions(timeouts)
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
                    .build());
            this.client = cluster;
            // connectAsync needs the slot map loaded; refreshPartitionsAsync loads it without blocking
            this.commands = new Lazy<>(() -> cluster.refreshPartitionsAsync().toCompletableFuture()
                    .thenCompose(v -> cluster.connectAsync(CODEC))
                    .thenApply(c -> (StatefulConnection<String, byte[]>) c));
            // the command connection loads the slot map that the pub/sub connection needs
            this.pubSub = new Lazy<>(() -> commands.future()
                    .thenCompose(c -> cluster.connectPubSubAsync(CODEC))
                    .thenApply(c -> (StatefulRedisPubSubConnection<String, byte[]>) c));
        } else {
            RedisClient standalone = RedisClient.create(resources);
            standalone.setOptions(ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts).build());
            this.client = standalone;
            var uri = settings.uris().get(0);
            this.commands = new Lazy<>(() -> standalone.connectAsync(CODEC, uri).toCompletableFuture()
                    .thenApply(c -> (StatefulConnection<String, byte[]>) c));
            this.pubSub = new Lazy<>(() -> standalone.connectPubSubAsync(CODEC, uri).toCompletableFuture());
        }
    }

    /** Starts opening both connections in the background, so that the first command and subscription find them ready. */
    void openInBackground() {
        commands.future().thenRun(pubSub::future);
    }

    private static ClientResources acquireResources() {
        synchronized (SHARED_LOCK) {
            if (sharedResources == null) {
                sharedResources = ClientResources.create();
            }
            sharedUsers++;
            return sharedResources;
        }
    }

    private Mono<Void> releaseResources() {
        synchronized (SHARED_LOCK) {
            if (--sharedUsers > 0 || sharedResources != resources) {
                return Mono.empty();
            }
            sharedResources = null;
        }
        return Mono.create(sink -> resources.shutdown(0, 2, TimeUnit.SECONDS).addListener(f -> sink.success()));
    }

    /** The commands of the shared connection (standalone or Cluster: both route by key). */
    @SuppressWarnings("unchecked")
    Mono<RedisClusterReactiveCommands<String, byte[]>> commands() {
        return commands.get().map(c -> c instanceof StatefulRedisClusterConnection<?, ?> cluster
                ? ((StatefulRedisClusterConnection<String, byte[]>) cluster).reactive()
                : ((StatefulRedisConnection<String, byte[]>) c).reactive());
    }

    Mono<StatefulRedisPubSubConnection<String, byte[]>> pubSub() {
        return pubSub.get();
    }

    /** Closes both connections and releases the client's threads. */
    Mono<Void> close() {
        return Mono.defer(() -> {
            if (!closed.compareAndSet(false, true)) {
                return Mono.empty();
            }
            return Mono.when(commands.close(), pubSub.close())
                    .onErrorResume(e -> Mono.empty())
                    .then(Mono.fromFuture(() -> client.shutdownAsync(0, 2, TimeUnit.SECONDS)))
                    .onErrorResume(e -> Mono.empty())
                    .then(Mono.defer(this::releaseResources));
        });
    }

    /** A connection opened on first use and shared; a failed attempt is forgotten so that the next call tries again. */
    private static final class Lazy<T extends StatefulConnection<?, ?>> {

        private final Supplier<CompletableFuture<T>> opener;
        private @Nullable CompletableFuture<T> future;
        private boolean closed;

        Lazy(Supplier<CompletableFuture<T>> opener) {
            this.opener = opener;
        }

        synchronized CompletableFuture<T> future() {
            if (closed) {
                return CompletableFuture.failedFuture(new BackendUnavailableException("the Redis backend is closed"));
            }
            if (future == null || future.isCompletedExceptionally()) {
                future = opener.get();
            }
            return future;
        }

        Mono<T> get() {
            return Mono.defer(() -> Mono.fromFuture(future(), true));
        }

        Mono<Void> close() {
            CompletableFuture<T> f;
            synchronized (this) {
                closed = true;
                f = future;
            }
            if (f == null) {
                return Mono.empty();
            }
            return Mono.fromFuture(f, true).flatMap(c -> Mono.fromFuture(c.closeAsync())).onErrorResume(e -> Mono.empty()).then();
        }
    }
}
