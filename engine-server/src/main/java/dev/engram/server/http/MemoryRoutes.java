package dev.engram.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.server.ApiException;
import dev.engram.server.MemoryService;
import dev.engram.server.Reactive;
import dev.engram.server.ServerOptions;
import dev.engram.server.json.StrictJson;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/**
 * The {@code /v1/memories} endpoints: every operation is a POST whose JSON body is also the event bus body, answered
 * with 200 and JSON. The tenant is the one {@link HttpApi}'s auth step found in the token.
 */
final class MemoryRoutes {

    private final MemoryService memories;

    MemoryRoutes(MemoryService memories) {
        this.memories = memories;
    }

    void mount(Router router, ServerOptions options) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(options.getMaxBodyBytes()).setHandleFileUploads(false);
        router.post("/v1/memories/put").handler(body).handler(ctx -> answer(ctx, memories::put));
        router.post("/v1/memories/get").handler(body).handler(ctx -> answer(ctx, memories::get));
        router.post("/v1/memories/delete").handler(body).handler(ctx -> answer(ctx, memories::delete));
        router.post("/v1/memories/search").handler(body).handler(ctx -> answer(ctx, memories::search));
        router.post("/v1/memories/namespaces").handler(body).handler(ctx -> answer(ctx, memories::namespaces));
    }

    private static void answer(RoutingContext ctx, BiFunction<String, ObjectNode, Mono<JsonObject>> operation) {
        try {
            if (!ctx.queryParams().isEmpty()) {
                throw ApiException.invalidInput("the memory endpoints take no query parameters, got '" + ctx.queryParams().names().iterator().next() + "'");
            }
            String tenant = ThreadRoutes.tenant(ctx);
            RequestBody body = ctx.body();
            // parsed on Reactor's workers with the rest of the request, never on the event loop
            Reactive.future(Mono.defer(() -> operation.apply(tenant, StrictJson.object(bytes(body)))))
                    .onSuccess(answer -> HttpResponses.json(ctx, 200, answer))
                    .onFailure(e -> HttpResponses.error(ctx, e));
        } catch (RuntimeException e) {
            HttpResponses.error(ctx, e);
        }
    }

    private static byte[] bytes(RequestBody body) {
        return body == null || body.buffer() == null ? new byte[0] : body.buffer().getBytes();
    }
}
