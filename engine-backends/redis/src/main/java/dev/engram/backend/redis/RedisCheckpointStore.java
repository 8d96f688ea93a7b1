package dev.engram.backend.redis;

import dev.engram.core.CorruptDataException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.StoredCheckpoint;
import io.lettuce.core.KeyValue;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Checkpoints in two hashes per thread, in the thread's slot: version → {@code generation(8) createdAt(8) state}, and
 * version → {@code "generation createdAt size"} so that listing never moves the states. Both change in one script.
 */
final class RedisCheckpointStore implements CheckpointStore {

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final Clock clock;

    RedisCheckpointStore(RedisConnections redis, RedisKeys keys, Clock clock) {
        this.redis = redis;
        this.keys = keys;
        this.clock = clock;
    }

    @Override
    public Mono<Void> save(StoredCheckpoint checkpoint) {
        ThreadKey key = checkpoint.key();
        return Mono.defer(() -> {
                    byte[] blob = ByteBuffer.allocate(16 + checkpoint.data().length)
                            .putLong(checkpoint.generation())
                            .putLong(checkpoint.createdAtMillis())
                            .put(checkpoint.data())
                            .array();
                    byte[] meta = (checkpoint.generation() + " " + checkpoint.createdAtMillis() + " " + checkpoint.data().length)
                            .getBytes(StandardCharsets.US_ASCII);
                    return redis.commands().flatMap(c -> RedisScript.SAVE_CHECKPOINT.runForLong(c,
                            List.of(keys.record(key), keys.checkpoints(key), keys.checkpointMeta(key)),
                            RedisRecords.number(clock.millis()), RedisRecords.number(checkpoint.version()), blob, meta));
                })
                .then()
                .onErrorMap(e -> RedisErrors.translate(e, "save of checkpoint " + checkpoint.version() + " of " + key));
    }

    @Override
    public Flux<CheckpointMeta> list(ThreadKey key) {
        return redis.commands()
                .flatMapMany(c -> c.hgetall(keys.checkpointMeta(key)))
                .map(kv -> meta(key, kv))
                .sort(Comparator.comparingLong(CheckpointMeta::version).reversed())
                .onErrorMap(e -> RedisErrors.translate(e, "listing of the checkpoints of " + key));
    }

    private static CheckpointMeta meta(ThreadKey key, KeyValue<String, byte[]> kv) {
        String[] parts = new String(kv.getValue(), StandardCharsets.US_ASCII).split(" ");
        try {
            return new CheckpointMeta(key, Long.parseLong(kv.getKey()), Long.parseLong(parts[0]), Long.parseLong(parts[1]),
                    Integer.parseInt(parts[2]));
        } catch (RuntimeException e) {
            throw new CorruptDataException("checkpoint " + kv.getKey() + " of " + key + " has unreadable metadata", e);
        }
    }

    @Override
    public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
        return redis.commands()
                .flatMap(c -> c.hget(keys.checkpoints(key), Long.toString(version)))
                .map(blob -> {
                    if (blob.length < 16) {
                        throw new CorruptDataException("checkpoint " + version + " of " + key + " is truncated");
                    }
                    ByteBuffer b = ByteBuffer.wrap(blob);
                    long generation = b.getLong();
                    long createdAt = b.getLong();
                    byte[] data = new byte[b.remaining()];
                    b.get(data);
                    return new StoredCheckpoint(key, version, generation, createdAt, data);
                })
                .onErrorMap(e -> RedisErrors.translate(e, "load of checkpoint " + version + " of " + key));
    }

    @Override
    public Mono<Void> delete(ThreadKey key, long version) {
        return redis.commands()
                .flatMap(c -> RedisScript.DELETE_CHECKPOINT.runForLong(c, List.of(keys.checkpoints(key), keys.checkpointMeta(key)),
                        RedisRecords.number(version)))
                .then()
                .onErrorMap(e -> RedisErrors.translate(e, "delete of checkpoint " + version + " of " + key));
    }

    @Override
    public Mono<Void> deleteAll(ThreadKey key) {
        return redis.commands()
                .flatMap(c -> c.del(keys.checkpoints(key), keys.checkpointMeta(key)))
                .then()
                .onErrorMap(e -> RedisErrors.translate(e, "delete of the checkpoints of " + key));
    }
}
