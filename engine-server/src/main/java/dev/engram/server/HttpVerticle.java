package dev.engram.server;

import dev.engram.server.http.HttpApi;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;

/** One HTTP/WebSocket listener; several instances share the port, one event loop each. */
final class HttpVerticle extends VerticleBase {

    private final ServerContext server;
    private final int port;
    private HttpServer http;

    HttpVerticle(ServerContext server, int port) {
        this.server = server;
        this.port = port;
    }

    @Override
    public Future<?> start() {
        ServerOptions options = server.options();
        HttpServerOptions http1 = new HttpServerOptions().setHost(options.getHost()).setPort(port)
                .setMaxWebSocketFrameSize(options.getMaxFrameBytes()).setMaxWebSocketMessageSize(options.getMaxMessageBytes())
                .setRegisterWebSocketWriteHandlers(false);
        http = vertx.createHttpServer(http1)
                .connectionHandler(connection -> {
                    if (!server.connections().tryOpen()) {
                        connection.close();
                        return;
                    }
                    connection.closeHandler(v -> server.connections().closed());
                })
                .requestHandler(new HttpApi(server).router(vertx));
        return http.listen();
    }

    @Override
    public Future<?> stop() {
        return http == null ? Future.succeededFuture() : http.close();
    }

    int actualPort() {
        return http.actualPort();
    }
}
