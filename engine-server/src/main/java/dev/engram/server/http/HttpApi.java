package dev.engram.server.http;

import dev.engram.server.ApiException;
import dev.engram.server.ErrorMapper;
import dev.engram.server.Reactive;
import dev.engram.server.ServerContext;
import dev.engram.server.auth.Authenticator;
import dev.engram.server.bus.BridgeGuard;
import dev.engram.server.ws.StreamConnection;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import org.jspecify.annotations.Nullable;

/** The router: health and metrics (open), then authentication and the per-tenant rate limit, the thread and memory APIs, the WebSocket and the SockJS bridge. */
public final class HttpApi {

    private final ServerContext server;

    public HttpApi(ServerContext server) {
        this.server = server;
    }

    public Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        router.get("/health/live").handler(ctx -> HttpResponses.json(ctx, 200, new JsonObject().put("status", "up")));
        router.get("/health/ready").handler(this::ready);
        router.get("/metrics").handler(ctx -> ctx.response()
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")
                .end(server.registry().scrape()));

        router.route("/v1/*").handler(this::authenticate);
        router.get("/v1/stream").handler(this::stream);
        new ThreadRoutes(server.threads()).mount(router, server.options());
        new MemoryRoutes(server.memories()).mount(router, server.options());

        SockJSHandler sockJs = SockJSHandler.create(vertx, new SockJSHandlerOptions());
        BridgeGuard guard = server.bridgeGuard();
        router.route("/eventbus/*").subRouter(sockJs.bridge(BridgeGuard.sockJsOptions(), guard::handleSockJs));

        router.route().failureHandler(this::failure);
        router.errorHandler(404, ctx -> HttpResponses.json(ctx, 404, error(ErrorMapper.NOT_FOUND, "no such endpoint: " + ctx.request().path())));
        router.errorHandler(405, ctx -> HttpResponses.json(ctx, 405, error(ErrorMapper.METHOD_NOT_ALLOWED,
                ctx.request().method() + " is not allowed on " + ctx.request().path())));
        return router;
    }

    private void ready(RoutingContext ctx) {
        Reactive.future(server.threads().engram().backend().ping())
                .onSuccess(v -> HttpResponses.json(ctx, 200, new JsonObject().put("status", "ready").put("provider", server.threads().engram().provider())))
                .onFailure(e -> {
                    server.metrics().backendError();
                    HttpResponses.json(ctx, 503, error(ErrorMapper.BACKEND_UNAVAILABLE, "the backend does not answer: " + e.getMessage()));
                });
    }

    private void authenticate(RoutingContext ctx) {
        // keeps the body unread until the caller is known; the body handler resumes it
        ctx.request().pause();
        String token = Authenticator.bearer(ctx.request().getHeader(HttpHeaders.AUTHORIZATION));
        if (token == null && ctx.request().path().equals("/v1/stream")) {
            token = ctx.queryParams().get("access_token");
        }
        server.authenticator().tenant(token).onSuccess(tenant -> {
            if (!server.rateLimiter().tryAcquire(tenant)) {
                server.metrics().rateLimited();
                ctx.request().resume();
                HttpResponses.error(ctx, ApiException.rateLimited("tenant '" + tenant + "' is over " + server.options().getRequestsPerSecond()
                        + " requests per second"));
                return;
            }
            ctx.put(ThreadRoutes.TENANT, tenant);
            ctx.next();
        }).onFailure(e -> {
            ctx.request().resume();
            HttpResponses.error(ctx, e);
        });
    }

    private void stream(RoutingContext ctx) {
        String tenant = ThreadRoutes.tenant(ctx);
        ctx.request().resume();
        ctx.request().toWebSocket()
                .onSuccess(ws -> new StreamConnection(ws, tenant, server).start())
                .onFailure(e -> {
                    if (!ctx.response().ended()) {
                        HttpResponses.json(ctx, 400, error(ErrorMapper.INVALID_INPUT, "expected a WebSocket upgrade: " + e.getMessage()));
                    }
                });
    }

    private void failure(RoutingContext ctx) {
        @Nullable Throwable failure = ctx.failure();
        if (failure != null && !(failure instanceof io.vertx.ext.web.handler.HttpException)) {
            HttpResponses.error(ctx, failure);
            return;
        }
        int status = ctx.statusCode();
        if (status == 413) {
            HttpResponses.json(ctx, 413, error(ErrorMapper.PAYLOAD_TOO_LARGE, "the request body is over the limit of "
                    + server.options().getMaxBodyBytes() + " bytes"));
        } else if (status == 400) {
            HttpResponses.json(ctx, 400, error(ErrorMapper.INVALID_INPUT, failure == null ? "bad request" : failure.getMessage()));
        } else if (status >= 400 && status < 500) {
            HttpResponses.json(ctx, status, error(status == 404 ? ErrorMapper.NOT_FOUND : ErrorMapper.INVALID_INPUT, "request refused"));
        } else {
            HttpResponses.error(ctx, failure == null ? new IllegalStateException("status " + status) : failure);
        }
    }

    private static JsonObject error(String code, String message) {
        return new JsonObject().put("error", code).put("message", message);
    }
}
