package dev.engram.server.bus;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.model.ThreadKey;
import dev.engram.server.ApiException;
import dev.engram.server.ServerOptions;
import dev.engram.server.ThreadService;
import dev.engram.server.json.Fields;
import dev.engram.server.json.Requests;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/**
 * Request/reply consumers for the thread operations: the HTTP bodies plus {@code threadId} and {@code ns}. The tenant
 * is the {@code tenant} header (the bridge sets it from the token; a verticle in the same Vert.x sets it itself, and
 * without it means {@code default}). A failure is a reply failure whose code is the HTTP status and whose message is the
 * JSON error.
 */
public final class ThreadBusConsumers {

    private static final Set<String> STATE = Set.of("threadId", "ns", "version");
    private static final Set<String> EVENTS = Set.of("threadId", "ns", "from", "limit");
    private static final Set<String> ONLY_KEY = Requests.ADDRESSING;

    private final ThreadService threads;
    private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

    public ThreadBusConsumers(ThreadService threads) {
        this.threads = threads;
    }

    public Future<Void> register(EventBus bus) {
        on(bus, Addresses.APPEND, (key, body) -> threads.append(key, body, Requests.ADDRESSING));
        on(bus, Addresses.STATE, (key, body) -> {
            Fields f = Requests.only(body, STATE);
            return threads.state(key, f.optionalInteger("version"));
        });
        on(bus, Addresses.EVENTS, (key, body) -> {
            Fields f = Requests.only(body, EVENTS);
            Long from = f.optionalInteger("from");
            Long limit = f.optionalInteger("limit");
            return threads.events(key, from == null ? 1 : from, limit == null ? ServerOptions.DEFAULT_PAGE_LIMIT : (int) Math.min(limit, Integer.MAX_VALUE));
        });
        on(bus, Addresses.CHECKPOINT, (key, body) -> {
            Requests.only(body, ONLY_KEY);
            return threads.checkpoint(key);
        });
        on(bus, Addresses.DELETE, (key, body) -> {
            Requests.only(body, ONLY_KEY);
            return threads.delete(key);
        });
        return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
    }

    public Future<Void> unregister() {
        return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
    }

    private void on(EventBus bus, String address, BiFunction<ThreadKey, ObjectNode, Mono<JsonObject>> operation) {
        consumers.add(bus.consumer(address, message -> handle(message, operation)));
    }

    private void handle(Message<Object> message, BiFunction<ThreadKey, ObjectNode, Mono<JsonObject>> operation) {
        try {
            ObjectNode body = BusRequests.body(message);
            com.fasterxml.jackson.databind.JsonNode id = body.get("threadId");
            com.fasterxml.jackson.databind.JsonNode ns = body.get("ns");
            if (id == null || !id.isTextual()) {
                throw ApiException.invalidInput("threadId is required and must be a string");
            }
            if (ns != null && !ns.isNull() && !ns.isTextual()) {
                throw ApiException.invalidInput("ns must be a string");
            }
            ThreadKey key = ThreadService.key(BusRequests.tenant(message), id.textValue(), ns == null || ns.isNull() ? null : ns.textValue());
            BusRequests.reply(message, Mono.defer(() -> operation.apply(key, body)));
        } catch (RuntimeException e) {
            BusRequests.fail(message, e);
        }
    }
}
