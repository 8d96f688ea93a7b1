package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.engram.server.auth.AuthOptions;
import dev.engram.server.bus.Addresses;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@code engram.memory.*} addresses: in process, through the TCP bridge and through the SockJS bridge, each scoped to its tenant. */
class MemoryBusIT {

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

    private static JsonObject request(String address, String tenant, JsonObject body) {
        DeliveryOptions options = new DeliveryOptions();
        if (tenant != null) {
            options.addHeader(Addresses.TENANT_HEADER, tenant);
        }
        return TestServer.await(server.server.vertx().eventBus().<JsonObject>request(address, body, options)).body();
    }

    private static ReplyException refused(String address, String tenant, JsonObject body) {
        Throwable failure = catchThrowable(() -> request(address, tenant, body));
        assertThat(failure).isInstanceOf(AssertionError.class).hasCauseInstanceOf(ReplyException.class);
        return (ReplyException) failure.getCause();
    }

    private static JsonObject item(String namespace, String key) {
        return new JsonObject().put("namespace", new JsonArray().add(namespace)).put("key", key);
    }

    private static JsonObject put(String namespace, String key, String text) {
        return item(namespace, key).put("value", new JsonObject().put("text", text));
    }

    private static List<String> keys(JsonObject searchAnswer) {
        return searchAnswer.getJsonArray("items").stream().map(i -> ((JsonObject) i).getString("key")).toList();
    }

    @Test
    void inProcessRequestsAnswerLikeHttp() {
        JsonObject stored = request(Addresses.MEMORY_PUT, "tenant-a", put("bus-local", "k1", "orders espresso").put("kind", "fact").put("ttlMinutes", 5));
        assertThat(stored.getString("key")).isEqualTo("k1");
        assertThat(stored.getJsonArray("namespace")).isEqualTo(new JsonArray().add("bus-local"));
        assertThat(stored.getString("expiresAt")).isNotNull();

        JsonObject got = request(Addresses.MEMORY_GET, "tenant-a", item("bus-local", "k1"));
        assertThat(got).isEqualTo(stored);
        var viaHttp = server.send(HttpMethod.POST, "/v1/memories/get", Tokens.KEY_A, item("bus-local", "k1").encode());
        assertThat(viaHttp.bodyAsJsonObject()).as("the bus and HTTP give the same view").isEqualTo(stored);

        request(Addresses.MEMORY_PUT, "tenant-a", put("bus-local", "k2", "drinks tea"));
        JsonObject found = request(Addresses.MEMORY_SEARCH, "tenant-a", new JsonObject().put("namespacePrefix", new JsonArray().add("bus-local"))
                .put("query", "espresso").put("limit", 5));
        assertThat(keys(found)).startsWith("k1");
        assertThat(found.getJsonArray("items").getJsonObject(0).getDouble("score")).isNotNull();
        JsonObject namespaces = request(Addresses.MEMORY_NAMESPACES, "tenant-a", new JsonObject().put("prefix", new JsonArray().add("bus-local")));
        assertThat(namespaces).isEqualTo(new JsonObject().put("namespaces", new JsonArray().add(new JsonArray().add("bus-local"))));

        assertThat(request(Addresses.MEMORY_DELETE, "tenant-a", item("bus-local", "k1"))).isEqualTo(new JsonObject().put("deleted", true));
        ReplyException absent = refused(Addresses.MEMORY_GET, "tenant-a", item("bus-local", "k1"));
        assertThat(absent.failureCode()).isEqualTo(404);
        assertThat(new JsonObject(absent.getMessage()).getString("error")).isEqualTo("not_found");

        ReplyException unknownField = refused(Addresses.MEMORY_PUT, "tenant-a", put("bus-local", "k3", "x").put("colour", "red"));
        assertThat(unknownField.failureCode()).isEqualTo(400);
        assertThat(new JsonObject(unknownField.getMessage()).getString("error")).isEqualTo("invalid_input");
        ReplyException reserved = refused(Addresses.MEMORY_PUT, "tenant-a", put("engram.extraction", "k3", "x"));
        assertThat(reserved.failureCode()).isEqualTo(400);
        ReplyException wrongType = refused(Addresses.MEMORY_SEARCH, "tenant-a", new JsonObject().put("limit", "ten"));
        assertThat(wrongType.failureCode()).isEqualTo(400);
        assertThat(refused(Addresses.MEMORY_GET, "tenant-a", item("bus-local", "k3")).failureCode()).as("nothing stored").isEqualTo(404);

        request(Addresses.MEMORY_PUT, null, put("bus-default", "k", "the default tenant's"));
        assertThat(request(Addresses.MEMORY_GET, "default", item("bus-default", "k")).getJsonObject("value").getString("text"))
                .as("without a tenant header the tenant is default").isEqualTo("the default tenant's");
        assertThat(refused(Addresses.MEMORY_GET, "tenant-a", item("bus-default", "k")).failureCode()).isEqualTo(404);
    }

    @Test
    void tcpBridgeClientsUseTheMemoryAddressesOnlyWithinTheirTenant() {
        try (BridgeClient a = new BridgeClient(server.server.tcpBridgePort()); BridgeClient b = new BridgeClient(server.server.tcpBridgePort())) {
            JsonObject stored = a.request(Addresses.MEMORY_PUT, Tokens.KEY_A, put("bus-tcp", "secret", "a's secret"));
            assertThat(stored.getString("type")).as(stored.encode()).isEqualTo("message");
            assertThat(stored.getJsonObject("body").getString("key")).isEqualTo("secret");
            JsonObject got = a.request(Addresses.MEMORY_GET, Tokens.KEY_A, item("bus-tcp", "secret"));
            assertThat(got.getJsonObject("body").getJsonObject("value").getString("text")).isEqualTo("a's secret");

            JsonObject refused = b.request(Addresses.MEMORY_GET, Tokens.KEY_B, item("bus-tcp", "secret"));
            assertThat(refused.getString("type")).isEqualTo("err");
            assertThat(refused.getInteger("failureCode")).as("another tenant's item is absent").isEqualTo(404);
            // a forged tenant header is replaced by the token's tenant
            JsonObject forged = BridgeClient.send(Addresses.MEMORY_GET, Tokens.KEY_B, "r-forged", item("bus-tcp", "secret"));
            forged.getJsonObject("headers").put("tenant", "tenant-a");
            b.write(forged);
            assertThat(b.read().getInteger("failureCode")).isEqualTo(404);
            JsonObject searched = b.request(Addresses.MEMORY_SEARCH, Tokens.KEY_B, new JsonObject().put("namespacePrefix", new JsonArray().add("bus-tcp")));
            assertThat(searched.getJsonObject("body").getJsonArray("items")).isEmpty();
            JsonObject listed = b.request(Addresses.MEMORY_NAMESPACES, Tokens.KEY_B, new JsonObject());
            assertThat(listed.getJsonObject("body").getJsonArray("namespaces")).doesNotContain(new JsonArray().add("bus-tcp"));
            assertThat(b.request(Addresses.MEMORY_DELETE, Tokens.KEY_B, item("bus-tcp", "secret")).getJsonObject("body").getBoolean("deleted")).isFalse();

            JsonObject noToken = b.request(Addresses.MEMORY_GET, null, item("bus-tcp", "secret"));
            assertThat(noToken.getString("type")).isEqualTo("err");
            assertThat(noToken.getValue("body")).isNull();
            JsonObject badToken = b.request(Addresses.MEMORY_PUT, "not-a-real-key-000000", put("bus-tcp", "secret", "overwritten"));
            assertThat(badToken.getString("type")).isEqualTo("err");
            b.write(new JsonObject().put("type", "publish").put("address", Addresses.MEMORY_PUT)
                    .put("headers", new JsonObject().put("authorization", "Bearer " + Tokens.KEY_A)).put("body", put("bus-tcp", "secret", "published")));
            assertThat(b.read().getString("type")).as("publishing to a request address is refused").isEqualTo("err");

            JsonObject bad = a.request(Addresses.MEMORY_PUT, Tokens.KEY_A, put("bus-tcp", "bad key", "x"));
            assertThat(bad.getInteger("failureCode")).isEqualTo(400);
            assertThat(new JsonObject(bad.getString("message")).getString("error")).isEqualTo("invalid_input");

            JsonObject still = a.request(Addresses.MEMORY_GET, Tokens.KEY_A, item("bus-tcp", "secret"));
            assertThat(still.getJsonObject("body").getJsonObject("value").getString("text")).as("nothing b did reached a's item").isEqualTo("a's secret");
        }
    }

    @Test
    void sockJsSocketsReachOnlyTheirOwnTenantsMemories() {
        WebSocketClient client = server.wsClient(1 << 20);
        WebSocketConnectOptions base = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(server.port()).setURI("/eventbus/websocket");
        WebSocketConnectOptions asA = new WebSocketConnectOptions(base).addHeader("Authorization", "Bearer " + Tokens.KEY_A);
        WebSocketConnectOptions asB = new WebSocketConnectOptions(base).setURI("/eventbus/websocket?access_token=" + Tokens.KEY_B);
        try (WsClient a = new WsClient(TestServer.await(client.connect(asA))); WsClient b = new WsClient(TestServer.await(client.connect(asB)))) {
            a.send(BridgeClient.send(Addresses.MEMORY_PUT, null, "ra1", put("bus-sock", "pref", "likes jazz")));
            JsonObject stored = a.next();
            assertThat(stored.getString("address")).as(stored.encode()).isEqualTo("ra1");
            assertThat(stored.getJsonObject("body").getString("key")).isEqualTo("pref");

            a.send(BridgeClient.send(Addresses.MEMORY_SEARCH, null, "ra2", new JsonObject().put("namespacePrefix", new JsonArray().add("bus-sock"))
                    .put("query", "jazz")));
            assertThat(keys(a.next().getJsonObject("body"))).containsExactly("pref");

            b.send(BridgeClient.send(Addresses.MEMORY_GET, null, "rb1", item("bus-sock", "pref")));
            JsonObject refused = b.next();
            assertThat(refused.getInteger("failureCode")).as(refused.encode()).isEqualTo(404);
            b.send(BridgeClient.send(Addresses.MEMORY_SEARCH, null, "rb2", new JsonObject().put("namespacePrefix", new JsonArray().add("bus-sock"))
                    .put("query", "jazz")));
            assertThat(b.next().getJsonObject("body").getJsonArray("items")).isEmpty();
        }
        var viaHttp = server.send(HttpMethod.POST, "/v1/memories/get", Tokens.KEY_A, item("bus-sock", "pref").encode());
        assertThat(viaHttp.bodyAsJsonObject().getJsonObject("value").getString("text")).isEqualTo("likes jazz");
    }
}
