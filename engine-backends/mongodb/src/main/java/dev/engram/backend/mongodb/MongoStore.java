package dev.engram.backend.mongodb;

import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoCollection;
import com.mongodb.reactivestreams.client.MongoDatabase;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.bson.Document;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The collections of one deployment ({@code database} + {@code collectionPrefix}), their indexes, and the operation wrapper. */
final class MongoStore {

    private static final Logger log = LoggerFactory.getLogger(MongoStore.class);

    final MongoClient client;
    final MongoDatabase database;
    final MongoCollection<Document> threads;
    final MongoCollection<Document> commits;
    final MongoCollection<Document> parts;
    final MongoCollection<Document> checkpoints;
    final MongoCollection<Document> checkpointChunks;
    final MongoCollection<Document> memories;
    private final Duration timeout;
    private final long ttlGraceSeconds;
    private final AtomicReference<@Nullable Mono<Void>> ready = new AtomicReference<>();

    MongoStore(MongoClient client, MongoSettings settings) {
        this.client = client;
        this.database = client.getDatabase(settings.database());
        String p = settings.collectionPrefix();
        this.threads = database.getCollection(p + "threads");
        this.commits = database.getCollection(p + "commits");
        this.parts = database.getCollection(p + "commit_parts");
        this.checkpoints = database.getCollection(p + "checkpoints");
        this.checkpointChunks = database.getCollection(p + "checkpoint_chunks");
        this.memories = database.getCollection(p + "memories");
        this.timeout = settings.commandTimeout();
        this.ttlGraceSeconds = settings.ttlGrace().toSeconds();
    }

    Duration timeout() {
        return timeout;
    }

    /** Runs {@code op} once the indexes exist, bounded by the command timeout, with driver errors translated. */
    <T> Mono<T> run(String what, Mono<T> op) {
        return ready().then(op).timeout(timeout).onErrorMap(e -> MongoErrors.translate(e, what));
    }

    <T> Flux<T> runMany(String what, Flux<T> op) {
        return ready().thenMany(op).timeout(timeout).onErrorMap(e -> MongoErrors.translate(e, what));
    }

    /** Creates the indexes once per backend; a failed attempt is retried by the next operation. */
    private Mono<Void> ready() {
        Mono<Void> current = ready.get();
        if (current != null) {
            return current;
        }
        Mono<Void> created = createIndexes().doOnError(e -> ready.set(null)).cache();
        return ready.compareAndSet(null, created) ? created : ready.get();
    }

    private Mono<Void> createIndexes() {
        IndexOptions ttl = new IndexOptions().expireAfter(ttlGraceSeconds, TimeUnit.SECONDS);
        return Flux.concat(
                index(threads, Indexes.ascending("t", "th", "ns"), new IndexOptions()),
                index(threads, Indexes.ascending("expiresAt"), ttl),
                index(commits, Indexes.ascending("t", "th", "ns", "g", "last"), new IndexOptions()),
                index(commits, Indexes.ascending("t", "th", "ns", "g", "ids"), new IndexOptions()),
                index(commits, Indexes.ascending("expiresAt"), ttl),
                index(parts, Indexes.ascending("batch", "idx"), new IndexOptions()),
                index(parts, Indexes.ascending("t", "th", "ns", "g"), new IndexOptions()),
                index(parts, Indexes.ascending("expiresAt"), ttl),
                index(checkpoints, Indexes.ascending("t", "th", "ns", "v"), new IndexOptions()),
                index(checkpointChunks, Indexes.ascending("batch", "idx"), new IndexOptions()),
                index(memories, Indexes.ascending(MongoMemoryStorage.TENANT, MongoMemoryStorage.NAMESPACE, MongoMemoryStorage.KEY),
                        new IndexOptions().unique(true)),
                index(memories, Indexes.ascending(MongoMemoryStorage.EXPIRES_AT), ttl)).then();
    }

    private static Mono<String> index(MongoCollection<Document> collection, org.bson.conversions.Bson keys, IndexOptions options) {
        return Mono.from(collection.createIndex(keys, options)).onErrorResume(e -> isOptionsConflict(e), e -> {
            // an existing TTL index with another grace: keep it (collMod changes it) rather than refuse to start
            log.warn("index {} of {} exists with other options; keeping it: {}", keys, collection.getNamespace(), e.getMessage());
            return Mono.empty();
        });
    }

    private static boolean isOptionsConflict(Throwable e) {
        return e instanceof com.mongodb.MongoCommandException c && (c.getErrorCode() == 85 || c.getErrorCode() == 86);
    }

    static <T> Function<Throwable, Mono<T>> ignore() {
        return e -> Mono.empty();
    }
}
