package dev.engram.backend.mongodb;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;

import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import dev.engram.core.CorruptDataException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.StoredCheckpoint;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One document per checkpoint {@code {_id: tenant/thread/ns/version, t, th, ns, v, g, createdAt, size, data}}. A state
 * larger than one document fits goes to chunk documents first; the checkpoint document, written last, refers to them
 * by {@code batch}, so a checkpoint is either whole or not there.
 */
final class MongoCheckpointStore implements CheckpointStore {

    private static final String VERSION = "v";
    private static final String CREATED_AT = "createdAt";
    private static final String SIZE = "size";
    private static final String DATA = "data";
    private static final String CHUNKS = "chunks";
    private static final String BATCH = "batch";
    private static final String INDEX = "idx";
    static final int INLINE_BYTES = 15 * 1024 * 1024;
    static final int CHUNK_BYTES = 8 * 1024 * 1024;

    private final MongoStore store;

    MongoCheckpointStore(MongoStore store) {
        this.store = store;
    }

    private static String id(ThreadKey key, long version) {
        return ThreadDocuments.id(key) + "/" + version;
    }

    /**
     * The thread's checkpoints by the prefix of their ids, {@code ^tenant/thread/ns/}: '/' occurs in no id, so the
     * prefix is the thread's alone. A server reads an anchored prefix as a range of the primary key; the in-process test
     * server, which has no other index for it, matches it against the primary key's entries without reading documents.
     */
    static Bson byThread(ThreadKey key) {
        String prefix = ThreadDocuments.id(key) + "/";
        StringBuilder regex = new StringBuilder(prefix.length() * 2).append('^');
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (!Character.isLetterOrDigit(c)) {
                regex.append('\\');
            }
            regex.append(c);
        }
        return Filters.regex(ThreadDocuments.ID, regex.toString());
    }

    @Override
    public Mono<Void> save(StoredCheckpoint cp) {
        return store.run("save checkpoint " + cp.version() + " of " + cp.key(), Mono.defer(() -> {
            byte[] data = cp.data();
            Document doc = ThreadDocuments.withKey(new Document(ThreadDocuments.ID, id(cp.key(), cp.version())), cp.key())
                    .append(VERSION, cp.version())
                    .append(ThreadDocuments.GENERATION, cp.generation())
                    .append(CREATED_AT, cp.createdAtMillis())
                    .append(SIZE, data.length);
            Mono<Void> chunks = Mono.empty();
            if (data.length <= INLINE_BYTES) {
                doc.append(DATA, new Binary(data)).append(CHUNKS, 0);
            } else {
                String batch = UUID.randomUUID().toString();
                List<Document> docs = new ArrayList<>();
                for (int off = 0, i = 0; off < data.length; off += CHUNK_BYTES, i++) {
                    docs.add(new Document(BATCH, batch).append(INDEX, i)
                            .append(DATA, new Binary(Arrays.copyOfRange(data, off, Math.min(data.length, off + CHUNK_BYTES)))));
                }
                doc.append(CHUNKS, docs.size()).append(BATCH, batch);
                chunks = Mono.from(store.checkpointChunks.insertMany(docs, new InsertManyOptions().ordered(true))).then();
            }
            return chunks.then(Mono.from(store.checkpoints.findOneAndReplace(eq(ThreadDocuments.ID, doc.get(ThreadDocuments.ID)), doc,
                            new FindOneAndReplaceOptions().upsert(true).returnDocument(ReturnDocument.BEFORE)
                                    .projection(Projections.include(BATCH)))))
                    .flatMap(this::dropChunks);
        }));
    }

    private Mono<Void> dropChunks(Document replaced) {
        String batch = replaced.getString(BATCH);
        return batch == null ? Mono.empty() : Mono.from(store.checkpointChunks.deleteMany(eq(BATCH, batch))).then();
    }

    @Override
    public Flux<CheckpointMeta> list(ThreadKey key) {
        return store.runMany("list checkpoints of " + key, Flux.defer(() -> Flux.from(store.checkpoints.find(byThread(key))
                        .projection(Projections.exclude(DATA)).sort(Sorts.descending(VERSION))))
                .map(d -> new CheckpointMeta(key, ThreadDocuments.longOf(d, VERSION), ThreadDocuments.longOf(d, ThreadDocuments.GENERATION),
                        ThreadDocuments.longOf(d, CREATED_AT), (int) ThreadDocuments.longOf(d, SIZE))));
    }

    @Override
    public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
        return store.run("load checkpoint " + version + " of " + key, Mono.defer(() ->
                Mono.from(store.checkpoints.find(eq(ThreadDocuments.ID, id(key, version))).first())).flatMap(d -> {
            long size = ThreadDocuments.longOf(d, SIZE);
            Mono<byte[]> data = ThreadDocuments.longOf(d, CHUNKS) == 0
                    ? Mono.just(bytes(d.get(DATA)))
                    : Flux.from(store.checkpointChunks.find(eq(BATCH, d.getString(BATCH))).sort(Sorts.ascending(INDEX)))
                            .reduce(new ByteArrayOutputStream(), (out, chunk) -> {
                                out.writeBytes(bytes(chunk.get(DATA)));
                                return out;
                            })
                            .map(ByteArrayOutputStream::toByteArray);
            return data.map(bytes -> {
                if (bytes.length != size) {
                    throw new CorruptDataException("checkpoint " + version + " of " + key + " has " + bytes.length + " bytes, expected " + size);
                }
                return new StoredCheckpoint(key, version, ThreadDocuments.longOf(d, ThreadDocuments.GENERATION),
                        ThreadDocuments.longOf(d, CREATED_AT), bytes);
            });
        }));
    }

    private static byte[] bytes(Object data) {
        if (data instanceof byte[] raw) {
            return raw;
        }
        if (data instanceof Binary b) {
            return b.getData();
        }
        throw new CorruptDataException("a checkpoint document has no bytes");
    }

    @Override
    public Mono<Void> delete(ThreadKey key, long version) {
        return store.run("delete checkpoint " + version + " of " + key, Mono.defer(() ->
                Mono.from(store.checkpoints.findOneAndDelete(eq(ThreadDocuments.ID, id(key, version)))).flatMap(this::dropChunks)));
    }

    @Override
    public Mono<Void> deleteAll(ThreadKey key) {
        return store.run("delete checkpoints of " + key, Mono.defer(() ->
                Flux.from(store.checkpoints.find(byThread(key)).projection(Projections.include(BATCH)))
                        .mapNotNull(d -> d.getString(BATCH))
                        .collectList()
                        // the checkpoints first: a chunk nothing refers to is garbage, a checkpoint without its chunks is not
                        .flatMap(batches -> Mono.from(store.checkpoints.deleteMany(byThread(key)))
                                .then(batches.isEmpty() ? Mono.empty() : Mono.from(store.checkpointChunks.deleteMany(in(BATCH, batches))).then()))));
    }
}
