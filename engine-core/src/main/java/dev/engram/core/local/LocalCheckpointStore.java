package dev.engram.core.local;

import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.StoredCheckpoint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.rocksdb.RocksIterator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Checkpoints in their own column family, keyed by thread prefix and version. */
final class LocalCheckpointStore implements CheckpointStore {

    private final LocalDb db;
    private final LocalReads reads;
    private final LocalWriter writer;

    LocalCheckpointStore(LocalDb db, LocalReads reads, LocalWriter writer) {
        this.db = db;
        this.reads = reads;
        this.writer = writer;
    }

    @Override
    public Mono<Void> save(StoredCheckpoint checkpoint) {
        return writer.saveCheckpoint(checkpoint);
    }

    @Override
    public Flux<CheckpointMeta> list(ThreadKey key) {
        return reads.call("listing the checkpoints of " + key, () -> {
            byte[] prefix = LocalFormat.prefix(key);
            List<CheckpointMeta> metas = new ArrayList<>();
            try (RocksIterator it = db.db.newIterator(db.checkpoints)) {
                for (it.seek(prefix); it.isValid() && LocalFormat.startsWith(it.key(), prefix); it.next()) {
                    metas.add(LocalFormat.decodeCheckpointMeta(key, LocalFormat.versionOf(it.key()), it.value()));
                }
                it.status();
            }
            Collections.reverse(metas);
            return metas;
        }).flatMapIterable(list -> list);
    }

    @Override
    public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
        return reads.call("loading checkpoint " + version + " of " + key, () -> {
            byte[] value = db.db.get(db.checkpoints, LocalFormat.versionKey(LocalFormat.prefix(key), version));
            return value == null ? null : LocalFormat.decodeCheckpoint(key, version, value);
        });
    }

    @Override
    public Mono<Void> delete(ThreadKey key, long version) {
        return writer.deleteCheckpoint(key, version);
    }

    @Override
    public Mono<Void> deleteAll(ThreadKey key) {
        return writer.deleteCheckpoints(key);
    }
}
