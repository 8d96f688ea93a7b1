package dev.engram.benchmarks.backends;

import dev.engram.core.Engram;
import dev.engram.core.model.Change;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.ScriptOutputType;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import reactor.core.publisher.Mono;

/**
 * Appends per second to Redis: {@code thread.append(...)} through an Engram on the {@code redis} provider against the
 * same write as a plain driver call: the provider's append script ({@code EVALSHA}, the same keys and arguments the
 * provider gives it for one append) called once per append through Lettuce on one shared connection, without the
 * engine. Beside them, for scale, {@code xadd1}/{@code xadd64}: a plain {@code XADD} of the same record (event id,
 * type, time, JSON message), a stream append with none of the script's checks (expected version, event id, head).
 * Each trial works under a key prefix of its own and deletes it afterwards.
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
    private String xaddPrefix;
    private String scriptPrefix;
    private String scriptSha;

    @Setup(Level.Trial)
    public void open() {
        writers = new Writers();
        engramPrefix = Conversation.uniqueName("engram");
        xaddPrefix = Conversation.uniqueName("xadd");
        scriptPrefix = Conversation.uniqueName("script");
        engram = Engram.open(Conversation.redis(engramPrefix));
        client = RedisClient.create(Conversation.REDIS_URL);
        plain = client.connect(ByteArrayCodec.INSTANCE);
        scriptSha = plain.sync().scriptLoad(appendScript());
    }

    private static byte[] appendScript() {
        try (InputStream in = Engram.class.getClassLoader().getResourceAsStream("dev/engram/backend/redis/append.lua")) {
            if (in == null) {
                throw new IllegalStateException("the redis provider's append script is not on the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        engram.close();
        deleteKeys(engramPrefix);
        deleteKeys(xaddPrefix);
        deleteKeys(scriptPrefix);
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

    /** A plain {@code XADD} of the same record: a stream append without the script's checks, for scale. */
    Mono<?> xaddAppend(int w) {
        Writers.Turn t = writers.next(w);
        UUID id = UUID.randomUUID();
        byte[] idBytes = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
        byte[] key = Conversation.utf8(xaddPrefix + ":{" + t.threadId() + "}:log");
        return plain.reactive().xadd(key, F_ID, idBytes, F_TYPE, MESSAGE,
                F_TS, Conversation.utf8(Long.toString(System.currentTimeMillis())), F_DATA, t.json());
    }

    /** One append through the append script, with the keys and arguments the provider gives it for one append. */
    @Override
    Mono<?> plainAppend(int w) {
        Writers.Turn t = writers.next(w);
        UUID id = UUID.randomUUID();
        long now = System.currentTimeMillis();
        byte[] type = Conversation.utf8("message");
        byte[] record = ByteBuffer.allocate(1 + 16 + 8 + 4 + type.length + t.json().length).put((byte) 1)
                .putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).putLong(now).putInt(type.length)
                .put(type).put(t.json()).array();
        String tag = scriptPrefix + ":{default|" + t.threadId() + "|main}:";
        byte[][] keys = {Conversation.utf8(tag + "thread"), Conversation.utf8(tag + "events"), Conversation.utf8(tag + "ids"),
                Conversation.utf8(tag + "cp"), Conversation.utf8(tag + "cpmeta")};
        byte[] header = ByteBuffer.allocate(32).putLong(now).putLong(-1).putLong(-1).putInt(0).putInt(1).array();
        byte[][] args = {header, Conversation.utf8(Long.toString(ThreadLocalRandom.current().nextLong() | 1)), record};
        return plain.reactive().<Object>evalsha(scriptSha, ScriptOutputType.MULTI, keys, args).then();
    }

    @Benchmark
    public void xadd1() {
        Writers.run(1, this::xaddAppend);
    }

    @Benchmark
    @OperationsPerInvocation(Writers.MAX)
    public void xadd64() {
        Writers.run(Writers.MAX, this::xaddAppend);
    }
}
