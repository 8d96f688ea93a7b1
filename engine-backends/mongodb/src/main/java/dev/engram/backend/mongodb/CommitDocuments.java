package dev.engram.backend.mongodb;

import dev.engram.core.CorruptDataException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.EventRecord;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.Binary;
import org.jspecify.annotations.Nullable;

/**
 * Layout of an append in the commits and parts collections.
 *
 * <p>An append is one commit document {@code {t, th, ns, g, first, last, at, ids, v0, ev, parts, batch}}: {@code at} is
 * the time of the write, {@code ids} holds every event id of the append (the id itself when there is one, see {@link
 * #idsValue}), {@code ev} the events from version {@code v0} to {@code last}. When the events do not
 * fit one document, the leading ones go to {@code parts} documents of the same {@code batch}, inserted first; the
 * commit document, inserted last, is what makes them visible, so a cut-off run of inserts leaves only parts that
 * nothing refers to.
 */
final class CommitDocuments {

    static final String FIRST = "first";
    static final String LAST = "last";
    static final String WRITTEN_AT = "at";
    static final String IDS = "ids";
    static final String FIRST_IN_DOC = "v0";
    static final String EVENTS = "ev";
    static final String PARTS = "parts";
    static final String BATCH = "batch";
    static final String INDEX = "idx";
    static final String EVENT_ID = "i";
    static final String TYPE = "y";
    static final String TIMESTAMP = "ts";
    static final String DATA = "d";

    /** Event bytes per document before the rest goes to another one; well under the 16 MiB BSON limit. */
    static final long CHUNK_BYTES = 8L * 1024 * 1024;
    /** The largest event a document can hold next to its fields and the append's ids. */
    static final long MAX_EVENT_BYTES = MongoErrors.MAX_DOCUMENT_BYTES - 128 * 1024;
    private static final int EVENT_OVERHEAD = 96;

    private CommitDocuments() {
    }

    /** The documents of one append, parts first; the commit document is the last one. */
    record Batch(List<Document> parts, Document commit) {
        List<Document> all() {
            List<Document> all = new ArrayList<>(parts);
            all.add(commit);
            return all;
        }
    }

    /**
     * A commit's id is its thread, generation and first version: the primary key is the guard of optimistic
     * concurrency (one commit per first version), and the head is found by following ids from the record's head.
     */
    static String id(ThreadKey key, long generation, long first) {
        return ThreadDocuments.id(key) + "/" + generation + "/" + first;
    }

    /** Refuses, before any I/O, an event that no document can hold. */
    static void check(List<EventRecord> events) {
        chunk(events);
    }

    static Batch build(ThreadKey key, long generation, long first, List<EventRecord> events, long writtenAt, @Nullable Date expiresAt) {
        List<List<EventRecord>> chunks = chunk(events);
        String batch = chunks.size() > 1 ? UUID.randomUUID().toString() : null;
        List<Document> parts = new ArrayList<>();
        long v = first;
        for (int i = 0; i < chunks.size() - 1; i++) {
            Document part = ThreadDocuments.withKey(new Document(), key)
                    .append(ThreadDocuments.GENERATION, generation)
                    .append(BATCH, batch)
                    .append(INDEX, i)
                    .append(FIRST_IN_DOC, v)
                    .append(EVENTS, encode(chunks.get(i)));
            if (expiresAt != null) {
                part.append(ThreadDocuments.EXPIRES_AT, expiresAt);
            }
            parts.add(part);
            v += chunks.get(i).size();
        }
        Document commit = ThreadDocuments.withKey(new Document(ThreadDocuments.ID, id(key, generation, first)), key)
                .append(ThreadDocuments.GENERATION, generation)
                .append(FIRST, first)
                .append(LAST, first + events.size() - 1)
                .append(WRITTEN_AT, writtenAt)
                .append(IDS, idsValue(events))
                .append(PARTS, parts.size())
                .append(FIRST_IN_DOC, v)
                .append(EVENTS, encode(chunks.get(chunks.size() - 1)));
        if (batch != null) {
            commit.append(BATCH, batch);
        }
        if (expiresAt != null) {
            commit.append(ThreadDocuments.EXPIRES_AT, expiresAt);
        }
        return new Batch(parts, commit);
    }

    /**
     * The {@code ids} of a commit: the event id of a one-event append, as a string; the list of them otherwise. MongoDB
     * indexes and matches a string and an array holding it alike, and a string key spares a server the work of an
     * array key (in the in-process test server, about 40% of an insert's).
     */
    private static Object idsValue(List<EventRecord> events) {
        if (events.size() == 1) {
            return events.get(0).eventId().toString();
        }
        List<String> ids = new ArrayList<>(events.size());
        for (EventRecord e : events) {
            ids.add(e.eventId().toString());
        }
        return ids;
    }

    /** The event ids a commit still holds, in order, whichever form its {@code ids} has. */
    static List<String> ids(Document commit) {
        Object ids = commit.get(IDS);
        if (ids instanceof String id) {
            return List.of(id);
        }
        return commit.getList(IDS, String.class, List.of());
    }

    private static List<List<EventRecord>> chunk(List<EventRecord> events) {
        List<List<EventRecord>> chunks = new ArrayList<>();
        List<EventRecord> current = new ArrayList<>();
        long bytes = 0;
        for (int i = 0; i < events.size(); i++) {
            EventRecord e = events.get(i);
            long size = (long) e.data().length + e.type().length() + EVENT_OVERHEAD;
            if (size > MAX_EVENT_BYTES) {
                throw new PayloadTooLargeException("events[" + i + "] (" + e.type() + ") does not fit a MongoDB document (16 MiB BSON limit):"
                        + " it", size, MAX_EVENT_BYTES);
            }
            if (!current.isEmpty() && bytes + size > CHUNK_BYTES) {
                chunks.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(e);
            bytes += size;
        }
        chunks.add(current);
        return chunks;
    }

    private static List<Document> encode(List<EventRecord> events) {
        List<Document> out = new ArrayList<>(events.size());
        for (EventRecord e : events) {
            out.add(new Document(EVENT_ID, e.eventId().toString())
                    .append(TYPE, e.type())
                    .append(TIMESTAMP, e.timestampMillis())
                    .append(DATA, new Binary(e.data())));
        }
        return out;
    }

    /** The events a commit or part document holds, with their versions. */
    static List<EventRecord> decode(Document doc) {
        long v = ThreadDocuments.longOf(doc, FIRST_IN_DOC);
        List<Document> events = doc.getList(EVENTS, Document.class);
        if (events == null || v < 1) {
            throw new CorruptDataException("commit document " + doc.get(ThreadDocuments.ID) + " has no events");
        }
        List<EventRecord> out = new ArrayList<>(events.size());
        for (Document e : events) {
            Object data = e.get(DATA);
            byte[] bytes = data instanceof Binary b ? b.getData() : data instanceof byte[] raw ? raw : null;
            if (bytes == null) {
                throw new CorruptDataException("commit document " + doc.get(ThreadDocuments.ID) + " has an event without bytes");
            }
            out.add(new EventRecord(v++, UUID.fromString(e.getString(EVENT_ID)), e.getString(TYPE),
                    ThreadDocuments.longOf(e, TIMESTAMP), bytes));
        }
        return out;
    }
}
