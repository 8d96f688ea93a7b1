package dev.engram.backend.redis;

import static org.junit.jupiter.api.Assertions.fail;

import dev.engram.core.config.ProviderOptions;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.util.Map;
import java.util.UUID;

/** The Redis every IT uses: 127.0.0.1:6379 unless {@code REDIS_URL} says otherwise. Tests fail, never skip, without it. */
final class RedisTestSupport {

    static final String URL = System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379");

    private RedisTestSupport() {
    }

    /** Fails the test with instructions when the shared Redis does not answer. */
    static void requireRedis() {
        requireRedis("127.0.0.1", 6379);
    }

    static void requireRedis(String host, int port) {
        if (System.getenv("REDIS_URL") != null) {
            return;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
        } catch (IOException e) {
            fail("Redis does not answer on " + host + ":" + port + " (" + e.getMessage() + "). Start it with `bash .ci/run` or"
                    + " `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no`");
        }
    }

    /** A prefix no other test run uses, so tests never see each other's keys. */
    static String uniquePrefix(String what) {
        return "engram-test:" + what + ":" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Deletes every key under {@code prefix} (SCAN + UNLINK), so test runs leave the shared Redis as they found it. */
    static void dropPrefix(String url, String prefix) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(url);
        try (var connection = client.connect()) {
            var redis = connection.sync();
            io.lettuce.core.ScanArgs match = io.lettuce.core.ScanArgs.Builder.matches(prefix + ":*").limit(500);
            io.lettuce.core.KeyScanCursor<String> cursor = redis.scan(match);
            while (true) {
                if (!cursor.getKeys().isEmpty()) {
                    redis.unlink(cursor.getKeys().toArray(String[]::new));
                }
                if (cursor.isFinished()) {
                    break;
                }
                cursor = redis.scan(cursor, match);
            }
        } finally {
            client.shutdown();
        }
    }

    static ProviderOptions options(String prefix, Map<String, String> more) {
        ProviderOptions options = new ProviderOptions("providers.redis", Map.of("url", URL, "keyPrefix", prefix));
        for (Map.Entry<String, String> e : more.entrySet()) {
            options = options.with(e.getKey(), e.getValue());
        }
        return options;
    }

    static Backend backend(String prefix, Clock clock) {
        return new RedisProvider().create(new BackendContext(options(prefix, Map.of()), clock));
    }
}
