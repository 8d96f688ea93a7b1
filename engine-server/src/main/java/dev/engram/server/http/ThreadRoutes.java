package dev.engram.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.model.ThreadKey;
import dev.engram.server.ApiException;
import dev.engram.server.Reactive;
import dev.engram.server.ServerOptions;
import dev.engram.server.ThreadService;
import dev.engram.server.json.StrictJson;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import io.vertx.core.json.JsonObject;

/** The {@code /v1/threads} endpoints: each reads its tenant (set by {@link HttpApi}'s auth step), its parameters and body, and calls {@link ThreadService}. */
final class ThreadRoutes {

    static final String TENANT = "engram.tenant";

    private static final Set<String> NS = Set.of("ns");
    private static final Set<String> EVENTS_QUERY = Set.of("ns", "from", "limit");
    private static final Set<String> STATE_QUERY = Set.of("ns", "version");
    private static final String METADATA_PREFIX = "metadata.";

    private final ThreadService threads;

    ThreadRoutes(ThreadService threads) {
        this.threads = threads;
    }

    void mount(Router router, ServerOptions options) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(options.getMaxBodyBytes()).setHandleFileUploads(false);
        router.post("/v1/threads/:threadId/events").handler(body).handler(ctx -> answer(ctx, 200, NS, c -> threads.append(c.key, c.body(), Set.of())));
        router.get("/v1/threads/:threadId/events").handler(ctx -> answer(ctx, 200, EVENTS_QUERY,
                c -> threads.events(c.key, number(ctx, "from", 1), (int) number(ctx, "limit", ServerOptions.DEFAULT_PAGE_LIMIT))));
        router.get("/v1/threads/:threadId/state").handler(ctx -> answer(ctx, 200, STATE_QUERY,
                c -> threads.state(c.key, ctx.queryParams().contains("version") ? number(ctx, "version", 0) : null)));
        router.post("/v1/threads/:threadId/checkpoints").handler(body).handler(ctx -> answer(ctx, 201, NS, c -> {
            c.emptyBody();
            return threads.checkpoint(c.key);
        }));
        router.get("/v1/threads/:threadId/checkpoints").handler(ctx -> answer(ctx, 200, NS, c -> threads.checkpoints(c.key)));
        router.post("/v1/threads/:threadId/fork").handler(body).handler(ctx -> answer(ctx, 201, NS, c -> threads.fork(c.key, c.body(), Set.of())));
        router.patch("/v1/threads/:threadId/metadata").handler(body).handler(ctx -> answer(ctx, 200, NS,
                c -> threads.updateMetadata(c.key, c.body(), Set.of())));
        router.delete("/v1/threads/:threadId").handler(ctx -> answer(ctx, 204, NS, c -> threads.delete(c.key)));
        router.get("/v1/threads").handler(this::list);
    }

    private void list(RoutingContext ctx) {
        Map<String, String> filter = new LinkedHashMap<>();
        for (Map.Entry<String, String> p : ctx.queryParams()) {
            String name = p.getKey();
            if (name.startsWith(METADATA_PREFIX) && name.length() > METADATA_PREFIX.length()) {
                filter.put(name.substring(METADATA_PREFIX.length()), p.getValue());
            } else if (!name.equals("limit") && !name.equals("after")) {
                HttpResponses.error(ctx, ApiException.invalidInput("unknown query parameter '" + name + "'; allowed: limit, after, metadata.<key>"));
                return;
            }
        }
        try {
            int limit = (int) number(ctx, "limit", ServerOptions.DEFAULT_PAGE_LIMIT);
            Reactive.future(threads.list(tenant(ctx), filter, ctx.queryParams().get("after"), limit))
                    .onSuccess(json -> HttpResponses.json(ctx, 200, json))
                    .onFailure(e -> HttpResponses.error(ctx, e));
        } catch (RuntimeException e) {
            HttpResponses.error(ctx, e);
        }
    }

    private void answer(RoutingContext ctx, int status, Set<String> allowedQuery, Function<Call, Mono<JsonObject>> operation) {
        try {
            requireQuery(ctx.queryParams(), allowedQuery);
            Call call = new Call(ctx, ThreadService.key(tenant(ctx), ctx.pathParam("threadId"), ctx.queryParams().get("ns")));
            Reactive.future(Mono.defer(() -> operation.apply(call))).onSuccess(json -> {
                if (status == 204) {
                    ctx.response().setStatusCode(204).end();
                } else {
                    HttpResponses.json(ctx, status, json);
                }
            }).onFailure(e -> HttpResponses.error(ctx, e));
        } catch (RuntimeException e) {
            HttpResponses.error(ctx, e);
        }
    }

    static String tenant(RoutingContext ctx) {
        String tenant = ctx.get(TENANT);
        if (tenant == null) {
            throw new IllegalStateException("no tenant on an authenticated route");
        }
        return tenant;
    }

    private static void requireQuery(MultiMap params, Set<String> allowed) {
        for (String name : params.names()) {
            if (!allowed.contains(name)) {
                throw ApiException.invalidInput("unknown query parameter '" + name + "'; allowed: " + String.join(", ", allowed));
            }
            if (params.getAll(name).size() > 1) {
                throw ApiException.invalidInput("query parameter '" + name + "' is given more than once");
            }
        }
    }

    private static long number(RoutingContext ctx, String name, long fallback) {
        String raw = ctx.queryParams().get(name);
        if (raw == null) {
            return fallback;
        }
        try {
            return Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw ApiException.invalidInput("query parameter '" + name + "' must be an integer, got '" + raw + "'");
        }
    }

    /** One request: its thread and its body. */
    private static final class Call {
        final RoutingContext ctx;
        final ThreadKey key;

        Call(RoutingContext ctx, ThreadKey key) {
            this.ctx = ctx;
            this.key = key;
        }

        ObjectNode body() {
            RequestBody body = ctx.body();
            return StrictJson.object(body == null || body.buffer() == null ? new byte[0] : body.buffer().getBytes());
        }

        /** Refuses a body on requests that take none (an empty object is accepted). */
        void emptyBody() {
            @Nullable RequestBody body = ctx.body();
            if (body != null && body.buffer() != null && body.length() > 0 && !StrictJson.object(body.buffer().getBytes()).isEmpty()) {
                throw ApiException.invalidInput("this request takes no body");
            }
        }
    }
}
