package dev.engram.server.bus;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.server.MemoryService;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/**
 * Request/reply consumers for the memory store at {@code engram.memory.put|get|delete|search|namespaces}: the bodies and
 * answers are those of {@code POST /v1/memories/*}. The tenant is the {@code tenant} header, as for the thread
 * consumers; a failure is a reply failure whose code is the HTTP status and whose message is the JSON error.
 */
public final class MemoryBusConsumers {

    private final MemoryService memories;
    private final List<MessageConsumer<Object>> consumers = new ArrayList<>();

    public MemoryBusConsumers(MemoryService memories) {
        this.memories = memories;
    }

    public Future<Void> register(EventBus bus) {
        on(bus, Addresses.MEMORY_PUT, memories::put);
        on(bus, Addresses.MEMORY_GET, memories::get);
        on(bus, Addresses.MEMORY_DELETE, memories::delete);
        on(bus, Addresses.MEMORY_SEARCH, memories::search);
        on(bus, Addresses.MEMORY_NAMESPACES, memories::namespaces);
        return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
    }

    public Future<Void> unregister() {
        return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
    }

    private void on(EventBus bus, String address, BiFunction<String, ObjectNode, Mono<JsonObject>> operation) {
        consumers.add(bus.consumer(address, message -> handle(message, operation)));
    }

    private static void handle(Message<Object> message, BiFunction<String, ObjectNode, Mono<JsonObject>> operation) {
        String tenant = BusRequests.tenant(message);
        // the body is parsed with the rest of the request on Reactor's workers, off the event loop
        BusRequests.reply(message, Mono.defer(() -> operation.apply(tenant, BusRequests.body(message))));
    }
}
