package dev.engram.server.auth;

import dev.engram.core.internal.Ids;
import dev.engram.core.model.ThreadKey;
import dev.engram.server.ApiException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Turns a bearer token into a tenant: a static API key, else a JWT. The tenant never comes from anywhere else. */
public final class Authenticator {

    private final boolean enabled;
    private final Map<String, String> keyDigests;
    private final @Nullable JWTAuth jwt;
    private final @Nullable String algorithm;
    private final String tenantClaim;

    private Authenticator(boolean enabled, Map<String, String> keyDigests, @Nullable JWTAuth jwt, @Nullable String algorithm, String tenantClaim) {
        this.enabled = enabled;
        this.keyDigests = keyDigests;
        this.jwt = jwt;
        this.algorithm = algorithm;
        this.tenantClaim = tenantClaim;
    }

    public static Authenticator create(Vertx vertx, AuthOptions options) {
        Map<String, String> digests = new LinkedHashMap<>();
        options.getApiKeys().forEach((key, tenant) -> digests.put(digest(key), tenant));
        JWTAuth jwt = null;
        String alg = options.getJwtAlgorithm();
        if (alg != null) {
            JWTOptions checks = new JWTOptions().setIssuer(options.getJwtIssuer()).setLeeway(options.getLeewaySeconds());
            if (!options.getJwtAudience().isEmpty()) {
                checks.setAudience(options.getJwtAudience());
            }
            PubSecKeyOptions key = new PubSecKeyOptions().setAlgorithm(alg)
                    .setBuffer("HS256".equals(alg) ? options.getJwtSecret() : options.getJwtPublicKey());
            jwt = JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key).setJWTOptions(checks));
        }
        return new Authenticator(options.isEnabled(), digests, jwt, alg, options.getTenantClaim());
    }

    /** Whether callers must present a token; false in single-tenant development mode. */
    public boolean isEnabled() {
        return enabled;
    }

    /** The token of an {@code Authorization: Bearer …} header, or null. */
    public static @Nullable String bearer(@Nullable String header) {
        if (header == null) {
            return null;
        }
        String h = header.trim();
        return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
    }

    /** Succeeds with the caller's tenant; fails with a 401 {@link ApiException} for a missing or bad token, 403 for one without a usable tenant. */
    public Future<String> tenant(@Nullable String token) {
        if (!enabled) {
            return Future.succeededFuture(ThreadKey.DEFAULT_TENANT);
        }
        if (token == null || token.isEmpty()) {
            return Future.failedFuture(ApiException.unauthorized("a bearer token is required"));
        }
        String byKey = apiKeyTenant(token);
        if (byKey != null) {
            return Future.succeededFuture(byKey);
        }
        if (jwt == null || token.chars().filter(c -> c == '.').count() != 2) {
            return Future.failedFuture(ApiException.unauthorized("the token is not a known API key"));
        }
        String alg = headerAlgorithm(token);
        if (!algorithm.equals(alg)) {
            return Future.failedFuture(ApiException.unauthorized("the token's algorithm '" + alg + "' is not accepted; expected " + algorithm));
        }
        return jwt.authenticate(new TokenCredentials(token))
                .recover(e -> Future.failedFuture(ApiException.unauthorized("invalid token: " + e.getMessage())))
                .compose(this::tenantOf);
    }

    private Future<String> tenantOf(User user) {
        Object claim = user.principal().getValue(tenantClaim);
        if (claim == null) {
            JsonObject token = user.attributes().getJsonObject("accessToken");
            claim = token == null ? null : token.getValue(tenantClaim);
        }
        if (!(claim instanceof String tenant) || !Ids.isValid(tenant)) {
            return Future.failedFuture(ApiException.forbidden("the token carries no valid '" + tenantClaim + "' claim"));
        }
        return Future.succeededFuture(tenant);
    }

    private @Nullable String apiKeyTenant(String token) {
        byte[] presented = digest(token).getBytes(StandardCharsets.US_ASCII);
        String found = null;
        for (Map.Entry<String, String> e : keyDigests.entrySet()) {
            // compares every key in constant time so that timing reveals nothing
            if (MessageDigest.isEqual(presented, e.getKey().getBytes(StandardCharsets.US_ASCII))) {
                found = e.getValue();
            }
        }
        return found;
    }

    private static String headerAlgorithm(String token) {
        try {
            String header = new String(Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.'))), StandardCharsets.UTF_8);
            return String.valueOf(new JsonObject(header).getValue("alg"));
        } catch (RuntimeException e) {
            return "(unreadable)";
        }
    }

    private static String digest(String key) {
        try {
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
