package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.vertx.core.http.WebSocketClient;
import io.vertx.core.json.JsonObject;
import dev.engram.core.config.EngramConfig;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.UUID;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Two server instances on one store: a client appends through the first over WebSocket and leaves, another opens the
 * thread through the second, sees the state, then sees the first client's later appends live. On PostgreSQL (the
 * service on 127.0.0.1:5432), on Redis (127.0.0.1:6379, a key prefix of its own, removed afterwards) and on the
 * memory provider with a shared store name.
 */
class CrossDeviceIT {

    @Test
    void onPostgresql() {
        String schema = "srv_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        UnaryOperator<EngramConfig> postgres = c -> c.withProvider("postgres")
                .withProviderOption("postgres", "url", "postgresql://postgres@127.0.0.1:5432/test")
                .withProviderOption("postgres", "schema", schema);
        handOff(TestServer.start(o -> { }, postgres), TestServer.start(o -> { }, postgres));
    }

    @Test
    void onRedis() {
        requireRedis();
        String prefix = "engram-test:server:" + UUID.randomUUID().toString().substring(0, 8);
        UnaryOperator<EngramConfig> redis = c -> c.withProvider("redis")
                .withProviderOption("redis", "url", REDIS_URL)
                .withProviderOption("redis", "keyPrefix", prefix);
        try {
            handOff(TestServer.start(o -> { }, redis), TestServer.start(o -> { }, redis));
        } finally {
            dropRedisPrefix(prefix);
        }
    }

    @Test
    void onSharedMemory() {
        String store = "xdev-" + UUID.randomUUID();
        handOff(TestServer.start(o -> { }, c -> c, store), TestServer.start(o -> { }, c -> c, store));
    }

    private static final String REDIS_URL = "redis://127.0.0.1:6379";

    private static void requireRedis() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", 6379), 2000);
        } catch (IOException e) {
            fail("Redis does not answer on 127.0.0.1:6379 (" + e.getMessage() + "); `bash .ci/run` starts it");
        }
    }

    /** Unlinks every key under the prefix, so a run leaves the shared Redis as it found it. */
    private static void dropRedisPrefix(String prefix) {
        RedisClient client = RedisClient.create(REDIS_URL);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            var redis = connection.sync();
            ScanArgs match = ScanArgs.Builder.matches(prefix + ":*").limit(500);
            KeyScanCursor<String> cursor = redis.scan(match);
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

    private static void handOff(TestServer phoneServer, TestServer laptopServer) {
        try (TestServer phone = phoneServer; TestServer laptop = laptopServer) {
            WebSocketClient phoneClient = phone.wsClient(1 << 20);
            try (WsClient first = new WsClient(TestServer.await(phone.connect(phoneClient, null)))) {
                for (int i = 0; i < 3; i++) {
                    first.send(WsClient.append("p-" + i, "handoff", "from the phone " + i));
                    assertThat(first.next().getString("type")).isEqualTo("appended");
                }
            }
            WebSocketClient laptopClient = laptop.wsClient(1 << 20);
            try (WsClient second = new WsClient(TestServer.await(laptop.connect(laptopClient, null)))) {
                second.send(WsClient.subscribe("handoff", null));
                JsonObject state = second.next();
                assertThat(state.getString("type")).isEqualTo("state");
                assertThat(state.getLong("version")).isEqualTo(3);
                assertThat(state.getJsonArray("messages").getJsonObject(2).getString("content")).isEqualTo("from the phone 2");

                try (WsClient again = new WsClient(TestServer.await(phone.connect(phoneClient, null)))) {
                    again.send(WsClient.append("p-3", "handoff", "later, from the phone"));
                    assertThat(again.next().getLong("firstVersion")).isEqualTo(4);
                }
                JsonObject live = second.next();
                assertThat(live.getString("type")).isEqualTo("events");
                assertThat(live.getJsonArray("events").getJsonObject(0).getLong("version")).isEqualTo(4);
                assertThat(live.getJsonArray("events").getJsonObject(0).getJsonObject("message").getString("content")).isEqualTo("later, from the phone");
            }
        }
    }
}
