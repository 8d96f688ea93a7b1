package dev.engram.server.http;

import dev.engram.server.ErrorMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes JSON answers, including every error as {@code {"error", "message"}} through {@link ErrorMapper}. */
final class HttpResponses {

    private HttpResponses() {
    }

    static void json(RoutingContext ctx, int status, JsonObject body) {
        HttpServerResponse response = ctx.response();
        if (response.ended()) {
            return;
        }
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }

    static void error(RoutingContext ctx, Throwable failure) {
        ErrorMapper.ApiError error = ErrorMapper.map(failure);
        if (error.status() == 429) {
            ctx.response().putHeader("Retry-After", "1");
        }
        if (error.status() == 401) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer");
        }
        json(ctx, error.status(), error.body());
    }
}
