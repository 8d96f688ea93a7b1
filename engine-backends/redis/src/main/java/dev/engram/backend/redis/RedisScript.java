package dev.engram.backend.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One Lua script of this package, run by its SHA1 ({@code EVALSHA}); a server that does not know it yet
 * ({@code NOSCRIPT}: restarted, flushed, or another Cluster node) gets it with {@code EVAL}, which also caches it.
 * Every script touches the keys of one hash tag only (one thread, or one memory space), so it is legal on Redis Cluster.
 */
final class RedisScript {

    static final RedisScript APPEND = load("append.lua");
    static final RedisScript MARK_LISTED = load("mark-listed.lua");
    static final RedisScript READ = load("read.lua");
    static final RedisScript DELETE = load("delete.lua");
    static final RedisScript TRUNCATE = load("truncate.lua");
    static final RedisScript METADATA = load("metadata.lua");
    static final RedisScript SAVE_CHECKPOINT = load("save-checkpoint.lua");
    static final RedisScript DELETE_CHECKPOINT = load("delete-checkpoint.lua");
    static final RedisScript MEMORY_PUT = load("memory-put.lua");
    static final RedisScript MEMORY_DELETE = load("memory-delete.lua");
    static final RedisScript MEMORY_SCAN = load("memory-scan.lua");
    static final RedisScript MEMORY_PRUNE = load("memory-prune.lua");

    private final String name;
    private final byte[] source;
    private final String sha;

    private RedisScript(String name, byte[] source) {
        this.name = name;
        this.source = source;
        try {
            this.sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    private static RedisScript load(String name) {
        try (InputStream in = RedisScript.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("script " + name + " is missing from the classpath");
            }
            return new RedisScript(name, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String name() {
        return name;
    }

    String sha() {
        return sha;
    }

    String source() {
        return new String(source, StandardCharsets.UTF_8);
    }

    /** Runs the script and emits its array reply (bulk strings as bytes, integers as Long, nil as null). */
    Mono<List<Object>> run(RedisClusterReactiveCommands<String, byte[]> redis, List<String> keys, byte[]... args) {
        String[] k = keys.toArray(String[]::new);
        return Flux.<Object>defer(() -> redis.evalsha(sha, ScriptOutputType.MULTI, k, args))
                .onErrorResume(RedisErrors::isNoScript, e -> redis.eval(source, ScriptOutputType.MULTI, k, args))
                .collectList()
                .map(RedisScript::flatten);
    }

    /** Runs a script whose reply is one integer. */
    Mono<Long> runForLong(RedisClusterReactiveCommands<String, byte[]> redis, List<String> keys, byte[]... args) {
        String[] k = keys.toArray(String[]::new);
        return Flux.<Long>defer(() -> redis.evalsha(sha, ScriptOutputType.INTEGER, k, args))
                .onErrorResume(RedisErrors::isNoScript, e -> redis.eval(source, ScriptOutputType.INTEGER, k, args))
                .next();
    }

    /**
     * Runs the script with keys and arguments already encoded, so the connection's I/O thread only copies bytes. The
     * first key also goes as text, because Cluster routes a call by its first key.
     */
    Mono<List<Object>> run(RedisClusterReactiveCommands<String, byte[]> redis, String firstKey, List<byte[]> keys, List<byte[]> args) {
        return Flux.<Object>defer(() -> redis.dispatch(CommandType.EVALSHA, new NestedMultiOutput<>(RedisConnections.CODEC),
                        encoded(sha, firstKey, keys, args)))
                .onErrorResume(RedisErrors::isNoScript, e -> redis.dispatch(CommandType.EVAL, new NestedMultiOutput<>(RedisConnections.CODEC),
                        encoded(source(), firstKey, keys, args)))
                .collectList()
                .map(RedisScript::flatten);
    }

    private static CommandArgs<String, byte[]> encoded(String script, String firstKey, List<byte[]> keys, List<byte[]> args) {
        CommandArgs<String, byte[]> a = new CommandArgs<>(RedisConnections.CODEC).add(script).add(keys.size()).addKey(firstKey);
        for (int i = 1; i < keys.size(); i++) {
            a.add(keys.get(i));
        }
        for (byte[] arg : args) {
            a.add(arg);
        }
        return a;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> flatten(List<Object> emitted) {
        // Lettuce emits an array reply either as one List or element by element, depending on the output
        return emitted.size() == 1 && emitted.get(0) instanceof List<?> l ? (List<Object>) l : emitted;
    }
}
