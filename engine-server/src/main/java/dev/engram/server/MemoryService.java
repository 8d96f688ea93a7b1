package dev.engram.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.server.json.MemoryRequests;
import dev.engram.server.json.MemoryViews;
import dev.engram.server.metrics.ServerMetrics;
import io.vertx.core.json.JsonObject;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * The memory store operations that HTTP and the event bus offer, from JSON to JSON, for the caller's tenant (taken from
 * its token, never from the body). Pure Reactor: callers bridge the results with {@link Reactive}. Every body is read
 * and validated before the store is called, so a refused request stores nothing.
 */
public final class MemoryService {

    private final Supplier<MemoryStore> store;
    private final ServerMetrics metrics;

    /**
     * @param store the engine's store, asked for on each request: the engine builds it on first use, so a backend
     *              without memory storage fails memory requests only, never the server's start or its thread API
     */
    public MemoryService(Supplier<MemoryStore> store, ServerMetrics metrics) {
        this.store = store;
        this.metrics = metrics;
    }

    /** Upserts the item; answers it as stored. */
    public Mono<JsonObject> put(String tenant, ObjectNode body) {
        return Mono.defer(() -> {
            MemoryWrite write = MemoryRequests.put(tenant, body);
            return observe(store.get().put(write).map(MemoryViews::item));
        });
    }

    /** The item; {@code not_found} when there is no live item at the key (another tenant's items are simply absent). */
    public Mono<JsonObject> get(String tenant, ObjectNode body) {
        return Mono.defer(() -> {
            MemoryKey key = MemoryRequests.key(tenant, body);
            return observe(store.get().get(key).map(MemoryViews::item).switchIfEmpty(Mono.error(() -> absent(key))));
        });
    }

    /** {@code {"deleted": true}} when a live item was there, {@code false} otherwise. */
    public Mono<JsonObject> delete(String tenant, ObjectNode body) {
        return Mono.defer(() -> {
            MemoryKey key = MemoryRequests.key(tenant, body);
            return observe(store.get().delete(key).map(deleted -> new JsonObject().put("deleted", deleted)));
        });
    }

    /** {@code {"items": [...]}}, best first. */
    public Mono<JsonObject> search(String tenant, ObjectNode body) {
        return Mono.defer(() -> {
            MemorySearch search = MemoryRequests.search(tenant, body);
            return observe(store.get().search(search).map(MemoryViews::hits));
        });
    }

    /** {@code {"namespaces": [[...], ...]}}, in path order. */
    public Mono<JsonObject> namespaces(String tenant, ObjectNode body) {
        return Mono.defer(() -> {
            NamespaceQuery query = MemoryRequests.namespaces(tenant, body);
            return observe(store.get().namespaces(query).map(MemoryViews::namespaces));
        });
    }

    private static ApiException absent(MemoryKey key) {
        return ApiException.notFound("memory item '" + key.key() + "' in namespace " + key.namespace() + " does not exist");
    }

    private <T> Mono<T> observe(Mono<T> mono) {
        return mono.doOnError(e -> {
            if (ErrorMapper.isBackendFailure(e)) {
                metrics.backendError();
            }
        });
    }
}
