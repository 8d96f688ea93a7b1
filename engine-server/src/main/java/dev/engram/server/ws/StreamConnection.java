package dev.engram.server.ws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.NotFoundException;
import dev.engram.core.SubscriberOverflowException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadUpdate;
import dev.engram.server.ApiException;
import dev.engram.server.ErrorMapper;
import dev.engram.server.Reactive;
import dev.engram.server.ServerContext;
import dev.engram.server.ThreadService;
import dev.engram.server.json.Fields;
import dev.engram.server.json.StrictJson;
import dev.engram.server.json.Views;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One client of {@code /v1/stream}: its subscriptions and appends. Runs on the socket's event loop. Each subscription
 * asks the engine for a few updates at a time and only while the socket's write queue has room, so the server holds at
 * most {@value #WINDOW} updates per subscription beyond {@code writeQueueBytes}; the backlog stays in the log, and a subscriber that
 * falls more than {@code watch.maxLag} events behind gets an overflow message and loses that subscription.
 */
public final class StreamConnection {

    /** Updates a subscription may have requested but not yet written: enough to keep a fast reader's demand above zero. */
    private static final int WINDOW = 4;

    private static final Set<String> SUBSCRIBE = Set.of("op", "requestId", "threadId", "ns", "fromVersion");
    private static final Set<String> UNSUBSCRIBE = Set.of("op", "requestId", "threadId", "ns");
    private static final Set<String> APPEND_EXTRA = Set.of("op", "requestId", "threadId", "ns");

    private final ServerWebSocket ws;
    private final String tenant;
    private final ServerContext server;
    private final Map<ThreadKey, Subscription> subscriptions = new HashMap<>();
    private final List<Subscription> waitingForDrain = new ArrayList<>();
    private boolean closed;

    public StreamConnection(ServerWebSocket ws, String tenant, ServerContext server) {
        this.ws = ws;
        this.tenant = tenant;
        this.server = server;
    }

    public void start() {
        server.metrics().wsConnections().incrementAndGet();
        ws.setWriteQueueMaxSize(server.options().getWriteQueueBytes());
        ws.textMessageHandler(this::onText);
        ws.binaryMessageHandler(b -> ws.close((short) 1003, "only text frames are accepted"));
        ws.drainHandler(v -> drained());
        ws.closeHandler(v -> closeAll());
        ws.exceptionHandler(e -> closeAll());
    }

    private void onText(String text) {
        JsonNode requestId = null;
        try {
            ObjectNode msg = StrictJson.object(text);
            requestId = msg.get("requestId");
            if (requestId != null && !requestId.isTextual() && !requestId.isIntegralNumber()) {
                throw ApiException.invalidInput("requestId must be a string or an integer");
            }
            JsonNode op = msg.get("op");
            if (op == null || !op.isTextual()) {
                throw ApiException.invalidInput("op is required: subscribe, unsubscribe or append");
            }
            if (!server.rateLimiter().tryAcquire(tenant)) {
                server.metrics().rateLimited();
                throw ApiException.rateLimited("tenant '" + tenant + "' is over " + server.options().getRequestsPerSecond() + " requests per second");
            }
            switch (op.textValue()) {
                case "subscribe" -> subscribe(Fields.of(msg, "", SUBSCRIBE), requestId);
                case "unsubscribe" -> unsubscribe(Fields.of(msg, "", UNSUBSCRIBE), requestId);
                case "append" -> append(msg, requestId);
                default -> throw ApiException.invalidInput("op must be subscribe, unsubscribe or append, got '" + op.textValue() + "'");
            }
        } catch (RuntimeException e) {
            sendError(requestId, null, e);
        }
    }

    private void subscribe(Fields f, @Nullable JsonNode requestId) {
        ThreadKey key = ThreadService.key(tenant, f.string("threadId"), f.optionalString("ns"));
        Long from = f.optionalInteger("fromVersion");
        if (from != null && from < 1) {
            throw ApiException.invalidInput("fromVersion must be at least 1, got " + from);
        }
        if (subscriptions.containsKey(key)) {
            throw ApiException.invalidInput("already subscribed to '" + key.threadId() + "'");
        }
        if (subscriptions.size() >= server.options().getMaxSubscriptionsPerConnection()) {
            throw new ApiException(429, "too_many_subscriptions", "a connection holds at most "
                    + server.options().getMaxSubscriptionsPerConnection() + " subscriptions");
        }
        Subscription sub = new Subscription(key);
        subscriptions.put(key, sub);
        server.metrics().wsSubscriptions().incrementAndGet();
        if (from != null) {
            sub.watch(from);
            return;
        }
        Reactive.future(server.threads().stateOrEmpty(key)).onSuccess(state -> {
            if (subscriptions.get(key) != sub) {
                return;
            }
            send(state.copy().put("type", "state"));
            sub.watch(state.getLong("version") + 1);
        }).onFailure(e -> {
            end(sub);
            sendError(requestId, key, e);
        });
    }

    private void unsubscribe(Fields f, @Nullable JsonNode requestId) {
        ThreadKey key = ThreadService.key(tenant, f.string("threadId"), f.optionalString("ns"));
        Subscription sub = subscriptions.get(key);
        if (sub == null) {
            throw ApiException.invalidInput("not subscribed to '" + key.threadId() + "'");
        }
        end(sub);
        JsonObject ack = new JsonObject().put("type", "unsubscribed").put("threadId", key.threadId()).put("ns", key.namespace());
        send(withRequestId(ack, requestId));
    }

    private void append(ObjectNode msg, @Nullable JsonNode requestId) {
        JsonNode threadId = msg.get("threadId");
        JsonNode ns = msg.get("ns");
        if (threadId == null || !threadId.isTextual()) {
            throw ApiException.invalidInput("threadId is required and must be a string");
        }
        if (ns != null && !ns.isTextual()) {
            throw ApiException.invalidInput("ns must be a string");
        }
        ThreadKey key = ThreadService.key(tenant, threadId.textValue(), ns == null ? null : ns.textValue());
        Reactive.future(server.threads().append(key, msg, APPEND_EXTRA))
                .onSuccess(appended -> send(withRequestId(appended.copy().put("type", "appended"), requestId)))
                .onFailure(e -> sendError(requestId, key, e));
    }

    private void send(JsonObject message) {
        if (!closed) {
            ws.writeTextMessage(message.encode());
        }
    }

    private void sendError(@Nullable JsonNode requestId, @Nullable ThreadKey key, Throwable failure) {
        ErrorMapper.ApiError error = ErrorMapper.map(failure);
        JsonObject msg = new JsonObject().put("type", "error");
        if (key != null) {
            msg.put("threadId", key.threadId()).put("ns", key.namespace());
        }
        error.body().forEach(e -> msg.put(e.getKey(), e.getValue()));
        send(withRequestId(msg, requestId));
    }

    private static JsonObject withRequestId(JsonObject msg, @Nullable JsonNode requestId) {
        if (requestId != null) {
            msg.put("requestId", requestId.isTextual() ? requestId.textValue() : (Object) requestId.longValue());
        }
        return msg;
    }

    private void drained() {
        List<Subscription> ready = new ArrayList<>(waitingForDrain);
        waitingForDrain.clear();
        ready.forEach(Subscription::next);
    }

    private void end(Subscription sub) {
        if (subscriptions.remove(sub.key, sub)) {
            server.metrics().wsSubscriptions().decrementAndGet();
        }
        waitingForDrain.remove(sub);
        sub.cancel();
    }

    private void closeAll() {
        if (closed) {
            return;
        }
        closed = true;
        server.metrics().wsConnections().decrementAndGet();
        new ArrayList<>(subscriptions.values()).forEach(this::end);
    }

    /** One thread watched by this connection. */
    private final class Subscription {
        final ThreadKey key;
        Reactive.@Nullable Stream stream;
        boolean cancelled;
        long nextToSend;

        Subscription(ThreadKey key) {
            this.key = key;
        }

        void watch(long from) {
            if (cancelled) {
                return;
            }
            nextToSend = from;
            stream = Reactive.stream(server.threads().engram().thread(key).watch(from), WINDOW, this::deliver, this::failed);
        }

        private void deliver(ThreadUpdate update) {
            if (cancelled) {
                return;
            }
            send(new JsonObject().put("type", "events").put("threadId", key.threadId()).put("ns", key.namespace())
                    .put("events", Views.events(update.events())));
            nextToSend = update.lastVersion() + 1;
            if (ws.writeQueueFull()) {
                waitingForDrain.add(this);
            } else {
                next();
            }
        }

        void next() {
            if (!cancelled && stream != null) {
                stream.request();
            }
        }

        private void failed(Throwable e) {
            if (cancelled) {
                return;
            }
            if (e instanceof SubscriberOverflowException o) {
                // the engine may count an update it read but never emitted; what this socket was sent is the truth
                server.metrics().overflow();
                send(new JsonObject().put("type", "overflow").put("threadId", key.threadId()).put("ns", key.namespace())
                        .put("resumeFrom", Math.min(o.resumeFrom(), nextToSend)));
            } else if (e instanceof NotFoundException) {
                sendError(null, key, ApiException.notFound("thread '" + key.threadId() + "' was deleted"));
            } else {
                sendError(null, key, e);
            }
            end(this);
        }

        void cancel() {
            cancelled = true;
            if (stream != null) {
                stream.dispose();
            }
        }
    }
}
