package dev.engram.backend.mongodb;

import com.mongodb.client.model.Filters;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.ThreadRecord;
import java.util.Date;
import java.util.Map;
import java.util.TreeMap;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.jspecify.annotations.Nullable;

/** Field names and conversions of thread records, and the filters every collection shares. */
final class ThreadDocuments {

    static final String ID = "_id";
    static final String TENANT = "t";
    static final String THREAD = "th";
    static final String NAMESPACE = "ns";
    static final String GENERATION = "g";
    static final String HEAD = "head";
    static final String DELETED_UP_TO = "del";
    static final String CREATED_AT = "createdAt";
    static final String UPDATED_AT = "updatedAt";
    static final String TTL = "ttl";
    static final String EXPIRES_AT = "expiresAt";
    static final String COMMITS_EXPIRE_AT = "cexp";
    static final String METADATA = "metadata";

    private ThreadDocuments() {
    }

    /** '/' cannot occur in ids, so the joined key is unambiguous. */
    static String id(ThreadKey key) {
        return key.tenant() + "/" + key.threadId() + "/" + key.namespace();
    }

    static Bson byId(ThreadKey key) {
        return Filters.eq(ID, id(key));
    }

    static Bson byKey(ThreadKey key) {
        return Filters.and(Filters.eq(TENANT, key.tenant()), Filters.eq(THREAD, key.threadId()), Filters.eq(NAMESPACE, key.namespace()));
    }

    static Bson byGeneration(ThreadKey key, long generation) {
        return Filters.and(Filters.eq(TENANT, key.tenant()), Filters.eq(THREAD, key.threadId()),
                Filters.eq(NAMESPACE, key.namespace()), Filters.eq(GENERATION, generation));
    }

    /**
     * The record while it is of this generation and retention's watermark is {@code deletedUpTo}: the compare-and-set of
     * every record update an append makes. As one flat document of exactly the fields of an index, a server without a
     * query planner (the in-process test server) answers it from that index.
     */
    static Document live(ThreadKey key, long generation, long deletedUpTo) {
        return new Document(ID, id(key)).append(GENERATION, generation).append(DELETED_UP_TO, deletedUpTo);
    }

    static Document withKey(Document doc, ThreadKey key) {
        return doc.append(TENANT, key.tenant()).append(THREAD, key.threadId()).append(NAMESPACE, key.namespace());
    }

    static long generation(Document record) {
        return record.getLong(GENERATION);
    }

    static long longOf(Document doc, String field) {
        Object v = doc.get(field);
        return v instanceof Number n ? n.longValue() : 0L;
    }

    static long expiresAtMillis(Document record) {
        Date d = record.getDate(EXPIRES_AT);
        return d == null ? 0 : d.getTime();
    }

    static boolean isExpired(Document record, long nowMillis) {
        long at = expiresAtMillis(record);
        return at != 0 && at <= nowMillis;
    }

    static @Nullable Date date(long millis) {
        return millis == 0 ? null : new Date(millis);
    }

    /** The record as the SPI has it, with the head and last write time found by following its commits. */
    static ThreadRecord toRecord(ThreadKey key, Document record, long head, long updatedAt) {
        Document metadata = record.get(METADATA, Document.class);
        TreeMap<String, String> m = new TreeMap<>();
        if (metadata != null) {
            metadata.forEach((k, v) -> m.put(MetadataFields.decode(k), String.valueOf(v)));
        }
        return new ThreadRecord(key, head, generation(record), longOf(record, CREATED_AT), Math.max(updatedAt, longOf(record, UPDATED_AT)),
                expiresAtMillis(record), longOf(record, TTL), Map.copyOf(m));
    }

    static ThreadKey keyOf(Document record) {
        return new ThreadKey(record.getString(TENANT), record.getString(THREAD), record.getString(NAMESPACE));
    }

    static Document metadata(Map<String, String> metadata) {
        Document d = new Document();
        new TreeMap<>(metadata).forEach((k, v) -> d.append(MetadataFields.encode(k), v));
        return d;
    }
}
