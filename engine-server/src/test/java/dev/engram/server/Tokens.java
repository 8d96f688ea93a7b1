package dev.engram.server;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;

/** Issues test tokens the way an identity provider would. */
final class Tokens {

    static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256";
    static final String ISSUER = "https://issuer.test";
    static final String AUDIENCE = "engram";
    static final String KEY_A = "key-of-tenant-a-0123456789";
    static final String KEY_B = "key-of-tenant-b-0123456789";

    private final JWTAuth signer;
    private final String algorithm;

    private Tokens(JWTAuth signer, String algorithm) {
        this.signer = signer;
        this.algorithm = algorithm;
    }

    static Tokens hs256(Vertx vertx) {
        return new Tokens(JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET))), "HS256");
    }

    static Tokens rs256(Vertx vertx, KeyPair pair) {
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----";
        return new Tokens(JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("RS256").setBuffer(pem))), "RS256");
    }

    static KeyPair rsaKeys() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String publicPem(KeyPair pair) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----";
    }

    String valid(String tenant) {
        return sign(new JsonObject().put("tenant", tenant).put("sub", "user-1"), ISSUER, AUDIENCE, 300);
    }

    String sign(JsonObject claims, String issuer, String audience, int expiresInSeconds) {
        JWTOptions options = new JWTOptions().setAlgorithm(algorithm).setIssuer(issuer).setAudience(List.of(audience));
        if (expiresInSeconds > 0) {
            options.setExpiresInSeconds(expiresInSeconds);
        }
        return signer.generateToken(claims, options);
    }

    String expired(String tenant) {
        long now = System.currentTimeMillis() / 1000;
        return sign(new JsonObject().put("tenant", tenant).put("exp", now - 3600), ISSUER, AUDIENCE, 0);
    }

    static String unsigned(String tenant) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long now = System.currentTimeMillis() / 1000;
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(new JsonObject().put("tenant", tenant).put("iss", ISSUER).put("aud", AUDIENCE)
                .put("exp", now + 300).encode().getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + ".";
    }
}
