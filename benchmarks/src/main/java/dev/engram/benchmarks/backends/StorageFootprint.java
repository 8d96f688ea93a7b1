package dev.engram.benchmarks.backends;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.EventRecord;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.Connection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Bytes stored for a {@value Conversation#TURNS}-turn conversation (one ~500-byte message appended per turn): Engram's
 * event log plus the checkpoints the default policy takes, against a full-state baseline that writes the JSON of all
 * messages so far once per turn. Deterministic: no timing. Prints a table and PASS/FAIL for "at least 10x fewer".
 */
public final class StorageFootprint {

    static final double TARGET = 10.0;
    private static final String THREAD = "conversation-1";

    private StorageFootprint() {
    }

    /** One backend's figures: payload bytes (values only) and, where the store can tell, bytes it really holds. */
    record Row(String backend, long engramPayload, long baselinePayload, long engramStored, long baselineStored, String storedHow) {
    }

    public static void main(String[] args) throws Exception {
        List<Message> messages = new ArrayList<>();
        for (int i = 0; i < Conversation.TURNS; i++) {
            messages.add(Conversation.message(i));
        }
        List<byte[]> fullStates = new ArrayList<>();
        for (int t = 1; t <= messages.size(); t++) {
            fullStates.add(Conversation.utf8(Conversation.json(messages.subList(0, t))));
        }
        long baselinePayload = fullStates.stream().mapToLong(b -> b.length).sum();

        List<Row> rows = new ArrayList<>();
        rows.add(memory(messages, baselinePayload));
        rows.add(local(messages, baselinePayload));
        rows.add(redis(messages, fullStates));
        rows.add(postgres(messages, fullStates));
        rows.add(mongodb(messages, baselinePayload));
        print(rows, messages);
        if (rows.stream().anyMatch(r -> ratio(r.baselinePayload, r.engramPayload) < TARGET)) {
            System.exit(1);
        }
    }

    // ---- per backend

    private static Row memory(List<Message> messages, long baselinePayload) {
        EngramConfig config = EngramConfig.defaults().withProvider("memory").withStrict(true)
                .withProviderOption("memory", "name", Conversation.uniqueName("footprint"));
        try (Engram engram = Engram.open(config)) {
            long payload = write(engram, messages);
            return new Row("memory", payload, baselinePayload, -1, -1, "n/a (heap)");
        }
    }

    private static Row local(List<Message> messages, long baselinePayload) throws IOException {
        Path dir = Files.createTempDirectory("engram-footprint");
        try {
            long payload;
            try (Engram engram = Engram.open(EngramConfig.defaults().withProvider("local").withStrict(true)
                    .withProviderOption("local", "dataDir", dir.toString()))) {
                payload = write(engram, messages);
            }
            return new Row("local", payload, baselinePayload, directorySize(dir), -1, "files under dataDir after close");
        } finally {
            deleteTree(dir);
        }
    }

    private static Row redis(List<Message> messages, List<byte[]> fullStates) {
        String prefix = Conversation.uniqueName("footprint");
        String baselinePrefix = prefix + "-baseline";
        RedisClient client = RedisClient.create(Conversation.REDIS_URL);
        try (StatefulRedisConnection<byte[], byte[]> connection = client.connect(ByteArrayCodec.INSTANCE)) {
            RedisCommands<byte[], byte[]> redis = connection.sync();
            try {
                try (Engram engram = Engram.open(Conversation.redis(prefix))) {
                    write(engram, messages);
                }
                for (int t = 0; t < fullStates.size(); t++) {
                    redis.set(Conversation.utf8(baselinePrefix + ":{" + THREAD + "}:checkpoint:" + (t + 1)), fullStates.get(t));
                }
                // payload: the values of the event and checkpoint hashes (what HSTRLEN sums); stored: MEMORY USAGE of every key
                long engramPayload = 0;
                long engramStored = 0;
                for (byte[] key : keys(redis, prefix)) {
                    String name = new String(key, StandardCharsets.UTF_8);
                    if (name.endsWith(":events") || name.endsWith(":cp")) {
                        engramPayload += redis.hvals(key).stream().mapToLong(v -> v.length).sum();
                    }
                    engramStored += memoryUsage(redis, key);
                }
                long baselinePayload = 0;
                long baselineStored = 0;
                for (byte[] key : keys(redis, baselinePrefix)) {
                    baselinePayload += redis.strlen(key);
                    baselineStored += memoryUsage(redis, key);
                }
                return new Row("redis", engramPayload, baselinePayload, engramStored, baselineStored, "sum of MEMORY USAGE per key");
            } finally {
                unlinkAll(redis, prefix);
                unlinkAll(redis, baselinePrefix);
            }
        } finally {
            client.shutdown();
        }
    }

    private static Row postgres(List<Message> messages, List<byte[]> fullStates) {
        String schema = Conversation.uniqueName("footprint");
        String baseline = schema + "_baseline";
        ConnectionPool pool = PostgresAppendBenchmark.pool(1, 2);
        try {
            try (Engram engram = Engram.open(Conversation.postgres(schema))) {
                long before = relationBytes(pool, schema);
                write(engram, messages);
                long stored = relationBytes(pool, schema) - before;
                long payload = single(pool, "SELECT (SELECT coalesce(sum(octet_length(data)), 0) FROM " + schema + ".events)"
                        + " + (SELECT coalesce(sum(octet_length(data)), 0) FROM " + schema + ".checkpoints)");
                execute(pool, "CREATE SCHEMA " + baseline);
                execute(pool, "CREATE TABLE " + baseline + ".checkpoints (thread_id text NOT NULL, turn int NOT NULL, "
                        + "state bytea NOT NULL, PRIMARY KEY (thread_id, turn))");
                long baseBefore = relationBytes(pool, baseline);
                for (int t = 0; t < fullStates.size(); t++) {
                    int turn = t + 1;
                    byte[] state = fullStates.get(t);
                    Mono.usingWhen(pool.create(), c -> Flux.from(c.createStatement("INSERT INTO " + baseline
                                            + ".checkpoints VALUES ($1, $2, $3)").bind(0, THREAD).bind(1, turn).bind(2, state).execute())
                                    .flatMap(r -> r.getRowsUpdated()).then(), Connection::close).block();
                }
                long baseStored = relationBytes(pool, baseline) - baseBefore;
                long basePayload = single(pool, "SELECT coalesce(sum(octet_length(state)), 0) FROM " + baseline + ".checkpoints");
                return new Row("postgres", payload, basePayload, stored, baseStored,
                        "pg_total_relation_size delta of the schema's tables (TOAST-compressed)");
            }
        } finally {
            execute(pool, "DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            execute(pool, "DROP SCHEMA IF EXISTS " + baseline + " CASCADE");
            pool.dispose();
        }
    }

    private static Row mongodb(List<Message> messages, long baselinePayload) {
        de.bwaldvogel.mongo.MongoServer server = new de.bwaldvogel.mongo.MongoServer(new de.bwaldvogel.mongo.backend.memory.MemoryBackend());
        try {
            server.bind("127.0.0.1", 0);
            String url = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
            try (Engram engram = Engram.open(MongoAppendBenchmark.mongodb(url, "footprint"))) {
                long payload = write(engram, messages);
                return new Row("mongodb", payload, baselinePayload, -1, -1, "n/a (mongo-java-server keeps documents on the heap)");
            }
        } finally {
            server.shutdownNow();
        }
    }

    // ---- the conversation

    /**
     * Appends the conversation one turn at a time and returns Engram's payload bytes. After a turn that crosses the
     * policy's interval it waits for that checkpoint, as a chat's pace would allow: written flat out, a crossing that
     * comes while the previous checkpoint is still running is skipped, which would store less and flatter Engram.
     */
    private static long write(Engram engram, List<Message> messages) {
        ThreadHandle thread = engram.thread(THREAD);
        int every = CheckpointPolicy.DEFAULT_EVERY_EVENTS;
        for (Message m : messages) {
            long version = thread.append(Change.message(m)).block(Duration.ofSeconds(30)).lastVersion();
            if (version % every == 0) {
                awaitCheckpoint(thread, version);
            }
        }
        ThreadKey key = ThreadKey.of(THREAD);
        long events = engram.backend().events().read(key, 1, Long.MAX_VALUE, 1000).map(EventRecord::data)
                .reduce(0L, (sum, data) -> sum + data.length).block();
        long checkpoints = engram.backend().checkpoints().list(key).map(CheckpointMeta::sizeBytes)
                .reduce(0L, Long::sum).block();
        return events + checkpoints;
    }

    private static void awaitCheckpoint(ThreadHandle thread, long version) {
        // polls one check at a time, 10 ms apart (an interval would overflow while a slow check is still running)
        thread.checkpoints().filter(c -> c.version() >= version).hasElements()
                .filter(found -> found)
                .repeatWhenEmpty(Integer.MAX_VALUE, ticks -> ticks.delayElements(Duration.ofMillis(10)))
                .timeout(Duration.ofSeconds(30), Mono.error(() -> new IllegalStateException("no policy checkpoint at " + version + " within 30 s")))
                .block();
    }

    // ---- output

    private static double ratio(long baseline, long engram) {
        return engram <= 0 ? 0 : (double) baseline / engram;
    }

    private static void print(List<Row> rows, List<Message> messages) {
        long messageBytes = messages.stream().mapToLong(m -> Conversation.utf8(Conversation.json(m)).length).sum();
        System.out.printf(Locale.ROOT, "%nStorage per turn: %d turns, one message of ~%d bytes each (%d bytes of message JSON in all)%n",
                messages.size(), messageBytes / messages.size(), messageBytes);
        System.out.println("payload = the stored values only (Engram: event data + checkpoint states; baseline: the full-state JSON of every turn)");
        System.out.printf(Locale.ROOT, "%-9s | %14s | %16s | %9s | %6s | %14s | %16s | %9s | %s%n", "backend", "Engram B/turn",
                "full-state B/turn", "payload x", "target", "Engram stored", "full-state stored", "stored x", "stored = ");
        for (Row r : rows) {
            double x = ratio(r.baselinePayload, r.engramPayload);
            System.out.printf(Locale.ROOT, "%-9s | %14d | %16d | %8.1fx | %6s | %14s | %16s | %9s | %s%n", r.backend,
                    r.engramPayload / messages.size(), r.baselinePayload / messages.size(), x, x >= TARGET ? "PASS" : "FAIL",
                    r.engramStored < 0 ? "-" : r.engramStored / messages.size() + " B/turn",
                    r.baselineStored < 0 ? "-" : r.baselineStored / messages.size() + " B/turn",
                    r.engramStored <= 0 || r.baselineStored <= 0 ? "-" : String.format(Locale.ROOT, "%.1fx", ratio(r.baselineStored, r.engramStored)),
                    r.storedHow);
        }
    }

    // ---- helpers

    private static List<byte[]> keys(RedisCommands<byte[], byte[]> redis, String prefix) {
        List<byte[]> keys = new ArrayList<>();
        ScanArgs match = ScanArgs.Builder.matches(prefix + ":*").limit(1000);
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<byte[]> page = redis.scan(cursor, match);
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    private static long memoryUsage(RedisCommands<byte[], byte[]> redis, byte[] key) {
        Long bytes = redis.memoryUsage(key);
        return bytes == null ? 0 : bytes;
    }

    private static void unlinkAll(RedisCommands<byte[], byte[]> redis, String prefix) {
        List<byte[]> keys = keys(redis, prefix);
        if (!keys.isEmpty()) {
            redis.unlink(keys.toArray(new byte[0][]));
        }
    }

    private static long relationBytes(ConnectionPool pool, String schema) {
        return single(pool, "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n "
                + "ON n.oid = c.relnamespace WHERE n.nspname = '" + schema + "' AND c.relkind = 'r'");
    }

    private static long single(ConnectionPool pool, String sql) {
        return Mono.usingWhen(pool.create(), c -> Flux.from(c.createStatement(sql).execute())
                        .flatMap(r -> r.map((row, meta) -> ((Number) row.get(0)).longValue())).next(),
                Connection::close).block();
    }

    private static void execute(ConnectionPool pool, String sql) {
        Mono.usingWhen(pool.create(), c -> Flux.from(c.createStatement(sql).execute()).flatMap(r -> r.getRowsUpdated()).then(),
                Connection::close).block();
    }

    private static long directorySize(Path dir) {
        return sumFiles(dir, p -> {
            try {
                return Files.size(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static long sumFiles(Path dir, ToLongFunction<Path> size) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(size).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
