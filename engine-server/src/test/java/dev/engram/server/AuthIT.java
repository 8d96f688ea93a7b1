package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.server.auth.AuthOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AuthIT {

    private static final String APPEND = "{\"events\": [{\"type\": \"message\", \"message\": {\"role\": \"user\", \"content\": \"secret of a\"}}]}";

    private static Vertx signing;
    private static TestServer server;
    private static Tokens hs;

    @BeforeAll
    static void start() {
        signing = Vertx.vertx();
        hs = Tokens.hs256(signing);
        server = TestServer.start(o -> o.setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a").addApiKey(Tokens.KEY_B, "tenant-b")
                .setJwtHs256(Tokens.SECRET).setJwtIssuer(Tokens.ISSUER).setJwtAudience(List.of(Tokens.AUDIENCE))));
    }

    @AfterAll
    static void stop() {
        server.close();
        TestServer.await(signing.close());
    }

    private static void assertError(HttpResponse<Buffer> r, int status, String code) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
        assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo(code);
    }

    @Test
    void apiKeysAndJwtsNameTheirTenant() {
        assertThat(server.send(HttpMethod.POST, "/v1/threads/auth-1/events", Tokens.KEY_A, APPEND).statusCode()).isEqualTo(200);
        HttpResponse<Buffer> viaJwt = server.send(HttpMethod.GET, "/v1/threads/auth-1/state", hs.valid("tenant-a"), null);
        assertThat(viaJwt.statusCode()).as(viaJwt.bodyAsString()).isEqualTo(200);
        assertThat(viaJwt.bodyAsJsonObject().getLong("version")).isEqualTo(1);
    }

    @Test
    void missingAndBadTokensAre401() {
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state", null, null), 401, "unauthorized");
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state", "not-a-key-at-all-0000", null), 401, "unauthorized");
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state", hs.expired("tenant-a"), null), 401, "unauthorized");
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state",
                hs.sign(new JsonObject().put("tenant", "tenant-a"), "https://evil.test", Tokens.AUDIENCE, 300), null), 401, "unauthorized");
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state",
                hs.sign(new JsonObject().put("tenant", "tenant-a"), Tokens.ISSUER, "someone-else", 300), null), 401, "unauthorized");
        HttpResponse<Buffer> none = server.send(HttpMethod.GET, "/v1/threads/auth-x/state", Tokens.unsigned("tenant-a"), null);
        assertError(none, 401, "unauthorized");
        assertThat(none.bodyAsJsonObject().getString("message")).contains("none");
        String valid = hs.valid("tenant-a");
        String tampered = valid.substring(0, valid.lastIndexOf('.') + 1) + "AAAA" + valid.substring(valid.lastIndexOf('.') + 5);
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state", tampered, null), 401, "unauthorized");
    }

    @Test
    void tokenWithoutTenantClaimIs403() {
        String noTenant = hs.sign(new JsonObject().put("sub", "user-1"), Tokens.ISSUER, Tokens.AUDIENCE, 300);
        assertError(server.send(HttpMethod.GET, "/v1/threads/auth-x/state", noTenant, null), 403, "forbidden");
    }

    @Test
    void anotherTenantsThreadIsAbsentOnEveryEndpoint() {
        assertThat(server.send(HttpMethod.POST, "/v1/threads/private-a/events", Tokens.KEY_A, APPEND).statusCode()).isEqualTo(200);
        assertThat(server.send(HttpMethod.PATCH, "/v1/threads/private-a/metadata", Tokens.KEY_A, "{\"set\": {\"userId\": \"u-a\"}}").statusCode()).isEqualTo(200);
        String b = Tokens.KEY_B;
        assertError(server.send(HttpMethod.GET, "/v1/threads/private-a/state", b, null), 404, "not_found");
        assertError(server.send(HttpMethod.GET, "/v1/threads/private-a/events", b, null), 404, "not_found");
        assertError(server.send(HttpMethod.GET, "/v1/threads/private-a/checkpoints", b, null), 404, "not_found");
        assertError(server.send(HttpMethod.POST, "/v1/threads/private-a/checkpoints", b, null), 404, "not_found");
        assertError(server.send(HttpMethod.POST, "/v1/threads/private-a/fork", b, "{\"to\": \"stolen\"}"), 404, "not_found");
        assertError(server.send(HttpMethod.PATCH, "/v1/threads/private-a/metadata", b, "{\"set\": {\"x\": \"y\"}}"), 404, "not_found");
        assertError(server.send(HttpMethod.DELETE, "/v1/threads/private-a", b, null), 404, "not_found");
        assertThat(server.send(HttpMethod.GET, "/v1/threads?metadata.userId=u-a", b, null).bodyAsJsonObject().getJsonArray("threads")).isEmpty();
        // appending "to the same id" creates tenant b's own thread; a's is untouched
        assertThat(server.send(HttpMethod.POST, "/v1/threads/private-a/events", b, "{\"expectedVersion\": \"none\", \"events\": [{\"type\": \"values\", \"set\": {\"b\": 1}}]}")
                .statusCode()).isEqualTo(200);
        JsonObject aState = server.send(HttpMethod.GET, "/v1/threads/private-a/state", Tokens.KEY_A, null).bodyAsJsonObject();
        assertThat(aState.getLong("version")).isEqualTo(1);
        assertThat(aState.getJsonObject("values").isEmpty()).isTrue();
        assertThat(server.send(HttpMethod.GET, "/v1/threads?metadata.userId=u-a", Tokens.KEY_A, null).bodyAsJsonObject().getJsonArray("threads")).hasSize(1);
    }

    @Test
    void rs256TokensAreVerifiedWithThePublicKey() {
        KeyPair keys = Tokens.rsaKeys();
        Tokens rs = Tokens.rs256(signing, keys);
        try (TestServer rsServer = TestServer.start(o -> o.setAuth(new AuthOptions().setJwtRs256(Tokens.publicPem(keys))
                .setJwtIssuer(Tokens.ISSUER).setTenantClaim("org")))) {
            String token = rs.sign(new JsonObject().put("org", "tenant-r"), Tokens.ISSUER, Tokens.AUDIENCE, 300);
            assertThat(rsServer.send(HttpMethod.POST, "/v1/threads/r-1/events", token, APPEND).statusCode()).isEqualTo(200);
            assertError(rsServer.send(HttpMethod.GET, "/v1/threads/r-1/state", hs.valid("tenant-r"), null), 401, "unauthorized");
            assertError(rsServer.send(HttpMethod.GET, "/v1/threads/r-1/state", Tokens.rs256(signing, Tokens.rsaKeys())
                    .sign(new JsonObject().put("org", "tenant-r"), Tokens.ISSUER, Tokens.AUDIENCE, 300), null), 401, "unauthorized");
            assertError(rsServer.send(HttpMethod.GET, "/v1/threads/r-1/state", token.replace("eyJ", "eyK"), null), 401, "unauthorized");
        }
    }

    @Test
    void requestsOverTheTenantsRateAre429() {
        try (TestServer limited = TestServer.start(o -> o.setRequestsPerSecond(5).setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a")
                .addApiKey(Tokens.KEY_B, "tenant-b")))) {
            int refused = 0;
            for (int i = 0; i < 20; i++) {
                HttpResponse<Buffer> r = limited.send(HttpMethod.GET, "/v1/threads?limit=1", Tokens.KEY_A, null);
                if (r.statusCode() == 429) {
                    refused++;
                    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("rate_limited");
                    assertThat(r.getHeader("Retry-After")).isEqualTo("1");
                }
            }
            assertThat(refused).isGreaterThan(0);
            assertThat(limited.send(HttpMethod.GET, "/v1/threads?limit=1", Tokens.KEY_B, null).statusCode()).as("another tenant's budget").isEqualTo(200);
        }
    }
}
