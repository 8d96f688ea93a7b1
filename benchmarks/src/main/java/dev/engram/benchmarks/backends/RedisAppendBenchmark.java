package dev.engram.benchmarks.backends;

import dev.engram.core.Engram;
import dev.engram.core.model.Change;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Mono;

/**
 * Appends per second to Redis: {@code thread.append(...)} through an Engram on the {@code redis} provider against a
 * plain {@code XADD} of the same record (event id, type, time, JSON message) through Lettuce on one shared
 * connection. Each trial works under a key prefix of its own and deletes it afterwards.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisAppendBenchmark extends AppendComparison {

    private static final byte[] F_ID = Conversation.utf8("id");
    private static final byte[] F_TYPE = Conversation.utf8("type");
    private static final byte[] F_TS = Conversation.utf8("ts");
    private static final byte[] F_DATA = Conversation.utf8("data");
    private static final byte[] MESSAGE = Conversation.utf8("message");

    private Writers writers;
    private Engram engram;
    private RedisClient client;
    private StatefulRedisConnection<byte[], byte[]> plain;
    private String engramPrefix;
    private String plainPrefix;

    @Setup(Level.Trial)
    public void open() {
        writers = new Writers();
        engramPrefix = Conversation.uniqueName("engram");
        plainPrefix = Conversation.uniqueName("plain");
        engram = Engram.open(Conversation.redis(engramPrefix));
        client = RedisClient.create(Conversation.REDIS_URL);
        plain = client.connect(ByteArrayCodec.INSTANCE);
    }

    @TearDown(Level.Trial)
    public void close() {
        engram.close();
        deleteKeys(engramPrefix);
        deleteKeys(plainPrefix);
        plain.close();
        client.shutdown();
    }

    private void deleteKeys(String prefix) {
        ScanArgs match = ScanArgs.Builder.matches(prefix + ":*").limit(1000);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = plain.sync().scan(cursor, match);
            if (!page.getKeys().isEmpty()) {
                plain.sync().unlink(page.getKeys().toArray(new byte[0][]));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    @Override
    Mono<?> engramAppend(int w) {
        Writers.Turn t = writers.next(w);
        return engram.thread(t.threadId()).append(Change.message(t.message()));
    }

    @Override
    Mono<?> plainAppend(int w) {
        Writers.Turn t = writers.next(w);
        UUID id = UUID.randomUUID();
        byte[] idBytes = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
        byte[] key = Conversation.utf8(plainPrefix + ":{" + t.threadId() + "}:log");
        return plain.reactive().xadd(key, F_ID, idBytes, F_TYPE, MESSAGE,
                F_TS, Conversation.utf8(Long.toString(System.currentTimeMillis())), F_DATA, t.json());
    }
}
