package dev.engram.server;

import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A test's view of one /v1/stream connection: every text message received, in order. */
final class WsClient implements AutoCloseable {

    final WebSocket ws;
    final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
    volatile Short closeStatus;
    volatile String closeReason;

    WsClient(WebSocket ws) {
        this.ws = ws;
        ws.textMessageHandler(text -> received.add(new JsonObject(text)));
        // the SockJS raw WebSocket transport writes binary frames
        ws.binaryMessageHandler(bytes -> received.add(new JsonObject(bytes)));
        ws.closeHandler(v -> {
            closeStatus = ws.closeStatusCode();
            closeReason = ws.closeReason();
        });
    }

    void send(JsonObject message) {
        TestServer.await(ws.writeTextMessage(message.encode()));
    }

    /** The next message, waiting at most 20 seconds. */
    JsonObject next() {
        try {
            JsonObject m = received.poll(20, TimeUnit.SECONDS);
            if (m == null) {
                throw new AssertionError("no message within 20 s");
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    JsonObject next(Predicate<JsonObject> wanted) {
        while (true) {
            JsonObject m = next();
            if (wanted.test(m)) {
                return m;
            }
        }
    }

    static JsonObject subscribe(String threadId, Long fromVersion) {
        JsonObject m = new JsonObject().put("op", "subscribe").put("threadId", threadId);
        return fromVersion == null ? m : m.put("fromVersion", fromVersion);
    }

    static JsonObject append(String requestId, String threadId, String content) {
        return new JsonObject().put("op", "append").put("requestId", requestId).put("threadId", threadId)
                .put("events", new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "message")
                        .put("message", new JsonObject().put("role", "user").put("content", content))));
    }

    @Override
    public void close() {
        if (!ws.isClosed()) {
            TestServer.await(ws.close());
        }
    }
}
