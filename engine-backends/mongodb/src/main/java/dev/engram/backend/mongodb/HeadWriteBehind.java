package dev.engram.backend.mongodb;

import static dev.engram.backend.mongodb.ThreadDocuments.HEAD;
import static dev.engram.backend.mongodb.ThreadDocuments.UPDATED_AT;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;
import dev.engram.core.model.ThreadKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The records' heads and times, written behind the appends that an unchanged record acknowledged, and behind reads that
 * found a record lagging its commits. Coalesced per thread (only the highest head is kept), written as one unordered
 * bulk of {@code $max} updates at most every {@link #INTERVAL}, one bulk at a time, never on an append's path; what
 * a bulk could not write (the server away) goes with the next one; {@link #close} writes what is left.
 *
 * <p>Each update is a compare-and-set on the generation and retention watermark its head was acknowledged under, so a
 * head never lands in another generation's record. Nothing depends on these writes for correctness: readers and
 * writers follow the commits from the record's head ({@link CommitChains}). They keep that walk short, and let other
 * processes' change streams see the head.
 */
final class HeadWriteBehind {

    private static final Logger log = LoggerFactory.getLogger(HeadWriteBehind.class);

    /** How long acknowledged heads wait to be written together; the longer, the more appends of a thread one write covers. */
    static final Duration INTERVAL = Duration.ofMillis(50);

    /** A head to write, under the generation and watermark it was acknowledged with, and the time of its write. */
    record Raise(long generation, long deletedUpTo, long head, long updatedAt) {

        /** This raise and a later one of the same thread as one: the later, unless it is behind in the same generation. */
        Raise then(Raise later) {
            return later.generation == generation && later.head < head ? this : later;
        }
    }

    private final MongoStore store;
    private final ConcurrentHashMap<ThreadKey, Raise> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean closed;

    HeadWriteBehind(MongoStore store) {
        this.store = store;
    }

    /** Queues the head of {@code key}; written with the next bulk unless a higher one of the same generation replaces it. */
    void raise(ThreadKey key, Raise raise) {
        pending.merge(key, raise, Raise::then);
        schedule();
    }

    /** Drops the head queued for {@code key} (its record is gone; the update would match nothing anyway). */
    void forget(ThreadKey key) {
        pending.remove(key);
    }

    /** Writes every queued head now; completes when they are written, or when writing them failed (logged). */
    Mono<Void> flush() {
        return Mono.defer(() -> write(new HashMap<>(pending)))
                .onErrorResume(e -> {
                    log.debug("writing the heads of {} threads failed; readers follow their commits: {}", pending.size(), e.toString());
                    return Mono.empty();
                });
    }

    /** Stops the periodic writes, then writes what is left. */
    Mono<Void> close() {
        closed = true;
        return flush();
    }

    private void schedule() {
        if (closed || !scheduled.compareAndSet(false, true)) {
            return;
        }
        Mono.delay(INTERVAL).then(flush()).doFinally(s -> {
            scheduled.set(false);
            if (!pending.isEmpty()) {
                schedule();
            }
        }).subscribe();
    }

    private Mono<Void> write(Map<ThreadKey, Raise> heads) {
        if (heads.isEmpty()) {
            return Mono.empty();
        }

        List<WriteModel<Document>> updates = new ArrayList<>(heads.size());
        heads.forEach((key, r) -> updates.add(new UpdateOneModel<>(ThreadDocuments.live(key, r.generation(), r.deletedUpTo()),
                Updates.combine(Updates.max(HEAD, r.head()), Updates.max(UPDATED_AT, r.updatedAt())))));
        return MongoStore.bounded(Mono.from(store.threads.bulkWrite(updates, new BulkWriteOptions().ordered(false))).then(), store.timeout())
                // an update the server refused would be refused again: only an unanswered bulk is tried again
                .onErrorResume(MongoBulkWriteException.class, e -> Mono.empty())
                // a head raised again meanwhile stays queued for the next bulk
                .then(Mono.fromRunnable(() -> heads.forEach(pending::remove)));
    }
}
