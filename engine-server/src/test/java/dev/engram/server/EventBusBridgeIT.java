package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.server.auth.AuthOptions;
import dev.engram.server.bus.Addresses;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EventBusBridgeIT {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(o -> o.setTcpBridgePort(0)
                .setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a").addApiKey(Tokens.KEY_B, "tenant-b")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static JsonObject appendBody(String threadId, String content) {
        return new JsonObject().put("threadId", threadId).put("events", new JsonArray().add(new JsonObject().put("type", "message")
                .put("message", new JsonObject().put("role", "user").put("content", content))));
    }

    @Test
    void tcpClientsAppendAndReadThroughTheRequestAddresses() {
        try (BridgeClient tcp = new BridgeClient(server.server.tcpBridgePort())) {
            JsonObject appended = tcp.request(Addresses.APPEND, Tokens.KEY_A, appendBody("bus-1", "via tcp"));
            assertThat(appended.getString("type")).as(appended.encode()).isEqualTo("message");
            assertThat(appended.getJsonObject("body").getLong("lastVersion")).isEqualTo(1);

            JsonObject state = tcp.request(Addresses.STATE, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1"));
            assertThat(state.getJsonObject("body").getJsonArray("messages").getJsonObject(0).getString("content")).isEqualTo("via tcp");
            JsonObject events = tcp.request(Addresses.EVENTS, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1").put("from", 1));
            assertThat(events.getJsonObject("body").getJsonArray("events")).hasSize(1);
            JsonObject checkpoint = tcp.request(Addresses.CHECKPOINT, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1"));
            assertThat(checkpoint.getJsonObject("body").getLong("version")).isEqualTo(1);

            JsonObject bad = tcp.request(Addresses.STATE, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1").put("colour", "red"));
            assertThat(bad.getString("type")).isEqualTo("err");
            assertThat(bad.getInteger("failureCode")).isEqualTo(400);
            assertThat(new JsonObject(bad.getString("message")).getString("error")).isEqualTo("invalid_input");

            JsonObject deleted = tcp.request(Addresses.DELETE, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1"));
            assertThat(deleted.getJsonObject("body").getBoolean("deleted")).isTrue();
            JsonObject gone = tcp.request(Addresses.STATE, Tokens.KEY_A, new JsonObject().put("threadId", "bus-1"));
            assertThat(gone.getInteger("failureCode")).isEqualTo(404);
        }
    }

    @Test
    void tcpBridgeRefusesMissingTokensUnpermittedAddressesAndPublishing() {
        try (BridgeClient tcp = new BridgeClient(server.server.tcpBridgePort())) {
            JsonObject noToken = tcp.request(Addresses.STATE, null, new JsonObject().put("threadId", "bus-x"));
            assertThat(noToken.getString("type")).isEqualTo("err");
            JsonObject badToken = tcp.request(Addresses.STATE, "not-a-real-key-000000", new JsonObject().put("threadId", "bus-x"));
            assertThat(badToken.getString("type")).isEqualTo("err");
            JsonObject unpermitted = tcp.request("some.internal.address", Tokens.KEY_A, new JsonObject());
            assertThat(unpermitted.getString("type")).isEqualTo("err");
            tcp.write(new JsonObject().put("type", "publish").put("address", Addresses.changed("bus-x"))
                    .put("headers", new JsonObject().put("authorization", "Bearer " + Tokens.KEY_A)).put("body", new JsonObject()));
            assertThat(tcp.read().getString("type")).isEqualTo("err");
        }
    }

    @Test
    void tcpTenantsNeitherReadNorReceiveEachOthersThreads() {
        try (BridgeClient a = new BridgeClient(server.server.tcpBridgePort()); BridgeClient b = new BridgeClient(server.server.tcpBridgePort())) {
            for (int i = 0; i < 3; i++) {
                assertThat(a.request(Addresses.APPEND, Tokens.KEY_A, appendBody("bus-shared", "a" + i)).getString("type")).isEqualTo("message");
            }
            // a forged tenant header is replaced by the token's tenant
            JsonObject forged = BridgeClient.send(Addresses.STATE, Tokens.KEY_B, "r-forged", new JsonObject().put("threadId", "bus-shared"));
            forged.getJsonObject("headers").put("tenant", "tenant-a");
            b.write(forged);
            JsonObject refused = b.read();
            assertThat(refused.getInteger("failureCode")).as(refused.encode()).isEqualTo(404);
            assertThat(b.request(Addresses.DELETE, Tokens.KEY_B, new JsonObject().put("threadId", "bus-shared")).getInteger("failureCode")).isEqualTo(404);
            // registering another tenant's changes, or the unscoped in-process address, is refused
            b.write(BridgeClient.register(Addresses.changed("tenant-a", "bus-shared"), Tokens.KEY_B));
            assertThat(b.read().getString("type")).isEqualTo("err");
            b.write(BridgeClient.register(Addresses.changed("bus-shared"), Tokens.KEY_B));
            assertThat(b.read().getString("type")).isEqualTo("err");

            b.write(BridgeClient.register(Addresses.changed("tenant-b", "bus-shared"), Tokens.KEY_B));
            a.write(BridgeClient.register(Addresses.changed("tenant-a", "bus-shared"), Tokens.KEY_A));
            // a round trip on each socket, so both registrations are in place
            assertThat(b.request(Addresses.EVENTS, Tokens.KEY_B, new JsonObject().put("threadId", "no-such")).getInteger("failureCode")).isEqualTo(404);
            assertThat(a.request(Addresses.EVENTS, Tokens.KEY_A, new JsonObject().put("threadId", "bus-shared")).getString("type")).isEqualTo("message");

            server.appendMessages("bus-shared", Tokens.KEY_A, 1);
            JsonObject seenByA = a.read();
            assertThat(seenByA.getString("address")).isEqualTo(Addresses.changed("tenant-a", "bus-shared"));
            assertThat(seenByA.getJsonObject("body").getLong("firstVersion")).isEqualTo(4);

            server.appendMessages("bus-shared", Tokens.KEY_B, 1);
            JsonObject seenByB = b.read();
            assertThat(seenByB.getString("address")).isEqualTo(Addresses.changed("tenant-b", "bus-shared"));
            assertThat(seenByB.getJsonObject("body").getLong("firstVersion")).as("b's first change is its own thread's version 1, not a's").isEqualTo(1);
        }
    }

    @Test
    void sockJsSocketsAuthenticateAtCreationAndStayInTheirTenant() {
        server.appendMessages("sock-a", Tokens.KEY_A, 2);
        WebSocketClient client = server.wsClient(1 << 20);
        WebSocketConnectOptions noToken = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port()).setURI("/eventbus/websocket");
        try (WsClient anonymous = new WsClient(TestServer.await(client.connect(noToken)))) {
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (anonymous.closeStatus == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(anonymous.closeStatus).as("a socket without a token is closed").isNotNull();
        }
        WebSocketConnectOptions asB = new WebSocketConnectOptions(noToken).setURI("/eventbus/websocket?access_token=" + Tokens.KEY_B);
        WebSocketConnectOptions asA = new WebSocketConnectOptions(noToken).addHeader("Authorization", "Bearer " + Tokens.KEY_A);
        try (WsClient b = new WsClient(TestServer.await(client.connect(asB))); WsClient a = new WsClient(TestServer.await(client.connect(asA)))) {
            a.send(BridgeClient.send(Addresses.STATE, null, "ra", new JsonObject().put("threadId", "sock-a")));
            JsonObject aState = a.next();
            assertThat(aState.getJsonObject("body").getLong("version")).as(aState.encode()).isEqualTo(2);
            b.send(BridgeClient.send(Addresses.STATE, null, "rb", new JsonObject().put("threadId", "sock-a")));
            JsonObject bState = b.next();
            assertThat(bState.getInteger("failureCode")).as(bState.encode()).isEqualTo(404);

            b.send(BridgeClient.register(Addresses.changed("tenant-a", "sock-a"), null));
            assertThat(b.next().getString("type")).as("another tenant's changes").isEqualTo("err");
            b.send(BridgeClient.register(Addresses.changed("tenant-b", "sock-a"), null));
            b.send(BridgeClient.send(Addresses.EVENTS, null, "rb2", new JsonObject().put("threadId", "sock-none")));
            assertThat(b.next().getInteger("failureCode")).isEqualTo(404);
            server.appendMessages("sock-a", Tokens.KEY_A, 1);
            server.appendMessages("sock-a", Tokens.KEY_B, 1);
            JsonObject change = b.next();
            assertThat(change.getString("address")).isEqualTo(Addresses.changed("tenant-b", "sock-a"));
            assertThat(change.getJsonObject("body").getLong("firstVersion")).as("only b's own change").isEqualTo(1);
        }
    }
}
