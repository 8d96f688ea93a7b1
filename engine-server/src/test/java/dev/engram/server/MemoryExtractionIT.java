package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.engram.core.config.ExtractionSettings;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.config.ModelEndpoint;
import dev.engram.server.auth.AuthOptions;
import dev.engram.server.bus.Addresses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Facts extracted from a conversation appended over HTTP are read back over HTTP and the event bus with their
 * provenance; the engine's own bookkeeping namespaces never show. The model is a real HTTP server on 127.0.0.1 that
 * answers like an OpenAI-compatible chat completions API.
 */
class MemoryExtractionIT {

    private static final String ANSWER = new JsonObject().put("facts", new JsonArray().add(new JsonObject()
            .put("action", "add").put("key", "home_city").put("value", new JsonObject().put("text", "The user lives in Lyon.")))).encode();

    private static HttpServer model;
    private static TestServer server;

    @BeforeAll
    static void start() throws IOException {
        model = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        model.createContext("/v1/chat/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = new JsonObject().put("choices", new JsonArray().add(new JsonObject()
                    .put("message", new JsonObject().put("role", "assistant").put("content", ANSWER)))).encode().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        model.start();
        ModelEndpoint endpoint = new ModelEndpoint("http://127.0.0.1:" + model.getAddress().getPort() + "/v1", "test-model", null, Duration.ofSeconds(10));
        server = TestServer.start(o -> o.setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a").addApiKey(Tokens.KEY_B, "tenant-b")),
                c -> c.withMemory(MemorySettings.defaults().withExtraction(ExtractionSettings.defaults().enabled(endpoint))));
    }

    @AfterAll
    static void stop() {
        try {
            server.close();
        } finally {
            model.stop(0);
        }
    }

    @Test
    void extractedFactsCarryTheirProvenanceOnEverySurface() {
        HttpResponse<Buffer> appended = server.send(HttpMethod.POST, "/v1/threads/chat-lyon/events", Tokens.KEY_A, """
                {"metadata": {"userId": "u-9"}, "events": [{"type": "message", "message": {"role": "user", "content": "I live in Lyon now."}}]}""");
        assertThat(appended.statusCode()).as(appended.bodyAsString()).isEqualTo(200);
        server.server.engram().extraction().whenIdle().block(Duration.ofSeconds(30));

        String key = "{\"namespace\": [\"u-9\", \"facts\"], \"key\": \"home_city\"}";
        HttpResponse<Buffer> got = server.send(HttpMethod.POST, "/v1/memories/get", Tokens.KEY_A, key);
        assertThat(got.statusCode()).as(got.bodyAsString()).isEqualTo(200);
        JsonObject fact = got.bodyAsJsonObject();
        assertThat(fact.getJsonObject("value")).isEqualTo(new JsonObject().put("text", "The user lives in Lyon."));
        assertThat(fact.getString("kind")).isEqualTo("fact");
        assertThat(fact.getJsonObject("provenance")).isEqualTo(new JsonObject().put("thread", "chat-lyon").put("namespace", "")
                .put("fromVersion", 1).put("toVersion", 1).put("extractor", "openai").put("model", "test-model"));

        JsonObject found = TestServer.await(server.server.vertx().eventBus().<JsonObject>request(Addresses.MEMORY_SEARCH,
                new JsonObject().put("namespacePrefix", new JsonArray().add("u-9")).put("query", "Lyon"),
                new DeliveryOptions().addHeader(Addresses.TENANT_HEADER, "tenant-a"))).body();
        assertThat(found.getJsonArray("items")).hasSize(1);
        assertThat(found.getJsonArray("items").getJsonObject(0).getJsonObject("provenance")).isEqualTo(fact.getJsonObject("provenance"));

        JsonObject namespaces = server.send(HttpMethod.POST, "/v1/memories/namespaces", Tokens.KEY_A, "{}").bodyAsJsonObject();
        assertThat(namespaces).as("the engine's own namespaces stay hidden")
                .isEqualTo(new JsonObject().put("namespaces", new JsonArray().add(new JsonArray().add("u-9").add("facts"))));
        JsonObject everything = server.send(HttpMethod.POST, "/v1/memories/search", Tokens.KEY_A, "{\"limit\": 100}").bodyAsJsonObject();
        assertThat(everything.getJsonArray("items")).hasSize(1);

        assertThat(server.send(HttpMethod.POST, "/v1/memories/get", Tokens.KEY_B, key).statusCode()).as("another tenant").isEqualTo(404);

        String metrics = server.get("/metrics").bodyAsString();
        assertThat(metric(metrics, "engram_extraction_turns_total")).as("the extracted turn is counted").isGreaterThanOrEqualTo(1);
        assertThat(metric(metrics, "engram_extraction_facts_added_total")).as("so is the fact").isGreaterThanOrEqualTo(1);
        assertThat(metric(metrics, "engram_extraction_pending")).as("nothing left waiting").isEqualTo(0);
    }

    private static double metric(String prometheusText, String name) {
        return prometheusText.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " is not in /metrics"));
    }
}
