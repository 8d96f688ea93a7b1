package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpApiIT {

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(o -> o.setMaxBodyBytes(64 * 1024), c -> c.withLimits(new dev.engram.core.config.Limits(1024 * 1024, 10)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private HttpResponse<Buffer> call(HttpMethod method, String uri, String body) {
        return server.send(method, uri, null, body);
    }

    private static void assertError(HttpResponse<Buffer> r, int status, String code) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getString("error")).isEqualTo(code);
        assertThat(body.getString("message")).isNotBlank();
    }

    @Test
    void appendThenReadStateEventsAndPages() {
        HttpResponse<Buffer> r = server.post("/v1/threads/t-read/events", """
                {"expectedVersion": "none", "metadata": {"userId": "u-1"}, "events": [
                  {"type": "message", "message": {"role": "user", "content": "hi", "name": "ada", "attributes": {"tokens": 3}}},
                  {"type": "values", "set": {"lang": "en", "n": 2}},
                  {"type": "custom", "name": "tool.audit", "data": "AQID"},
                  {"type": "message", "message": {"role": "assistant", "content": "hello"}},
                  {"type": "compact", "upTo": 1, "summary": {"role": "system", "content": "greeted"}}
                ]}""");
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        assertThat(r.bodyAsJsonObject().getMap()).containsEntry("threadId", "t-read").containsEntry("firstVersion", 1).containsEntry("lastVersion", 5);

        JsonObject state = server.get("/v1/threads/t-read/state").bodyAsJsonObject();
        assertThat(state.getLong("version")).isEqualTo(5);
        assertThat(state.getJsonArray("messages").stream().map(m -> ((JsonObject) m).getString("content"))).containsExactly("greeted", "hello");
        assertThat(state.getJsonObject("values").getMap()).containsEntry("lang", "en").containsEntry("n", 2);
        assertThat(state.getJsonObject("metadata").getString("userId")).isEqualTo("u-1");
        assertThat(state.getString("updatedAt")).isNotNull();

        JsonObject past = server.get("/v1/threads/t-read/state?version=1").bodyAsJsonObject();
        assertThat(past.getLong("version")).isEqualTo(1);
        assertThat(past.getJsonArray("messages").getJsonObject(0).getJsonObject("attributes").getInteger("tokens")).isEqualTo(3);

        JsonObject page1 = server.get("/v1/threads/t-read/events?from=1&limit=3").bodyAsJsonObject();
        JsonArray events = page1.getJsonArray("events");
        assertThat(events).hasSize(3);
        assertThat(events.getJsonObject(2).getMap()).containsEntry("type", "custom").containsEntry("name", "tool.audit").containsEntry("data", "AQID");
        assertThat(page1.getLong("next")).isEqualTo(4);
        JsonObject page2 = server.get("/v1/threads/t-read/events?from=4&limit=3").bodyAsJsonObject();
        assertThat(page2.getJsonArray("events")).hasSize(2);
        assertThat(page2.getValue("next")).isNull();
        assertThat(page2.getJsonArray("events").getJsonObject(1).getMap()).containsEntry("type", "compact").containsEntry("upTo", 1);
    }

    @Test
    void versionConflictCarriesExpectedAndActual() {
        server.appendMessages("t-conflict", null, 2);
        HttpResponse<Buffer> r = server.post("/v1/threads/t-conflict/events",
                "{\"expectedVersion\": 1, \"events\": [{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"x\"}}]}");
        assertError(r, 409, "version_conflict");
        assertThat(r.bodyAsJsonObject().getLong("expected")).isEqualTo(1);
        assertThat(r.bodyAsJsonObject().getLong("actual")).isEqualTo(2);
        assertError(server.post("/v1/threads/t-conflict/events",
                "{\"expectedVersion\": \"none\", \"events\": [{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"x\"}}]}"), 409, "version_conflict");
    }

    @Test
    void retriedEventIdsAreDeduplicated() {
        String body = "{\"events\": [{\"id\": \"3f0c1c38-56a4-4c3e-9a57-1d7f3c3b1e01\", \"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"once\"}}]}";
        assertThat(server.post("/v1/threads/t-dedup/events", body).bodyAsJsonObject().getBoolean("deduplicated")).isFalse();
        JsonObject again = server.post("/v1/threads/t-dedup/events", body).bodyAsJsonObject();
        assertThat(again.getBoolean("deduplicated")).isTrue();
        assertThat(again.getLong("lastVersion")).isEqualTo(1);
    }

    @Test
    void badBodiesAreRefusedAndNothingIsStored() {
        String uri = "/v1/threads/t-bad/events";
        assertError(server.post(uri, "{\"events\": [ "), 400, "invalid_json");
        assertError(server.post(uri, "[1, 2]"), 400, "invalid_json");
        assertError(server.post(uri, ""), 400, "invalid_json");
        assertError(server.post(uri, "{\"events\": [], \"events\": []}"), 400, "invalid_json");
        assertError(server.post(uri, "{\"evnts\": []}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": [{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"x\", \"mood\": 1}}]}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": \"many\"}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": [{\"type\": \"message\", \"message\": {\"role\": 7, \"content\": \"x\"}}]}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"expectedVersion\": \"soon\", \"events\": [{\"type\": \"values\", \"set\": {\"a\": 1}}]}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": [{\"type\": \"teleport\"}]}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": [{\"id\": \"not-a-uuid\", \"type\": \"values\", \"set\": {\"a\": 1}}]}"), 400, "invalid_input");
        assertError(server.post(uri, "{\"events\": [{\"type\": \"custom\", \"name\": \"x\", \"data\": \"%%%\"}]}"), 400, "invalid_input");
        // the second event is invalid: the first must not be stored either
        assertError(server.post(uri, "{\"events\": [{\"type\": \"values\", \"set\": {\"a\": 1}}, {\"type\": \"values\"}]}"), 400, "invalid_input");
        assertError(server.post("/v1/threads/bad%20id/events", "{\"events\": [{\"type\": \"values\", \"set\": {\"a\": 1}}]}"), 400, "invalid_input");
        assertError(server.get(uri + "?from=abc"), 400, "invalid_input");
        assertError(server.get(uri + "?colour=red"), 400, "invalid_input");
        assertError(server.get("/v1/threads/t-bad/state"), 404, "not_found");
    }

    @Test
    void limitsGive413() {
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < 11; i++) {
            events.append(i == 0 ? "" : ",").append("{\"type\": \"values\", \"set\": {\"k\": ").append(i).append("}}");
        }
        assertError(server.post("/v1/threads/t-limit/events", "{\"events\": [" + events + "]}"), 413, "payload_too_large");
        String big = "x".repeat(70 * 1024);
        assertError(server.post("/v1/threads/t-limit/events", "{\"events\": [{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"" + big + "\"}}]}"),
                413, "payload_too_large");
        assertError(server.get("/v1/threads/t-limit/state"), 404, "not_found");
    }

    @Test
    void checkpointsForkMetadataListAndDelete() {
        server.appendMessages("t-ops", null, 3);
        HttpResponse<Buffer> cp = server.post("/v1/threads/t-ops/checkpoints", null);
        assertThat(cp.statusCode()).as(cp.bodyAsString()).isEqualTo(201);
        assertThat(cp.bodyAsJsonObject().getLong("version")).isEqualTo(3);
        JsonArray list = server.get("/v1/threads/t-ops/checkpoints").bodyAsJsonObject().getJsonArray("checkpoints");
        assertThat(list).hasSize(1);
        assertError(server.post("/v1/threads/t-absent/checkpoints", null), 404, "not_found");
        assertError(server.get("/v1/threads/t-absent/checkpoints"), 404, "not_found");

        HttpResponse<Buffer> fork = server.post("/v1/threads/t-ops/fork", "{\"to\": \"t-ops-fork\", \"atVersion\": 2}");
        assertThat(fork.statusCode()).as(fork.bodyAsString()).isEqualTo(201);
        assertThat(server.get("/v1/threads/t-ops-fork/state").bodyAsJsonObject().getLong("version")).isEqualTo(2);
        server.appendMessages("t-ops-taken", null, 1);
        assertError(server.post("/v1/threads/t-ops/fork", "{\"to\": \"t-ops-taken\", \"atVersion\": 1}"), 409, "version_conflict");
        assertError(server.post("/v1/threads/t-ops/fork", "{\"to\": 5}"), 400, "invalid_input");

        HttpResponse<Buffer> patched = call(HttpMethod.PATCH, "/v1/threads/t-ops-fork/metadata", "{\"set\": {\"userId\": \"u-ops\"}, \"remove\": [\"forkedAt\"]}");
        assertThat(patched.statusCode()).as(patched.bodyAsString()).isEqualTo(200);
        assertThat(patched.bodyAsJsonObject().getJsonObject("metadata").getMap()).containsEntry("userId", "u-ops").doesNotContainKey("forkedAt");
        assertError(call(HttpMethod.PATCH, "/v1/threads/t-absent/metadata", "{\"set\": {\"a\": \"b\"}}"), 404, "not_found");

        JsonObject page = server.get("/v1/threads?metadata.userId=u-ops&limit=10").bodyAsJsonObject();
        assertThat(page.getJsonArray("threads").stream().map(t -> ((JsonObject) t).getString("threadId"))).containsExactly("t-ops-fork");
        assertError(server.get("/v1/threads?limit=0"), 400, "invalid_input");
        assertError(server.get("/v1/threads?sort=asc"), 400, "invalid_input");

        assertThat(call(HttpMethod.DELETE, "/v1/threads/t-ops-fork", null).statusCode()).isEqualTo(204);
        assertError(call(HttpMethod.DELETE, "/v1/threads/t-ops-fork", null), 404, "not_found");
        assertError(server.get("/v1/threads/t-ops-fork/state"), 404, "not_found");
    }

    @Test
    void namespacesAreSeparateLogs() {
        assertThat(server.post("/v1/threads/t-ns/events?ns=planner", "{\"events\": [{\"type\": \"values\", \"set\": {\"a\": 1}}]}").statusCode()).isEqualTo(200);
        assertThat(server.get("/v1/threads/t-ns/state?ns=planner").bodyAsJsonObject().getString("ns")).isEqualTo("planner");
        assertError(server.get("/v1/threads/t-ns/state"), 404, "not_found");
        assertError(server.get("/v1/threads/t-ns/state?ns=bad%20ns"), 400, "invalid_input");
    }

    @Test
    void healthMetricsAndUnknownRoutes() {
        assertThat(server.get("/health/live").bodyAsJsonObject().getString("status")).isEqualTo("up");
        HttpResponse<Buffer> ready = server.get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.bodyAsJsonObject().getString("provider")).isEqualTo("memory");
        server.appendMessages("t-metrics", null, 1);
        String metrics = server.get("/metrics").bodyAsString();
        assertThat(metrics).contains("engram_appends_total", "engram_version_conflicts_total", "engram_checkpoints_total",
                "engram_websocket_subscribers", "engram_bridge_sockets", "engram_backend_errors_total", "vertx_http_server_requests_total",
                "vertx_http_server_response_time_seconds");
        assertError(server.get("/v2/nothing"), 404, "not_found");
        assertError(call(HttpMethod.PUT, "/v1/threads/t-metrics/state", "{}"), 405, "method_not_allowed");
    }

    @Test
    void twoServersInOneJvmEachReportTheirOwnHttpMeters() {
        try (TestServer second = TestServer.start()) {
            assertThat(second.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(second.get("/metrics").bodyAsString()).as("the second server's Vert.x meters land in its own registry")
                    .contains("vertx_http_server_requests_total");
        }
    }
}
