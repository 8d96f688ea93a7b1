package dev.engram.server.bus;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.model.ThreadKey;
import dev.engram.server.ApiException;
import dev.engram.server.ErrorMapper;
import dev.engram.server.Reactive;
import dev.engram.server.json.StrictJson;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import reactor.core.publisher.Mono;

/** Reading a request off the event bus and answering it, the same way for every consumer. */
final class BusRequests {

    private BusRequests() {
    }

    /** The body as a strictly parsed JSON object; {@code invalid_json} when it is anything else. */
    static ObjectNode body(Message<Object> message) {
        if (!(message.body() instanceof JsonObject json)) {
            throw ApiException.invalidJson("the body must be a JSON object");
        }
        return StrictJson.object(json.encode());
    }

    /** The {@value Addresses#TENANT_HEADER} header: set by the bridge from the token, by an in-process sender itself; {@code default} without it. */
    static String tenant(Message<Object> message) {
        String tenant = message.headers().get(Addresses.TENANT_HEADER);
        return tenant == null ? ThreadKey.DEFAULT_TENANT : tenant;
    }

    /** Replies with the answer, or fails the message with the HTTP status as code and the JSON error as message. */
    static void reply(Message<Object> message, Mono<JsonObject> answer) {
        Reactive.future(answer).onSuccess(message::reply).onFailure(e -> fail(message, e));
    }

    static void fail(Message<Object> message, Throwable e) {
        ErrorMapper.ApiError error = ErrorMapper.map(e);
        message.fail(error.status(), error.body().encode());
    }
}
