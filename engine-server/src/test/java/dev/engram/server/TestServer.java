package dev.engram.server;

import dev.engram.core.config.EngramConfig;
import dev.engram.core.config.WatchSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** A server on 127.0.0.1 and an ephemeral port, on a fresh in-memory store, with Vert.x clients of its own. Close it in the test. */
final class TestServer implements AutoCloseable {

    final EngramServer server;
    final Vertx clientVertx;
    final WebClient http;

    private TestServer(EngramServer server) {
        this.server = server;
        this.clientVertx = Vertx.vertx();
        this.http = WebClient.create(clientVertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(server.port()));
    }

    static TestServer start() {
        return start(o -> { }, c -> c);
    }

    static TestServer start(Consumer<ServerOptions> options) {
        return start(options, c -> c);
    }

    static TestServer start(Consumer<ServerOptions> options, UnaryOperator<EngramConfig> config) {
        return start(options, config, "s-" + UUID.randomUUID());
    }

    /** Servers started with the same {@code storeName} share one in-memory store, as two processes share a database. */
    static TestServer start(Consumer<ServerOptions> options, UnaryOperator<EngramConfig> config, String storeName) {
        ServerOptions o = new ServerOptions().setHost("127.0.0.1").setPort(0).setTcpBridgePort(-1).setInstances(1);
        options.accept(o);
        EngramConfig c = config.apply(EngramConfig.defaults().withProvider("memory").withStrict(true)
                .withProviderOption("memory", "name", storeName));
        return new TestServer(await(EngramServer.start(c, o)));
    }

    static EngramConfig smallWatch(EngramConfig c, int maxLag, int batchSize) {
        return c.withWatch(new WatchSettings(maxLag, batchSize));
    }

    int port() {
        return server.port();
    }

    HttpResponse<Buffer> send(HttpMethod method, String uri, String token, String body) {
        var request = http.request(method, uri);
        if (token != null) {
            request.putHeader("Authorization", "Bearer " + token);
        }
        return await(body == null ? request.send() : request.sendBuffer(Buffer.buffer(body)));
    }

    HttpResponse<Buffer> get(String uri) {
        return send(HttpMethod.GET, uri, null, null);
    }

    HttpResponse<Buffer> post(String uri, String body) {
        return send(HttpMethod.POST, uri, null, body);
    }

    JsonObject appendMessages(String threadId, String token, int count) {
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < count; i++) {
            events.append(i == 0 ? "" : ",").append("{\"type\":\"message\",\"message\":{\"role\":\"user\",\"content\":\"m").append(i).append("\"}}");
        }
        HttpResponse<Buffer> r = send(HttpMethod.POST, "/v1/threads/" + threadId + "/events", token, "{\"events\":[" + events + "]}");
        if (r.statusCode() != 200) {
            throw new AssertionError("append failed: " + r.statusCode() + " " + r.bodyAsString());
        }
        return r.bodyAsJsonObject();
    }

    WebSocketClient wsClient(int maxMessageBytes) {
        return clientVertx.createWebSocketClient(new WebSocketClientOptions().setMaxMessageSize(maxMessageBytes).setMaxFrameSize(65536));
    }

    Future<WebSocket> connect(WebSocketClient client, String token) {
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port()).setURI("/v1/stream");
        if (token != null) {
            o.addHeader("Authorization", "Bearer " + token);
        }
        return client.connect(o);
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e.getCause() != null ? e.getCause() : e);
        }
    }

    @Override
    public void close() {
        await(clientVertx.close());
        await(server.stop());
    }
}
