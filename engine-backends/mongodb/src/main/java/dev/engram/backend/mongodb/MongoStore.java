package dev.engram.backend.mongodb;

import com.mongodb.MongoClientSettings;
import com.mongodb.MongoCommandException;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoCollection;
import com.mongodb.reactivestreams.client.MongoDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.bson.BsonType;
import org.bson.Document;
import org.bson.codecs.BsonTypeClassMap;
import org.bson.codecs.DocumentCodecProvider;
import org.bson.codecs.configuration.CodecRegistries;
import org.bson.codecs.configuration.CodecRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The collections of one deployment ({@code database} + {@code collectionPrefix}), their indexes, and the operation wrapper. */
final class MongoStore {

    private static final Logger log = LoggerFactory.getLogger(MongoStore.class);

    /** The driver's codecs, except that documents decode binary values as {@code byte[]}. */
    static final CodecRegistry BYTES = CodecRegistries.fromRegistries(
            CodecRegistries.fromProviders(new DocumentCodecProvider(new BsonTypeClassMap(Map.of(BsonType.BINARY, byte[].class)))),
            MongoClientSettings.getDefaultCodecRegistry());

    static final String EVENT_IDS_INDEX = "event_ids";
    static final String RECORD_INDEX = "record_generation";
    /** The keys of the non-unique event id index of earlier versions. */
    static final String[] LEGACY_EVENT_IDS = {"t", "th", "ns", "g", "ids"};

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
    private volatile boolean uniqueEventIds;

    MongoStore(MongoClient client, MongoSettings settings) {
        this.client = client;
        this.database = client.getDatabase(settings.database());
        String p = settings.collectionPrefix();
        this.threads = database.getCollection(p + "threads");
        // event and checkpoint bytes come back as byte[], not as a Binary whose getData() copies them once more
        this.commits = database.getCollection(p + "commits").withCodecRegistry(BYTES);
        this.parts = database.getCollection(p + "commit_parts").withCodecRegistry(BYTES);
        this.checkpoints = database.getCollection(p + "checkpoints").withCodecRegistry(BYTES);
        this.checkpointChunks = database.getCollection(p + "checkpoint_chunks").withCodecRegistry(BYTES);
        this.memories = database.getCollection(p + "memories");
        this.timeout = settings.commandTimeout();
        this.ttlGraceSeconds = settings.ttlGrace().toSeconds();
    }

    Duration timeout() {
        return timeout;
    }

    /** Runs {@code op} once the indexes exist, bounded by the command timeout, with driver errors translated. */
    <T> Mono<T> run(String what, Mono<T> op) {
        return bounded(ready().then(op), timeout).onErrorMap(e -> MongoErrors.translate(e, what));
    }

    /**
     * {@code op}, failing with a {@link java.util.concurrent.TimeoutException} when it has not finished within {@code d}.
     * A timer publisher rather than {@code timeout(Duration)}, which describes itself on every subscription.
     */
    static <T> Mono<T> bounded(Mono<T> op, Duration d) {
        return op.timeout(Mono.delay(d));
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

    /**
     * Whether the commits' event ids are unique per generation. Then an append that the index accepts is new, and
     * the ids are looked up only when the index refuses one; otherwise (a database whose commits repeat an id, see
     * {@link #eventIdIndex}) every append looks its ids up first. Set once the indexes are ready.
     */
    boolean uniqueEventIds() {
        return uniqueEventIds;
    }

    private Mono<Void> createIndexes() {
        IndexOptions ttl = new IndexOptions().expireAfter(ttlGraceSeconds, TimeUnit.SECONDS);
        return Flux.concat(
                index(threads, Indexes.ascending("t", "th", "ns"), new IndexOptions()),
                recordIndex(),
                index(threads, Indexes.ascending("expiresAt"), ttl),
                index(commits, Indexes.ascending("t", "th", "ns", "g", "last"), new IndexOptions()),
                eventIdIndex(),
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

    /**
     * {@code (_id, g, del)}, the fields of the record's compare-and-set: unique, so that a server which only uses unique
     * indexes (the in-process test server) answers it from an index. A real server answers it from {@code _id} alone,
     * so where the index cannot be made (a collection sharded on other keys) nothing is lost but the log line.
     */
    private Mono<Void> recordIndex() {
        return Mono.from(threads.createIndex(Indexes.ascending("_id", "g", "del"), new IndexOptions().unique(true).name(RECORD_INDEX)))
                .then()
                .onErrorResume(MongoCommandException.class, e -> {
                    log.info("no index {} on {} (the record's compare-and-set uses _id): {}", RECORD_INDEX, threads.getNamespace(), e.getMessage());
                    return Mono.empty();
                });
    }

    /**
     * The unique index of event ids per generation, {@code (g, ids)}: a generation is one thread's (its id is random,
     * and new each time the thread starts again), so this is the rule "an event id once per thread", and with two
     * fields it costs a server that maintains indexes field by field (the in-process test server) less than the thread's
     * fields would. Its keys differ from the non-unique {@code (t, th, ns, g, ids)} of earlier versions, so both can exist
     * while it is built; the old one is dropped afterwards. Without it (a database where a generation's commits hold an
     * id twice, which earlier versions could write after retention; or a collection sharded on other keys, where a
     * unique index must start with the shard key) the old index stays and every append looks its ids up first.
     */
    private Mono<Void> eventIdIndex() {
        return Mono.from(commits.createIndex(Indexes.ascending("g", "ids"), new IndexOptions().unique(true).name(EVENT_IDS_INDEX)))
                .then(dropLegacyEventIdIndex())
                .doOnSuccess(x -> uniqueEventIds = true)
                .onErrorResume(MongoStore::cannotBeUnique, e -> {
                    log.warn("no unique index of event ids on {}, so every append looks its ids up first (slower): {}",
                            commits.getNamespace(), e.getMessage());
                    uniqueEventIds = false;
                    return index(commits, Indexes.ascending(LEGACY_EVENT_IDS), new IndexOptions()).then();
                })
                .onErrorResume(MongoStore::isOptionsConflict, e -> {
                    log.warn("an index named {} of {} exists with other keys or options; keeping it, and appends look their"
                            + " ids up first: {}", EVENT_IDS_INDEX, commits.getNamespace(), e.getMessage());
                    uniqueEventIds = false;
                    return Mono.empty();
                });
    }

    /** Drops the non-unique event id index of earlier versions, if there is one; a failure leaves it (it is only slower). */
    private Mono<Void> dropLegacyEventIdIndex() {
        return Flux.from(commits.listIndexes())
                .filter(i -> isLegacyEventIdIndex(i.get("key", Document.class)))
                .concatMap(i -> Mono.from(commits.dropIndex(i.getString("name"))).doOnSuccess(x ->
                        log.info("dropped index {} of {}: the unique index {} replaces it", i.getString("name"), commits.getNamespace(), EVENT_IDS_INDEX)))
                .then()
                .onErrorResume(e -> {
                    log.warn("could not drop the old event id index of {}: {}", commits.getNamespace(), e.toString());
                    return Mono.empty();
                });
    }

    /** Key order matters: the unique index has the same fields in another order. */
    private static boolean isLegacyEventIdIndex(@Nullable Document key) {
        return key != null && new ArrayList<>(key.keySet()).equals(List.of(LEGACY_EVENT_IDS))
                && key.values().stream().allMatch(v -> v instanceof Number n && n.intValue() == 1);
    }

    private static Mono<String> index(MongoCollection<Document> collection, org.bson.conversions.Bson keys, IndexOptions options) {
        return Mono.from(collection.createIndex(keys, options)).onErrorResume(e -> isOptionsConflict(e), e -> {
            // an existing TTL index with another grace: keep it (collMod changes it) rather than refuse to start
            log.warn("index {} of {} exists with other options; keeping it: {}", keys, collection.getNamespace(), e.getMessage());
            return Mono.empty();
        });
    }

    /** The data holds a duplicate (11000), or the collection cannot have such an index (67: sharded on other keys). */
    private static boolean cannotBeUnique(Throwable e) {
        return e instanceof MongoCommandException c && (c.getErrorCode() == MongoErrors.DUPLICATE_KEY || c.getErrorCode() == 67);
    }

    private static boolean isOptionsConflict(Throwable e) {
        return e instanceof com.mongodb.MongoCommandException c && (c.getErrorCode() == 85 || c.getErrorCode() == 86);
    }

    static <T> Function<Throwable, Mono<T>> ignore() {
        return e -> Mono.empty();
    }
}
