package dev.engram.backend.mongodb;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.support.GroupCommit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Group commit across threads, on the engine's {@link GroupCommit}: the commits of the groups that are ready while a
 * batch is being written go together, as one unordered {@code insertMany} of their commit documents; then, at the same
 * time, one unordered bulk of the record updates of those that change their record, and one read by primary key of
 * the records of those that only need theirs unchanged. The order of each group stays commit first, record second;
 * different threads' groups share the round trips and never depend on one another (a duplicate, an unmatched update or
 * a changed record is that group's own outcome).
 */
final class CommitBatcher {

    /** Commits per batch at most. */
    static final int MAX_WRITES = 256;
    /** Batches written at the same time. */
    private static final int MAX_IN_FLIGHT = 2;

    /** What became of one group's commit. */
    enum Outcome {
        /** Inserted, and the record update matched or the record was found unchanged. */
        COMMITTED,
        /** Not inserted: the commit's id or one of its event ids is taken. */
        TAKEN,
        /**
         * Inserted, but the record update is not known to have matched, or the record was not found as expected: the
         * writer settles it from the record.
         */
        UNCONFIRMED
    }

    /**
     * One group's commit document, and what acknowledges it: the record as it must be, {@code {_id, g, del}}, and either
     * the update applied to it if so (a compare-and-set), or none ({@code recordUpdate} null), and then the record read
     * back with those values acknowledges.
     */
    record Write(Document commit, Document record, @Nullable Bson recordUpdate) {
    }

    private final MongoStore store;
    private final GroupCommit<Write, Outcome> groupCommit;

    CommitBatcher(MongoStore store) {
        this.store = store;
        Duration timeout = store.timeout();
        // no byte bound: the driver splits an insertMany into messages the server takes; a server that never answers
        // must not hold every later batch back
        this.groupCommit = new GroupCommit<>("mongodb", MAX_WRITES, Long.MAX_VALUE, MAX_IN_FLIGHT,
                batch -> MongoStore.bounded(write(batch), timeout));
    }

    /** Writes the commit of an append to {@code key} with the next batch; emits its outcome, or errors when the batch failed before any outcome was known. */
    Mono<Outcome> submit(ThreadKey key, Write write) {
        return groupCommit.submit(write, 0, key);
    }

    /** Writes the batch; emits one outcome per write, in order: an {@link Outcome} or the exception for that write. */
    private Mono<List<Object>> write(List<Write> batch) {
        List<Document> commits = new ArrayList<>(batch.size());
        batch.forEach(w -> commits.add(w.commit()));
        return Mono.from(store.commits.insertMany(commits, new InsertManyOptions().ordered(false)))
                .map(r -> Map.<Integer, BulkWriteError>of())
                .onErrorResume(MongoBulkWriteException.class, e -> {
                    Map<Integer, BulkWriteError> failed = new HashMap<>();
                    e.getWriteErrors().forEach(err -> failed.put(err.getIndex(), err));
                    return Mono.just(failed);
                })
                .flatMap(failed -> {
                    Object[] outcomes = new Object[batch.size()];
                    List<Integer> inserted = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        BulkWriteError err = failed.get(i);
                        if (err == null) {
                            inserted.add(i);
                        } else if (MongoErrors.isDuplicateKey(err)) {
                            outcomes[i] = Outcome.TAKEN;
                        } else {
                            outcomes[i] = new MongoException(err.getCode(), err.getMessage());
                        }
                    }
                    if (inserted.isEmpty()) {
                        return Mono.just(Arrays.asList(outcomes));
                    }
                    List<Integer> updated = new ArrayList<>(inserted.size());
                    List<Integer> checked = new ArrayList<>(inserted.size());
                    inserted.forEach(i -> (batch.get(i).recordUpdate() != null ? updated : checked).add(i));
                    return Mono.when(update(batch, updated, outcomes), check(batch, checked, outcomes))
                            .then(Mono.fromSupplier(() -> Arrays.asList(outcomes)));
                });
    }

    /** The record updates of these inserted commits: all committed if every one matched (if not, each writer settles its own). */
    private Mono<Void> update(List<Write> batch, List<Integer> updated, Object[] outcomes) {
        if (updated.isEmpty()) {
            return Mono.empty();
        }
        List<WriteModel<Document>> updates = new ArrayList<>(updated.size());
        updated.forEach(i -> updates.add(new UpdateOneModel<>(batch.get(i).record(), batch.get(i).recordUpdate())));
        return Mono.from(store.threads.bulkWrite(updates, new BulkWriteOptions().ordered(false)))
                .map(r -> r.getMatchedCount() == updated.size())
                // the commits are in: whatever went wrong here, the record says what counts
                .onErrorReturn(false)
                .doOnNext(all -> updated.forEach(i -> outcomes[i] = all ? Outcome.COMMITTED : Outcome.UNCONFIRMED))
                .then();
    }

    /**
     * The records of these inserted commits, read by primary key: a commit whose record still has the generation and
     * watermark it was written under is committed, as if a compare-and-set on them had matched (the record changed
     * neither between the insert and this read); any other is settled by its writer.
     */
    private Mono<Void> check(List<Write> batch, List<Integer> checked, Object[] outcomes) {
        if (checked.isEmpty()) {
            return Mono.empty();
        }
        List<Object> ids = new ArrayList<>(checked.size());
        checked.forEach(i -> ids.add(batch.get(i).record().get(ThreadDocuments.ID)));
        return Flux.from(store.threads.find(Filters.in(ThreadDocuments.ID, ids))
                        .projection(Projections.include(ThreadDocuments.GENERATION, ThreadDocuments.DELETED_UP_TO)))
                .collectMap(d -> d.get(ThreadDocuments.ID))
                .onErrorReturn(Map.of())
                .doOnNext(found -> checked.forEach(i -> {
                    Document expected = batch.get(i).record();
                    Document record = found.get(expected.get(ThreadDocuments.ID));
                    outcomes[i] = unchanged(expected, record) ? Outcome.COMMITTED : Outcome.UNCONFIRMED;
                }))
                .then();
    }

    private static boolean unchanged(Document expected, @Nullable Document record) {
        return record != null
                && ThreadDocuments.longOf(record, ThreadDocuments.GENERATION) == ThreadDocuments.longOf(expected, ThreadDocuments.GENERATION)
                && ThreadDocuments.longOf(record, ThreadDocuments.DELETED_UP_TO) == ThreadDocuments.longOf(expected, ThreadDocuments.DELETED_UP_TO);
    }
}
