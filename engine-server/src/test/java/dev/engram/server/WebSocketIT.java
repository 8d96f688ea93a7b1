package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.server.auth.AuthOptions;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebSocketIT {

    /** Reads "events" messages until {@code last} is reached; asserts versions run from {@code first} with no gap and no duplicate. */
    private static void expectContiguous(WsClient client, long first, long last) {
        long expected = first;
        while (expected <= last) {
            JsonObject m = client.next();
            assertThat(m.getString("type")).as(m.encode()).isEqualTo("events");
            for (Object e : m.getJsonArray("events")) {
                assertThat(((JsonObject) e).getLong("version")).as("no gap, no duplicate").isEqualTo(expected);
                expected++;
            }
        }
        assertThat(expected - 1).isEqualTo(last);
    }

    @Test
    void stateFirstThenLiveEventsAndAppendsOverTheSocket() {
        try (TestServer server = TestServer.start()) {
            server.appendMessages("ws-state", null, 3);
            WebSocketClient client = server.wsClient(1 << 20);
            try (WsClient ws = new WsClient(TestServer.await(server.connect(client, null)))) {
                ws.send(WsClient.subscribe("ws-state", null));
                JsonObject state = ws.next();
                assertThat(state.getString("type")).isEqualTo("state");
                assertThat(state.getLong("version")).isEqualTo(3);
                assertThat(state.getJsonArray("messages")).hasSize(3);

                ws.send(WsClient.append("r-1", "ws-state", "over the socket"));
                List<Long> versions = new ArrayList<>();
                JsonObject appended = null;
                while (appended == null || versions.size() < 1) {
                    JsonObject m = ws.next();
                    if ("appended".equals(m.getString("type"))) {
                        appended = m;
                    } else {
                        m.getJsonArray("events").forEach(e -> versions.add(((JsonObject) e).getLong("version")));
                    }
                }
                assertThat(appended.getString("requestId")).isEqualTo("r-1");
                assertThat(appended.getLong("firstVersion")).isEqualTo(4);
                server.appendMessages("ws-state", null, 2);
                while (versions.size() < 3) {
                    JsonObject m = ws.next();
                    m.getJsonArray("events").forEach(e -> versions.add(((JsonObject) e).getLong("version")));
                }
                assertThat(versions).containsExactly(4L, 5L, 6L);

                ws.send(new JsonObject().put("op", "append").put("requestId", 7).put("threadId", "ws-state").put("expectedVersion", 1)
                        .put("events", new JsonArray().add(new JsonObject().put("type", "values").put("set", new JsonObject().put("a", 1)))));
                JsonObject conflict = ws.next(m -> "error".equals(m.getString("type")));
                assertThat(conflict.getMap()).containsEntry("requestId", 7).containsEntry("error", "version_conflict").containsEntry("actual", 6);

                ws.send(new JsonObject().put("op", "unsubscribe").put("threadId", "ws-state"));
                assertThat(ws.next(m -> !"events".equals(m.getString("type"))).getString("type")).isEqualTo("unsubscribed");
            }
        }
    }

    @Test
    void badMessagesGetErrorsAndTheConnectionStays() {
        try (TestServer server = TestServer.start(o -> o.setMaxSubscriptionsPerConnection(2).setMaxFrameBytes(1024).setMaxMessageBytes(4096))) {
            WebSocketClient client = server.wsClient(1 << 20);
            try (WsClient ws = new WsClient(TestServer.await(server.connect(client, null)))) {
                TestServer.await(ws.ws.writeTextMessage("{not json"));
                assertThat(ws.next().getString("error")).isEqualTo("invalid_json");
                ws.send(new JsonObject().put("op", "dance"));
                assertThat(ws.next().getString("error")).isEqualTo("invalid_input");
                ws.send(WsClient.subscribe("a", null).put("colour", "red"));
                assertThat(ws.next().getString("error")).isEqualTo("invalid_input");
                ws.send(WsClient.subscribe("a", null).put("fromVersion", "1"));
                assertThat(ws.next().getString("error")).isEqualTo("invalid_input");
                ws.send(WsClient.append("r-2", "a", "x").put("extra", true));
                JsonObject refused = ws.next();
                assertThat(refused.getMap()).containsEntry("error", "invalid_input").containsEntry("requestId", "r-2");

                ws.send(WsClient.subscribe("a", null));
                assertThat(ws.next().getString("type")).isEqualTo("state");
                ws.send(WsClient.subscribe("b", 1L));
                ws.send(WsClient.subscribe("c", 1L));
                assertThat(ws.next().getString("error")).isEqualTo("too_many_subscriptions");
            }
            try (WsClient ws = new WsClient(TestServer.await(server.connect(client, null)))) {
                TestServer.await(ws.ws.writeTextMessage("{\"op\": \"append\", \"pad\": \"" + "x".repeat(8000) + "\"}"));
                long deadline = System.nanoTime() + 20_000_000_000L;
                while (ws.closeStatus == null && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                assertThat(ws.closeStatus).as("a frame over the limit closes the socket").isNotNull();
            }
        }
    }

    @Test
    void catchUpThenLiveWithConcurrentWritersHasNoGapAndNoDuplicate() {
        try (TestServer server = TestServer.start(o -> { }, c -> TestServer.smallWatch(c, 10_000, 7))) {
            server.appendMessages("ws-race", null, 40);
            int writers = 4;
            int appendsEach = 25;
            WebSocketClient client = server.wsClient(1 << 22);
            try (WsClient fromStart = new WsClient(TestServer.await(server.connect(client, null)));
                 WsClient fromState = new WsClient(TestServer.await(server.connect(client, null)))) {
                List<Future<?>> writing = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    Future<?> chain = Future.succeededFuture();
                    for (int i = 0; i < appendsEach; i++) {
                        String body = "{\"events\": [{\"type\": \"values\", \"set\": {\"w\": " + i + "}}, {\"type\": \"values\", \"set\": {\"x\": " + i + "}}]}";
                        chain = chain.compose(v -> server.http.request(HttpMethod.POST, "/v1/threads/ws-race/events")
                                .sendBuffer(io.vertx.core.buffer.Buffer.buffer(body)));
                    }
                    writing.add(chain);
                }
                fromStart.send(WsClient.subscribe("ws-race", 1L));
                fromState.send(WsClient.subscribe("ws-race", null));
                TestServer.await(Future.all(writing));
                long head = 40 + (long) writers * appendsEach * 2;

                expectContiguous(fromStart, 1, head);
                JsonObject state = fromState.next();
                assertThat(state.getString("type")).isEqualTo("state");
                long v = state.getLong("version");
                assertThat(state.getJsonArray("messages")).hasSize(40);
                if (v < head) {
                    expectContiguous(fromState, v + 1, head);
                }
            }
        }
    }

    @Test
    void aSlowSubscriberOverflowsWhileAFastOneGetsEverything() {
        int events = 4000;
        try (TestServer server = TestServer.start(o -> o.setWriteQueueBytes(8 * 1024), c -> TestServer.smallWatch(c, 500, 32))) {
            WebSocketClient fastClient = server.wsClient(1 << 22);
            WebSocketClient slowClient = server.clientVertx.createWebSocketClient(new io.vertx.core.http.WebSocketClientOptions()
                    .setMaxMessageSize(1 << 22).setReceiveBufferSize(4096));
            try (WsClient fast = new WsClient(TestServer.await(server.connect(fastClient, null)));
                 WsClient slow = new WsClient(TestServer.await(server.connect(slowClient, null)))) {
                fast.send(WsClient.subscribe("ws-slow", 1L));
                slow.send(WsClient.subscribe("ws-slow", 1L));
                server.appendMessages("ws-slow", null, 1);
                expectContiguous(fast, 1, 1);
                expectContiguous(slow, 1, 1);
                slow.ws.pause();

                String pad = "p".repeat(4000);
                for (int i = 0; i < (events - 1) / 100 + 1; i++) {
                    StringBuilder batch = new StringBuilder();
                    for (int j = 0; j < 100; j++) {
                        batch.append(j == 0 ? "" : ",").append("{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"").append(pad).append("\"}}");
                    }
                    assertThat(server.post("/v1/threads/ws-slow/events", "{\"events\": [" + batch + "]}").statusCode()).isEqualTo(200);
                }
                long head = 1 + ((events - 1) / 100 + 1) * 100L;
                expectContiguous(fast, 2, head);

                slow.ws.resume();
                long next = 2;
                while (true) {
                    JsonObject m = slow.next();
                    if ("overflow".equals(m.getString("type"))) {
                        assertThat(m.getString("threadId")).isEqualTo("ws-slow");
                        assertThat(m.getLong("resumeFrom")).as("resume exactly after the last version received").isEqualTo(next);
                        break;
                    }
                    assertThat(m.getString("type")).isEqualTo("events");
                    for (Object e : m.getJsonArray("events")) {
                        assertThat(((JsonObject) e).getLong("version")).isEqualTo(next++);
                    }
                }
                assertThat(next).as("the slow subscriber was cut off before the head").isLessThan(head);
                assertThat(server.get("/metrics").bodyAsString()).contains("engram_websocket_overflows_total 1.0");
                // resuming from where it stopped delivers the rest
                slow.send(WsClient.subscribe("ws-slow", next));
                expectContiguous(slow, next, head);
            }
        }
    }

    @Test
    void tokensAreCheckedAndTenantsSeeOnlyTheirOwnThreads() {
        try (TestServer server = TestServer.start(o -> o.setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a").addApiKey(Tokens.KEY_B, "tenant-b")))) {
            WebSocketClient client = server.wsClient(1 << 20);
            Future<?> refused = server.connect(client, null);
            assertThat(refused.toCompletionStage().toCompletableFuture().handle((ok, e) -> e).join()).as("no token, no socket").isNotNull();
            assertThat(server.connect(client, "wrong-key-wrong-key-wrong").toCompletionStage().toCompletableFuture().handle((ok, e) -> e).join()).isNotNull();

            server.appendMessages("ws-private", Tokens.KEY_A, 2);
            WebSocketConnectOptions viaQuery = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port())
                    .setURI("/v1/stream?access_token=" + Tokens.KEY_B);
            try (WsClient b = new WsClient(TestServer.await(client.connect(viaQuery)));
                 WsClient a = new WsClient(TestServer.await(server.connect(client, Tokens.KEY_A)))) {
                b.send(WsClient.subscribe("ws-private", null));
                JsonObject seenByB = b.next();
                assertThat(seenByB.getString("type")).isEqualTo("state");
                assertThat(seenByB.getLong("version")).as("tenant b sees no such thread").isZero();
                assertThat(seenByB.getJsonArray("messages")).isEmpty();
                a.send(WsClient.subscribe("ws-private", 1L));
                expectContiguous(a, 1, 2);

                server.appendMessages("ws-private", Tokens.KEY_A, 1);
                expectContiguous(a, 3, 3);
                // b's first event is its own write, proving a's append never reached it
                b.send(WsClient.append("b-1", "ws-private", "b's own"));
                JsonObject first = b.next();
                JsonObject second = b.next();
                List<String> types = List.of(first.getString("type"), second.getString("type"));
                assertThat(types).containsExactlyInAnyOrder("appended", "events");
                JsonObject events = "events".equals(first.getString("type")) ? first : second;
                assertThat(events.getJsonArray("events").getJsonObject(0).getLong("version")).isEqualTo(1);
                assertThat(events.getJsonArray("events").getJsonObject(0).getJsonObject("message").getString("content")).isEqualTo("b's own");
            }
        }
    }
}
