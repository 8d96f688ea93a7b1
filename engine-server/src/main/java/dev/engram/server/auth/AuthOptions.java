package dev.engram.server.auth;

import dev.engram.core.ConfigurationException;
import dev.engram.core.internal.Ids;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Who may call the server: static API keys mapped to tenants, and/or JWTs. With neither configured the server runs
 * single-tenant (every caller is tenant {@code default}). {@link #toJson()} masks secrets.
 */
public final class AuthOptions {

    public static final String DEFAULT_TENANT_CLAIM = "tenant";
    public static final String DEFAULT_ALGORITHM = "HS256";
    public static final int DEFAULT_LEEWAY_SECONDS = 0;

    private static final Set<String> KEYS = Set.of("apiKeys", "jwt");
    private static final Set<String> JWT_KEYS = Set.of("algorithm", "secret", "publicKey", "issuer", "audience", "tenantClaim", "leewaySeconds");
    private static final Set<String> ALGORITHMS = Set.of("HS256", "RS256");

    private Map<String, String> apiKeys = new LinkedHashMap<>();
    private @Nullable String jwtAlgorithm;
    private @Nullable String jwtSecret;
    private @Nullable String jwtPublicKey;
    private @Nullable String jwtIssuer;
    private List<String> jwtAudience = List.of();
    private String tenantClaim = DEFAULT_TENANT_CLAIM;
    private int leewaySeconds = DEFAULT_LEEWAY_SECONDS;

    public AuthOptions() {
    }

    public AuthOptions(AuthOptions other) {
        apiKeys = new LinkedHashMap<>(other.apiKeys);
        jwtAlgorithm = other.jwtAlgorithm;
        jwtSecret = other.jwtSecret;
        jwtPublicKey = other.jwtPublicKey;
        jwtIssuer = other.jwtIssuer;
        jwtAudience = other.jwtAudience;
        tenantClaim = other.tenantClaim;
        leewaySeconds = other.leewaySeconds;
    }

    public AuthOptions(JsonObject json) {
        requireKnown(json, KEYS, "server.auth");
        JsonObject keys = object(json, "apiKeys", "server.auth.apiKeys");
        if (keys != null) {
            keys.forEach(e -> apiKeys.put(e.getKey(), String.valueOf(e.getValue())));
        }
        JsonObject jwt = object(json, "jwt", "server.auth.jwt");
        if (jwt != null) {
            requireKnown(jwt, JWT_KEYS, "server.auth.jwt");
            jwtAlgorithm = jwt.getString("algorithm", DEFAULT_ALGORITHM);
            jwtSecret = jwt.getString("secret");
            jwtPublicKey = jwt.getString("publicKey");
            jwtIssuer = jwt.getString("issuer");
            Object aud = jwt.getValue("audience");
            jwtAudience = aud == null ? List.of() : List.of(aud.toString().split("\\s*,\\s*"));
            tenantClaim = jwt.getString("tenantClaim", DEFAULT_TENANT_CLAIM);
            leewaySeconds = Integer.parseInt(String.valueOf(jwt.getValue("leewaySeconds", DEFAULT_LEEWAY_SECONDS)));
        }
    }

    private static @Nullable JsonObject object(JsonObject json, String key, String path) {
        Object v = json.getValue(key);
        if (v != null && !(v instanceof JsonObject)) {
            throw new ConfigurationException(path + ": expected a mapping");
        }
        return (JsonObject) v;
    }

    private static void requireKnown(JsonObject json, Set<String> known, String path) {
        for (String key : json.fieldNames()) {
            if (!known.contains(key)) {
                throw new ConfigurationException(path + ": unknown key '" + key + "'; known keys: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    public void validate() {
        apiKeys.forEach((key, tenant) -> {
            if (key.length() < 16) {
                throw new ConfigurationException("server.auth.apiKeys: every key must have at least 16 characters");
            }
            if (!Ids.isValid(tenant)) {
                throw new ConfigurationException("server.auth.apiKeys: tenant must be " + Ids.RULE + ", got " + Ids.quote(tenant));
            }
        });
        if (jwtAlgorithm == null) {
            return;
        }
        if (!ALGORITHMS.contains(jwtAlgorithm)) {
            throw new ConfigurationException("server.auth.jwt.algorithm must be HS256 or RS256, got '" + jwtAlgorithm + "'");
        }
        if ("HS256".equals(jwtAlgorithm) && (jwtSecret == null || jwtSecret.length() < 32)) {
            throw new ConfigurationException("server.auth.jwt.secret is required for HS256 and must have at least 32 characters");
        }
        if ("RS256".equals(jwtAlgorithm) && (jwtPublicKey == null || jwtPublicKey.isBlank())) {
            throw new ConfigurationException("server.auth.jwt.publicKey (PEM) is required for RS256");
        }
        if (jwtIssuer == null || jwtIssuer.isBlank()) {
            throw new ConfigurationException("server.auth.jwt.issuer is required: tokens of any issuer would otherwise be accepted");
        }
        if (leewaySeconds < 0) {
            throw new ConfigurationException("server.auth.jwt.leewaySeconds must not be negative");
        }
    }

    /** Whether any authentication is configured; false means single-tenant development mode. */
    public boolean isEnabled() {
        return !apiKeys.isEmpty() || jwtAlgorithm != null;
    }

    public JsonObject toJson() {
        JsonObject masked = new JsonObject();
        apiKeys.forEach((k, t) -> masked.put("****" + k.substring(Math.max(0, k.length() - 4)), t));
        JsonObject json = new JsonObject().put("apiKeys", masked);
        if (jwtAlgorithm != null) {
            json.put("jwt", new JsonObject().put("algorithm", jwtAlgorithm).put("secret", jwtSecret == null ? null : "****")
                    .put("publicKey", jwtPublicKey == null ? null : "(PEM)").put("issuer", jwtIssuer)
                    .put("audience", String.join(",", jwtAudience)).put("tenantClaim", tenantClaim).put("leewaySeconds", leewaySeconds));
        }
        return json;
    }

    public Map<String, String> getApiKeys() {
        return apiKeys;
    }

    public AuthOptions addApiKey(String key, String tenant) {
        apiKeys.put(key, tenant);
        return this;
    }

    public @Nullable String getJwtAlgorithm() {
        return jwtAlgorithm;
    }

    /** HS256 with a shared secret. */
    public AuthOptions setJwtHs256(String secret) {
        jwtAlgorithm = "HS256";
        jwtSecret = secret;
        return this;
    }

    /** RS256 with the issuer's public key in PEM. */
    public AuthOptions setJwtRs256(String publicKeyPem) {
        jwtAlgorithm = "RS256";
        jwtPublicKey = publicKeyPem;
        return this;
    }

    public @Nullable String getJwtSecret() {
        return jwtSecret;
    }

    public @Nullable String getJwtPublicKey() {
        return jwtPublicKey;
    }

    public @Nullable String getJwtIssuer() {
        return jwtIssuer;
    }

    public AuthOptions setJwtIssuer(String issuer) {
        jwtIssuer = issuer;
        return this;
    }

    public List<String> getJwtAudience() {
        return jwtAudience;
    }

    public AuthOptions setJwtAudience(List<String> audience) {
        jwtAudience = List.copyOf(audience);
        return this;
    }

    public String getTenantClaim() {
        return tenantClaim;
    }

    public AuthOptions setTenantClaim(String claim) {
        tenantClaim = claim;
        return this;
    }

    public int getLeewaySeconds() {
        return leewaySeconds;
    }
}
