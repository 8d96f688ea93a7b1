package dev.engram.backend.mongodb;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.exists;
import static com.mongodb.client.model.Filters.gt;
import static com.mongodb.client.model.Filters.gte;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Filters.or;
import static java.util.Objects.requireNonNull;

import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOptions;
import com.mongodb.client.model.Updates;
import dev.engram.core.codec.Codec;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Memory items in the {@code memories} collection, one document per key:
 * {@code {_id: "tenant/ns/path#key", t, ns: "ns/path/", k, data, updatedAt, expiresAt}}. {@code ns} carries a trailing
 * '/', so the items under a prefix {@code p} are exactly the range {@code ["p/", "p0")} ('0' follows '/'): one bounded
 * range of the {@code (t, ns, k)} index that never reaches a neighbour such as {@code "ab"} for {@code "a"}. Expiry is
 * decided on every read with the engine's time; the TTL index only collects garbage.
 */
final class MongoMemoryStorage implements MemoryStorage {

    static final String TENANT = "t";
    static final String NAMESPACE = "ns";
    static final String KEY = "k";
    static final String DATA = "data";
    static final String UPDATED_AT = "updatedAt";
    static final String EXPIRES_AT = "expiresAt";

    private static final ReplaceOptions UPSERT = new ReplaceOptions().upsert(true);

    private final MongoStore store;
    private final Clock clock;
    private final Codec codec = Codec.standard();

    MongoMemoryStorage(MongoStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Neither a tenant nor a segment contains '/' or '#', so the id is unambiguous. */
    static String id(MemoryKey key) {
        return key.tenant() + "/" + key.namespace().path() + "#" + key.key();
    }

    /** The stored form of a namespace: its path with a trailing '/' (empty for the root). */
    static String stored(Namespace namespace) {
        return namespace.isRoot() ? "" : namespace.path() + "/";
    }

    private static Bson live(Instant now) {
        return or(exists(EXPIRES_AT, false), gt(EXPIRES_AT, Date.from(now)));
    }

    @Override
    public Mono<Void> put(MemoryRecord record) {
        requireNonNull(record, "record");
        MemoryKey key = record.key();
        return store.run("store memory " + key, Mono.defer(() -> {
            Document doc = new Document(ThreadDocuments.ID, id(key))
                    .append(TENANT, key.tenant())
                    .append(NAMESPACE, stored(key.namespace()))
                    .append(KEY, key.key())
                    .append(DATA, new Binary(codec.encodeMemory(record)))
                    .append(UPDATED_AT, new Date(record.item().updatedAt().toEpochMilli()));
            Instant expiresAt = record.expiresAt();
            if (expiresAt != null) {
                doc.append(EXPIRES_AT, Date.from(expiresAt));
            }
            Mono<Void> replace = Mono.from(store.memories.replaceOne(eq(ThreadDocuments.ID, doc.get(ThreadDocuments.ID)), doc, UPSERT))
                    .then();
            // two first puts of a key may both try to insert; the loser's second try finds the winner's document
            return replace.onErrorResume(MongoErrors::isDuplicateKey, e -> replace);
        }));
    }

    @Override
    public Mono<MemoryRecord> get(MemoryKey key, Instant now) {
        requireNonNull(key, "key");
        requireNonNull(now, "now");
        return store.run("read memory " + key, Mono.defer(() -> Mono.from(store.memories
                        .find(and(eq(ThreadDocuments.ID, id(key)), live(now))).projection(Projections.include(DATA)).first())))
                .map(this::decode);
    }

    @Override
    public Mono<Boolean> delete(MemoryKey key) {
        requireNonNull(key, "key");
        return store.run("delete memory " + key, Mono.defer(() -> Mono.from(store.memories.findOneAndDelete(eq(ThreadDocuments.ID, id(key)),
                        new FindOneAndDeleteOptions().projection(Projections.include(EXPIRES_AT))))))
                .map(before -> {
                    Date expiresAt = before.getDate(EXPIRES_AT);
                    return expiresAt == null || expiresAt.getTime() > clock.millis();
                })
                .defaultIfEmpty(false);
    }

    /** Reads the record, then rewrites its blob and expiry in one conditional update, so a later write always wins. */
    @Override
    public Mono<Boolean> refreshExpiry(MemoryKey key, Instant updatedAt, Instant expiresAt, Instant now) {
        requireNonNull(key, "key");
        requireNonNull(updatedAt, "updatedAt");
        requireNonNull(expiresAt, "expiresAt");
        requireNonNull(now, "now");
        return get(key, now)
                .filter(r -> r.item().updatedAt().toEpochMilli() == updatedAt.toEpochMilli())
                .flatMap(r -> store.run("refresh the expiry of memory " + key, Mono.defer(() -> Mono.from(store.memories.updateOne(
                        // a compare-and-set on the write's time: a later put, a delete or the expiry in between matches nothing
                        and(eq(ThreadDocuments.ID, id(key)), eq(UPDATED_AT, new Date(updatedAt.toEpochMilli())), live(now)),
                        Updates.combine(Updates.set(DATA, new Binary(codec.encodeMemory(r.withExpiresAt(expiresAt)))),
                                Updates.set(EXPIRES_AT, Date.from(expiresAt))))))))
                .map(result -> result.getMatchedCount() == 1)
                .defaultIfEmpty(false);
    }

    @Override
    public Flux<MemoryRecord> scan(String tenant, Namespace prefix, Instant now) {
        requireNonNull(tenant, "tenant");
        requireNonNull(prefix, "prefix");
        requireNonNull(now, "now");
        return store.runMany("scan memories of " + tenant + " under " + prefix, Flux.defer(() -> {
            Bson filter;
            if (prefix.isRoot()) {
                filter = and(eq(TENANT, tenant), live(now));
            } else {
                String path = prefix.path();
                filter = and(eq(TENANT, tenant), gte(NAMESPACE, path + "/"), lt(NAMESPACE, path + "0"), live(now));
            }
            return Flux.from(store.memories.find(filter).projection(Projections.include(DATA)));
        })).map(this::decode);
    }

    private MemoryRecord decode(Document doc) {
        return codec.decodeMemory(doc.get(DATA, Binary.class).getData());
    }
}
