package dev.engram.backend.mongodb;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Group commit across threads: the commits of the groups that are ready while a batch is being written go together,
 * as one unordered {@code insertMany} of their commit documents, then one unordered bulk of their record updates. The
 * order of each group stays commit first, record second; different threads' groups share the round trips and never
 * depend on one another (a duplicate or an unmatched update is that group's own outcome).
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

    /** A submitted write: answered once, and not at all once its subscriber went away. */
    private static final class Pending {
        final Write write;
        private final MonoSink<Outcome> sink;
        private final AtomicBoolean answered = new AtomicBoolean();

        Pending(Write write, MonoSink<Outcome> sink) {
            this.write = write;
            this.sink = sink;
            sink.onCancel(() -> answered.set(true));
        }

        void answer(Outcome outcome) {
            if (answered.compareAndSet(false, true)) {
                sink.success(outcome);
            }
        }

        void fail(Throwable e) {
            if (answered.compareAndSet(false, true)) {
                sink.error(e);
            }
        }
    }

    private final MongoStore store;
    private final Duration timeout;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;

    CommitBatcher(MongoStore store) {
        this.store = store;
        this.timeout = store.timeout();
    }

    /** Writes the commit with the next batch; emits its outcome, or errors when the batch failed before any outcome was known. */
    Mono<Outcome> submit(Write write) {
        return Mono.create(sink -> {
            List<Pending> batch;
            synchronized (this) {
                queue.add(new Pending(write, sink));
                batch = take();
            }
            if (batch != null) {
                send(batch);
            }
        });
    }

    /** The next batch when another may be written now; under the lock. */
    private @Nullable List<Pending> take() {
        if (inFlight >= MAX_IN_FLIGHT || queue.isEmpty()) {
            return null;
        }
        int size = Math.min(MAX_WRITES, (queue.size() + MAX_IN_FLIGHT - inFlight - 1) / (MAX_IN_FLIGHT - inFlight));
        inFlight++;
        List<Pending> batch = new ArrayList<>(size);
        while (!queue.isEmpty() && batch.size() < size) {
            batch.add(queue.poll());
        }
        return batch;
    }

    private void send(List<Pending> batch) {
        // a server that never answers must not hold every later batch back
        MongoStore.bounded(write(batch), timeout)
                // the next batch goes out before this one's writers go on with their work
                .subscribe(answers -> {
                    sent();
                    answers.forEach(Runnable::run);
                }, e -> {
                    sent();
                    batch.forEach(p -> p.fail(e));
                });
    }

    private void sent() {
        List<Pending> next;
        List<Pending> more;
        synchronized (this) {
            inFlight--;
            next = take();
            more = take();
        }
        if (next != null) {
            send(next);
        }
        if (more != null) {
            send(more);
        }
    }

    /** Writes the batch; emits how to answer each of its writers. */
    private Mono<List<Runnable>> write(List<Pending> batch) {
        List<Document> commits = new ArrayList<>(batch.size());
        batch.forEach(p -> commits.add(p.write.commit()));
        return Mono.from(store.commits.insertMany(commits, new InsertManyOptions().ordered(false)))
                .map(r -> Map.<Integer, BulkWriteError>of())
                .onErrorResume(MongoBulkWriteException.class, e -> {
                    Map<Integer, BulkWriteError> failed = new HashMap<>();
                    e.getWriteErrors().forEach(err -> failed.put(err.getIndex(), err));
                    return Mono.just(failed);
                })
                .flatMap(failed -> {
                    List<Runnable> answers = new ArrayList<>(batch.size());
                    List<Pending> inserted = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        Pending p = batch.get(i);
                        BulkWriteError err = failed.get(i);
                        if (err == null) {
                            inserted.add(p);
                        } else if (MongoErrors.isDuplicateKey(err)) {
                            answers.add(() -> p.answer(Outcome.TAKEN));
                        } else {
                            answers.add(() -> p.fail(new MongoException(err.getCode(), err.getMessage())));
                        }
                    }
                    if (inserted.isEmpty()) {
                        return Mono.just(answers);
                    }
                    return record(inserted).map(all -> {
                        Outcome outcome = all ? Outcome.COMMITTED : Outcome.UNCONFIRMED;
                        inserted.forEach(p -> answers.add(() -> p.answer(outcome)));
                        return answers;
                    });
                });
    }

    /** The record updates of the inserted commits; emits whether all of them matched (if not, each writer settles its own). */
    private Mono<Boolean> record(List<Pending> inserted) {
        List<WriteModel<Document>> updates = new ArrayList<>(inserted.size());
        inserted.forEach(p -> updates.add(new UpdateOneModel<>(p.write.recordFilter(), p.write.recordUpdate())));
        return Mono.from(store.threads.bulkWrite(updates, new BulkWriteOptions().ordered(false)))
                .map(r -> r.getMatchedCount() == inserted.size())
                // the commits are in: whatever went wrong here, the record says what counts
                .onErrorReturn(false);
    }
}
