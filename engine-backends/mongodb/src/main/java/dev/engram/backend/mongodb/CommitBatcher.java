package dev.engram.backend.mongodb;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.InsertManyOptions;
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
import reactor.core.publisher.Mono;

/**
 * Group commit across threads, on the engine's {@link GroupCommit}: the commits of the groups that are ready while a
 * batch is being written go together, as one unordered {@code insertMany} of their commit documents, then one
 * unordered bulk of their record updates. The order of each group stays commit first, record second; different
 * threads' groups share the round trips and never depend on one another (a duplicate or an unmatched update is that
 * group's own outcome).
 */
final class CommitBatcher {

    /** Commits per batch at most. */
    static final int MAX_WRITES = 256;
    /** Batches written at the same time. */
    private static final int MAX_IN_FLIGHT = 2;

    /** What became of one group's commit. */
    enum Outcome {
        /** Inserted, and the record update matched. */
        COMMITTED,
        /** Not inserted: the commit's id or one of its event ids is taken. */
        TAKEN,
        /** Inserted, but whether the record update matched is unknown: the writer settles it from the record. */
        UNCONFIRMED
    }

    /** One group's commit document and the compare-and-set of its record. */
    record Write(Document commit, Bson recordFilter, Bson recordUpdate) {
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
                    return record(batch, inserted).map(all -> {
                        Outcome outcome = all ? Outcome.COMMITTED : Outcome.UNCONFIRMED;
                        inserted.forEach(i -> outcomes[i] = outcome);
                        return Arrays.asList(outcomes);
                    });
                });
    }

    /** The record updates of the inserted commits; emits whether all of them matched (if not, each writer settles its own). */
    private Mono<Boolean> record(List<Write> batch, List<Integer> inserted) {
        List<WriteModel<Document>> updates = new ArrayList<>(inserted.size());
        inserted.forEach(i -> updates.add(new UpdateOneModel<>(batch.get(i).recordFilter(), batch.get(i).recordUpdate())));
        return Mono.from(store.threads.bulkWrite(updates, new BulkWriteOptions().ordered(false)))
                .map(r -> r.getMatchedCount() == inserted.size())
                // the commits are in: whatever went wrong here, the record says what counts
                .onErrorReturn(false);
    }
}
