package dev.engram.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Event;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.server.json.Requests;
import dev.engram.server.json.Views;
import dev.engram.server.metrics.ServerMetrics;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The thread operations every surface offers (HTTP, WebSocket, event bus), from JSON to JSON. Pure Reactor: callers
 * bridge the results with {@link Reactive}. A thread of another tenant is simply absent, because the key holds the tenant.
 */
public final class ThreadService {

    /** Told about every acknowledged change made through this server, for the event bus publications. */
    public interface ChangeListener {
        void changed(ThreadKey key, JsonObject change);
    }

    private final Engram engram;
    private final ServerMetrics metrics;
    private final int maxEventsPerAppend;
    private volatile ChangeListener listener = (key, change) -> { };

    public ThreadService(Engram engram, ServerMetrics metrics, int maxEventsPerAppend) {
        this.engram = engram;
        this.metrics = metrics;
        this.maxEventsPerAppend = maxEventsPerAppend;
    }

    public void onChange(ChangeListener newListener) {
        this.listener = newListener;
    }

    public static ThreadKey key(String tenant, @Nullable String threadId, @Nullable String ns) {
        return new ThreadKey(tenant, threadId, ns == null ? "" : ns);
    }

    public Engram engram() {
        return engram;
    }

    public Mono<JsonObject> append(ThreadKey key, ObjectNode body, Set<String> extraFields) {
        return Mono.defer(() -> {
            AppendBatch batch = Requests.append(body, extraFields, maxEventsPerAppend);
            return observe(engram.thread(key).append(batch)
                    .doOnNext(a -> {
                        if (!a.deduplicated()) {
                            metrics.appended(batch.events().size());
                            listener.changed(key, change(a));
                        }
                    })
                    .doOnError(VersionConflictException.class, e -> metrics.conflict())
                    .map(Views::appended));
        });
    }

    public Mono<JsonObject> events(ThreadKey key, long from, int limit) {
        return Mono.defer(() -> {
            requireRange(from, limit);
            ThreadHandle thread = engram.thread(key);
            return observe(existing(thread).then(thread.events(from, limit + 1).collectList()).map(events -> {
                List<Event> page = events.size() > limit ? events.subList(0, limit) : events;
                Long next = events.size() > limit ? events.get(limit).version() : null;
                return new JsonObject().put("events", Views.events(page)).put("next", next);
            }));
        });
    }

    public Mono<JsonObject> state(ThreadKey key, @Nullable Long version) {
        return Mono.defer(() -> {
            if (version != null && version < 1) {
                throw ApiException.invalidInput("version must be at least 1, got " + version);
            }
            ThreadHandle thread = engram.thread(key);
            return observe(existing(thread).flatMap(info -> (version == null ? thread.state() : thread.stateAt(version))
                    .switchIfEmpty(Mono.error(() -> absent(key)))
                    .map(s -> Views.state(s, info))));
        });
    }

    /** The state for a WebSocket subscriber: version 0 and nothing in it for a thread that does not exist yet. */
    public Mono<JsonObject> stateOrEmpty(ThreadKey key) {
        ThreadHandle thread = engram.thread(key);
        return observe(thread.info().map(java.util.Optional::of).defaultIfEmpty(java.util.Optional.empty())
                .flatMap(info -> thread.state().defaultIfEmpty(dev.engram.core.model.ThreadState.empty(key))
                        .map(s -> Views.state(s, info.orElse(null)))));
    }

    public Mono<JsonObject> checkpoint(ThreadKey key) {
        return observe(engram.thread(key).checkpoint().doOnNext(c -> metrics.checkpoint()).map(Views::checkpoint));
    }

    public Mono<JsonObject> checkpoints(ThreadKey key) {
        ThreadHandle thread = engram.thread(key);
        return observe(existing(thread).then(thread.checkpoints().map(Views::checkpoint).collectList())
                .map(list -> new JsonObject().put("checkpoints", new JsonArray(List.copyOf(list)))));
    }

    public Mono<JsonObject> fork(ThreadKey key, ObjectNode body, Set<String> extraFields) {
        return Mono.defer(() -> {
            Requests.Fork fork = Requests.fork(body, extraFields);
            ThreadKey target = new ThreadKey(key.tenant(), fork.to(), key.namespace());
            ThreadHandle thread = engram.thread(key);
            return observe(existing(thread).flatMap(info -> thread.fork(target, fork.atVersion() == null ? info.version() : fork.atVersion()))
                    .map(Views::info));
        });
    }

    public Mono<JsonObject> updateMetadata(ThreadKey key, ObjectNode body, Set<String> extraFields) {
        return Mono.defer(() -> {
            Requests.MetadataPatch patch = Requests.metadata(body, extraFields);
            return observe(engram.thread(key).updateMetadata(patch.set(), patch.remove()).map(Views::info));
        });
    }

    /** Deletes the thread; {@code not_found} when it does not exist. */
    public Mono<JsonObject> delete(ThreadKey key) {
        return observe(engram.thread(key).delete().flatMap(existed -> {
            if (!existed) {
                return Mono.error(absent(key));
            }
            listener.changed(key, new JsonObject().put("threadId", key.threadId()).put("ns", key.namespace()).put("deleted", true));
            return Mono.just(new JsonObject().put("threadId", key.threadId()).put("ns", key.namespace()).put("deleted", true));
        }));
    }

    public Mono<JsonObject> list(String tenant, Map<String, String> metadata, @Nullable String after, int limit) {
        return Mono.defer(() -> {
            if (limit < 1 || limit > ThreadQuery.MAX_LIMIT) {
                throw ApiException.invalidInput("limit must be 1.." + ThreadQuery.MAX_LIMIT + ", got " + limit);
            }
            return observe(engram.threads(new ThreadQuery(tenant, metadata, after, limit)).map(page -> {
                JsonArray threads = new JsonArray();
                page.items().forEach(i -> threads.add(Views.info(i)));
                return new JsonObject().put("threads", threads).put("next", page.next());
            }));
        });
    }

    private static Mono<ThreadInfo> existing(ThreadHandle thread) {
        return thread.info().switchIfEmpty(Mono.error(() -> absent(thread.key())));
    }

    private static ApiException absent(ThreadKey key) {
        return ApiException.notFound("thread '" + key.threadId() + "'" + (key.namespace().isEmpty() ? "" : " (ns '" + key.namespace() + "')")
                + " does not exist");
    }

    private static void requireRange(long from, int limit) {
        if (from < 1) {
            throw ApiException.invalidInput("from must be at least 1, got " + from);
        }
        if (limit < 1 || limit > ThreadQuery.MAX_LIMIT) {
            throw ApiException.invalidInput("limit must be 1.." + ThreadQuery.MAX_LIMIT + ", got " + limit);
        }
    }

    private static JsonObject change(Appended a) {
        return new JsonObject().put("threadId", a.key().threadId()).put("ns", a.key().namespace())
                .put("firstVersion", a.firstVersion()).put("lastVersion", a.lastVersion());
    }

    private <T> Mono<T> observe(Mono<T> mono) {
        return mono.doOnError(e -> {
            if (ErrorMapper.isBackendFailure(e)) {
                metrics.backendError();
            }
        });
    }

    public ServerMetrics metrics() {
        return metrics;
    }
}
